"""fn.optim: optimizers with fused C++ updates, and learning-rate schedulers (torch.optim)."""
from fastnn.optim import lr_scheduler
from fastnn.optim.adagrad import Adagrad
from fastnn.optim.adam import Adam, AdamW
from fastnn.optim.adamax import Adamax
from fastnn.optim.nadam import NAdam
from fastnn.optim.optimizer import Optimizer
from fastnn.optim.rmsprop import RMSprop
from fastnn.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "lr_scheduler"]
