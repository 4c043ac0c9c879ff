"""fastnn: a small, fast deep-learning library with hand-written C++/SIMD kernels."""
from fastnn import data, datasets, kernels, nn, optim, testing
from fastnn._config import get_num_threads, set_num_threads, show_config
from fastnn.autograd.engine import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                                    set_detect_anomaly, set_grad_enabled)
from fastnn.creation import (arange, as_tensor, bool_, empty, empty_like, eye, float16, float32, float64, from_numpy,
                             full, full_like, int32, int64, linspace, ones, ones_like, rand, randint, randn, randperm,
                             tensor, uint8, zeros, zeros_like)
from fastnn.callbacks import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint
from fastnn.functions import (abs, argmax, argmin, cat, clamp, concat, exp, flatten, log, log_softmax, matmul, max,
                              maximum, mean, min, minimum, permute, relu, reshape, sigmoid, softmax, sqrt, squeeze,
                              stack, std, sum, tanh, transpose, unsqueeze, var, where)
from fastnn.io import load, save
from fastnn.random import Generator, initial_seed, manual_seed
from fastnn.tensor import Tensor, is_tensor
from fastnn.train import History, evaluate, fit, predict

__version__ = "0.1.0"
