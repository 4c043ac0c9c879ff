"""StandardScaler: per-feature standardisation (x - mean) / std, like sklearn's."""
import numpy as np

from fastnn import _backend
from fastnn.tensor import Tensor


def _unwrap(x, name):
    """(float array, function that wraps a result back into x's kind: Tensor or NumPy array)."""
    if isinstance(x, Tensor):
        array, wrap = x._data, Tensor._wrap
    else:
        array, wrap = np.asarray(x), (lambda a: a)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"StandardScaler.{name}: expected numeric data, got dtype {array.dtype}")
    if array.ndim < 1 or array.shape[0] == 0:
        raise ValueError(f"StandardScaler.{name}: expected samples along the first dimension, got shape {array.shape}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array, wrap


class StandardScaler:
    """Standardises features: z = (x - mean_) / scale_, statistics over the first (sample) axis.

    scale_ is the population standard deviation (ddof=0, like sklearn); features that are
    constant (variance within rounding of zero) get scale 1, so they map to 0 instead of NaN.
    Works on NumPy arrays and Tensors of any rank (features = all dimensions after the first);
    results have the input's kind and floating dtype (integers become float64).
    """

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, x):
        array, _ = _unwrap(x, "fit")
        xp = _backend.xp_for(array)
        n = array.shape[0]
        samples = array.astype(np.float64)
        mean = samples.mean(axis=0)
        self.mean_ = mean
        self.n_samples_seen_ = n
        self.var_ = self.scale_ = None
        if self.with_std:
            var = samples.var(axis=0)
            # sklearn's constant-feature test: variance no larger than its own rounding error.
            eps = np.finfo(np.float64).eps
            constant = var <= n * eps * var + (n * mean * eps) ** 2
            self.var_ = var
            self.scale_ = xp.where(constant, 1.0, xp.sqrt(var))
        return self

    def _check_fitted(self, array, name):
        if not hasattr(self, "mean_"):
            raise RuntimeError(f"StandardScaler.{name}: this scaler is not fitted yet; call fit(x) first")
        if array.shape[1:] != self.mean_.shape:
            raise ValueError(f"StandardScaler.{name}: x has feature shape {array.shape[1:]}, "
                             f"but the scaler was fitted on {self.mean_.shape}")

    def transform(self, x):
        array, wrap = _unwrap(x, "transform")
        self._check_fitted(array, "transform")
        if self.with_mean:
            array = array - self.mean_.astype(array.dtype)
        if self.with_std:
            array = array / self.scale_.astype(array.dtype)
        return wrap(array)

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def inverse_transform(self, z):
        array, wrap = _unwrap(z, "inverse_transform")
        self._check_fitted(array, "inverse_transform")
        if self.with_std:
            array = array * self.scale_.astype(array.dtype)
        if self.with_mean:
            array = array + self.mean_.astype(array.dtype)
        return wrap(array)
