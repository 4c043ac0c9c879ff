"""Gradient clipping, in place on each parameter's .grad (PyTorch's formulas)."""
import numpy as np

from fastnn._backend import kernels_for, xp_for
from fastnn.tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad._data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales all gradients together so that their joint norm is at most max_norm.

    The total norm is the norm_type-norm of the per-parameter norms (inf: the largest |g|), each
    from the backend's vector_norms kernel (one call per dtype); gradients are multiplied by
    min(1, max_norm / (total_norm + 1e-6)), computed where they live (no device-to-host copy
    unless error_if_nonfinite asks for the check). Returns the total norm (before clipping) as a
    0-d Tensor. `foreach` is accepted for PyTorch compatibility.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    xp = xp_for(grads[0])
    by_dtype = {}
    for g in grads:
        by_dtype.setdefault(g.dtype, []).append(g)
    norms = [kernels_for(group[0]).vector_norms(group, norm_type) for group in by_dtype.values()]
    dtype = np.result_type(*by_dtype)
    stacked = norms[0] if len(norms) == 1 else xp.concatenate([n.astype(dtype) for n in norms])
    total_norm = kernels_for(stacked).vector_norms([stacked], norm_type).reshape(())
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    one = total_norm.dtype.type
    clip_coef = xp.minimum(one(max_norm) / (total_norm + one(1e-6)), one(1.0))
    for g in grads:
        g *= clip_coef.astype(g.dtype)
    return Tensor._wrap(xp.asarray(total_norm))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp_for(g).clip(g, -clip_value, clip_value, out=g)
