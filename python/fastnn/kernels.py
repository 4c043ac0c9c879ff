"""Direct, allocation-explicit access to fastnn's kernels on NumPy arrays.

Each function validates its arguments (dtype, shape, writeability, aliasing) and raises
TypeError/ValueError naming the argument, the expected and the actual value.
"""
from fastnn import _C


def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, bias=None, activation=None):
    """C = activation(alpha * op(a) @ op(b) + beta * c + bias), op = identity or transpose.

    a, b: 2-D float32/float64 arrays of one dtype, any strides. c: None (allocated, C-order) or a
    writeable array of shape (m, n) that shares no memory with a or b. bias: length-n vector
    broadcast over rows. activation: None or "relu". Returns c.
    """
    return _C.gemm(a, b, c, alpha, beta, trans_a, trans_b, bias, activation)
