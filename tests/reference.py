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
