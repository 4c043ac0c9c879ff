"""Independent float64 NumPy implementations of every fastnn kernel, forward and backward.

Written for clarity, never calling fastnn: the oracle every kernel is compared with.
"""
import numpy as np


def f64(x):
    return np.asarray(x, dtype=np.float64)


# ----------------------------------------------------------------------------------------- gemm
def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, bias=None, activation=None):
    """activation(alpha * op(a) @ op(b) + beta * c + bias), computed in float64."""
    opa = f64(a).T if trans_a else f64(a)
    opb = f64(b).T if trans_b else f64(b)
    out = alpha * (opa @ opb)
    if beta != 0.0:
        out = out + beta * f64(c)
    if bias is not None:
        out = out + f64(bias)[None, :]
    if activation == "relu":
        out = np.where(out > 0, out, 0.0)
    return out


# --------------------------------------------------------------------------------------- losses
def reduce_loss(loss, reduction, batch=None):
    """'none' -> elementwise, 'sum' -> total, 'mean' -> total / count, 'batchmean' -> total / batch."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / batch
    return loss.sum() / loss.size


def mse_loss(input, target, reduction="mean"):
    return reduce_loss((f64(input) - f64(target)) ** 2, reduction)


def l1_loss(input, target, reduction="mean"):
    return reduce_loss(np.abs(f64(input) - f64(target)), reduction)


def huber_loss(input, target, delta=1.0, reduction="mean"):
    d = np.abs(f64(input) - f64(target))
    return reduce_loss(np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)


def smooth_l1_loss(input, target, beta=1.0, reduction="mean"):
    d = np.abs(f64(input) - f64(target))
    if beta == 0:
        return reduce_loss(d, reduction)
    return reduce_loss(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    x, t = f64(input), f64(target)
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log(1 - x), -100.0))
    if weight is not None:
        loss = loss * f64(weight)
    return reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """-w [p t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))], the logs via logaddexp."""
    x, t = f64(input), f64(target)
    log_sigmoid = -np.logaddexp(0.0, -x)
    log_one_minus_sigmoid = -np.logaddexp(0.0, x)
    p = 1.0 if pos_weight is None else f64(pos_weight)
    loss = -(p * t * log_sigmoid + (1 - t) * log_one_minus_sigmoid)
    if weight is not None:
        loss = loss * f64(weight)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """var already shaped to broadcast against input."""
    v = np.maximum(f64(var), eps)
    loss = 0.5 * (np.log(v) + (f64(input) - f64(target)) ** 2 / v)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return reduce_loss(loss, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    x, t = f64(input), f64(target)
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        safe = np.where(t > 0, t, 1.0)
        loss = np.where(t > 0, t * np.log(safe), 0.0) - t * x
    return reduce_loss(loss, reduction, batch=x.shape[0] if x.ndim else 1)


# ------------------------------------------------------------------------------ grad clipping
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """(total norm, clipped gradients): the norm of the per-gradient norms, then one common scale."""
    grads = [f64(g) for g in grads]
    if norm_type == np.inf:
        total = max(np.abs(g).max() for g in grads)
    else:
        total = sum((np.abs(g) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    scale = min(max_norm / (total + 1e-6), 1.0)
    return total, [g * scale for g in grads]
