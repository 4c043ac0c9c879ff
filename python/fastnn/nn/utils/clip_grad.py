"""Gradient clipping, in place on each parameter's .grad (PyTorch's formulas)."""
import numpy as np

from fastnn._backend import xp_for
from fastnn.tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad._data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales all gradients together so that their joint norm is at most max_norm.

    The total norm is the norm_type-norm of the per-parameter norms (inf: the largest |g|);
    gradients are multiplied by min(1, max_norm / (total_norm + 1e-6)). Returns the total norm
    (before clipping) as a 0-d Tensor. `foreach` is accepted for PyTorch compatibility.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    xp = xp_for(grads[0])
    norms = xp.stack([xp.linalg.norm(g.reshape(-1), norm_type) for g in grads])
    total_norm = xp.linalg.norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    clip_coef = min(max_norm / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        g *= g.dtype.type(clip_coef)
    return Tensor._wrap(xp.asarray(total_norm))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp_for(g).clip(g, -clip_value, clip_value, out=g)
