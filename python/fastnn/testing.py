"""Gradient checking and parity helpers for tests."""
import numpy as np

from fastnn import _backend
from fastnn.tensor import Tensor


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _host64(array):
    return np.asarray(_backend.to_device(array, "cpu"), np.float64)


def _projection(func, inputs, direction_out):
    return sum(float((_host64(o._data) * d).sum()) for o, d in zip(_as_tuple(func(*inputs)), direction_out))


def numerical_jacobian_vector(func, inputs, index, direction_out, eps):
    """d<direction_out, func(inputs)>/d inputs[index] by central differences, element by element
    (the inputs may live on any device; the projections are summed on the host)."""
    x = inputs[index]._data
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: x is contiguous (gradcheck copies inputs)
    for i in range(flat.size):
        original = flat[i].copy()
        flat[i] = original + eps
        plus = _projection(func, inputs, direction_out)
        flat[i] = original - eps
        minus = _projection(func, inputs, direction_out)
        flat[i] = original
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(func, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=True, seed=0):
    """Compares the analytic gradient of a random projection of func(*inputs) with central
    finite differences, for every input that requires grad. Inputs should be float64.

    Returns True, or raises AssertionError (returns False when raise_exception=False) naming the
    input and the largest mismatch.
    """
    inputs = tuple(Tensor._wrap(_backend.xp_for(t._data).array(t._data, copy=True), requires_grad=t.requires_grad)
                   if isinstance(t, Tensor) else t for t in (inputs if isinstance(inputs, (tuple, list)) else (inputs,)))
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            message = f"gradcheck needs float64 inputs for accurate finite differences, got {t.dtype}"
            if raise_exception:
                raise AssertionError(message)
            return False
    outputs = _as_tuple(func(*inputs))
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    loss = None
    for o, d in zip(outputs, directions):
        if o.requires_grad:
            term = (o * Tensor._wrap(_backend.to_device(d.astype(o.dtype), o.device.type))).sum()
            loss = term if loss is None else loss + term
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    if loss is not None:
        loss.backward()
    for index, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytic = np.zeros(t.shape) if t.grad is None else _host64(t.grad._data)
        numeric = numerical_jacobian_vector(func, inputs, index, directions, eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape) if analytic.size else ()
            message = (f"gradcheck failed for input {index} (shape {t.shape}): at {worst} analytic "
                       f"{analytic[worst]:.6g} vs numerical {numeric[worst]:.6g}")
            if raise_exception:
                raise AssertionError(message)
            return False
    return True
