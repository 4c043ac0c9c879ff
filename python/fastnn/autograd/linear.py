"""y = x @ W^T + b (optionally followed by ReLU, fused into the gemm epilogue).

x: [*, in], W: [out, in] (PyTorch's layout), b: [out]. Forward is one gemm with the bias (and
ReLU) in its epilogue; backward is two gemms (dx = dy @ W, dW = dy^T @ x) and a column sum.
"""
from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.arithmetic import matmul2d, sum_axes
from fastnn.autograd.engine import Function


def _as_rows(x):
    return x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x


def _check(x, weight, bias):
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has shape {tuple(x.shape)} but weight has shape {tuple(weight.shape)}; "
                         f"the input's last dimension must be in_features={weight.shape[1]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    if x.dtype != weight.dtype:
        raise TypeError(f"linear: input has dtype {x.dtype} but weight has dtype {weight.dtype}")


def _gemm_kernel(x, weight):
    return kernels_for(x).gemm if x.dtype.kind == "f" and x.dtype.itemsize in (4, 8) else None


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias=None, activation=None):
        _check(x, weight, bias)
        rows = _as_rows(x)
        gemm = _gemm_kernel(x, weight)
        if gemm is not None:
            out = gemm(rows, weight, trans_b=True, bias=bias, activation=activation)
        else:
            out = rows @ weight.T + (0 if bias is None else bias)
            if activation == "relu":
                out = xp_for(out).maximum(out, 0)
        ctx.save_for_backward(x, weight, out if activation == "relu" else None)
        ctx.has_bias = bias is not None
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight, relu_out = ctx.saved_tensors
        grad_rows = _as_rows(grad)
        if relu_out is not None:
            grad_rows = grad_rows * (relu_out > 0)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = matmul2d(grad_rows, weight).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_w = matmul2d(grad_rows, _as_rows(x), trans_a=True)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = sum_axes(grad_rows, (0,))
        return grad_x, grad_w, grad_b
