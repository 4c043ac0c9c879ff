"""fastnn: a small, fast deep-learning library with hand-written C++/SIMD kernels."""
from fastnn import accelerator, cuda, data, datasets, distributed, kernels, nn, optim, profiler, testing, utils
from fastnn._config import get_num_threads, set_num_threads, show_config
from fastnn.autograd.engine import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                                    set_detect_anomaly, set_grad_enabled)
from fastnn.creation import (arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy, full, full_like,
                             linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like,
                             randperm, tensor, zeros, zeros_like)
from fastnn.devices import device
from fastnn.dtypes import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
                           LongTensor, ShortTensor, bool_, float16, float32, float64, int8, int16, int32, int64, uint8)
from fastnn.callbacks import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint
from fastnn.functions import (abs, allclose, argmax, argmin, argsort, atleast_1d, atleast_2d, atleast_3d, bmm, cat,
                              cdist, chunk, clamp, clone, column_stack, concat, cos, cumsum, diag, diagonal, dstack,
                              einsum, equal, exp, expm1, flatten, flip, gather, ger, hstack, index_select, isclose, log,
                              log1p, log_softmax, logsumexp, masked_fill, matmul, max, maximum, mean, min, minimum, mm,
                              narrow, norm, numel, outer, permute, pow, prod, relu, reshape, round, row_stack, scatter,
                              scatter_add, select, sigmoid, sign, sin, softmax, sort, split, sqrt, squeeze, stack, std,
                              sum, tan, tanh, topk, transpose, tril, triu, unbind, unsqueeze, var, vstack, where)
from fastnn.io import load, save
from fastnn.random import Generator, initial_seed, manual_seed
from fastnn.tensor import Tensor, is_tensor
from fastnn.train import History, evaluate, fit, predict

__version__ = "0.1.0"

# PyTorch's dtype aliases; last, because they shadow the builtins float, int and bool in this module.
float, double, half, long, int, short, bool = float32, float64, float16, int64, int32, int16, bool_
