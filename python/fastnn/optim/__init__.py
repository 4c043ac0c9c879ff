"""fn.optim: optimizers with fused C++ updates, L-BFGS, and learning-rate schedulers (torch.optim)."""
from fastnn.optim import lr_scheduler
from fastnn.optim.adadelta import Adadelta
from fastnn.optim.adagrad import Adagrad
from fastnn.optim.adam import Adam, AdamW
from fastnn.optim.adamax import Adamax
from fastnn.optim.lbfgs import LBFGS
from fastnn.optim.nadam import NAdam
from fastnn.optim.optimizer import Optimizer
from fastnn.optim.rmsprop import RMSprop
from fastnn.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adadelta", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "LBFGS",
           "lr_scheduler"]
