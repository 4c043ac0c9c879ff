"""Metrics for fit()/evaluate(): each accumulates over batches and reports one number per epoch."""
import numpy as np

from fastnn import _backend
from fastnn.tensor import Tensor


def _array(x):
    """A host array of a batch's outputs or targets (metrics accumulate on the host)."""
    return np.asarray(_backend.to_device(x._data, "cpu") if isinstance(x, Tensor) else x)


class Metric:
    """Accumulates (output, target) batches; `result()` is the epoch value."""

    name = "metric"

    def reset(self):
        self.total = 0.0
        self.count = 0

    def update(self, output, target):
        raise NotImplementedError

    def result(self):
        return self.total / self.count if self.count else float("nan")


class Accuracy(Metric):
    """Fraction of correct predictions. Class scores [N, C] (C > 1): argmax against class indices
    (or against the argmax of probability targets). A single score per sample ([N] or [N, 1]):
    positive when above `threshold` (0.5 for probabilities; fit() passes 0.0 for logits)."""

    name = "accuracy"

    def __init__(self, threshold=0.5):
        self.threshold = threshold
        self.reset()

    def update(self, output, target):
        out, tgt = _array(output), _array(target)
        if out.ndim >= 2 and out.shape[1] > 1:
            predicted = out.argmax(axis=1)
            if tgt.ndim == out.ndim and tgt.dtype.kind == "f":
                tgt = tgt.argmax(axis=1)
        else:
            predicted = (out.reshape(tgt.shape) > self.threshold)
            tgt = tgt > 0.5
        self.total += float(np.count_nonzero(predicted == tgt))
        self.count += tgt.size


class MeanAbsoluteError(Metric):
    name = "mae"

    def __init__(self):
        self.reset()

    def update(self, output, target):
        out, tgt = _array(output), _array(target)
        self.total += float(np.abs(out.reshape(tgt.shape) - tgt).sum())
        self.count += tgt.size


class MeanSquaredError(Metric):
    name = "mse"

    def __init__(self):
        self.reset()

    def update(self, output, target):
        out, tgt = _array(output), _array(target)
        self.total += float(((out.reshape(tgt.shape) - tgt) ** 2).sum())
        self.count += tgt.size


class FunctionMetric(Metric):
    """A user function f(output, target) -> number, averaged over samples."""

    def __init__(self, function, name=None):
        self.function = function
        self.name = name or getattr(function, "__name__", "metric")
        self.reset()

    def update(self, output, target):
        n = len(_array(target))
        value = self.function(output, target)
        self.total += float(value.item() if isinstance(value, Tensor) else value) * n
        self.count += n


_NAMED = {"accuracy": Accuracy, "acc": Accuracy, "mae": MeanAbsoluteError, "mse": MeanSquaredError}


def make_metric(spec, logits_threshold=False):
    """A Metric from a name ('accuracy', 'mae', 'mse'), a Metric instance or a function."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        if spec not in _NAMED:
            raise ValueError(f"unknown metric {spec!r}; expected one of {sorted(_NAMED)}, a Metric or a function")
        metric = _NAMED[spec]()
        if isinstance(metric, Accuracy) and logits_threshold:
            metric.threshold = 0.0
        return metric
    if callable(spec):
        return FunctionMetric(spec)
    raise TypeError(f"a metric must be a name, a Metric or a function, got {type(spec).__name__}")
