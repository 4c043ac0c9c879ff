"""Max unpooling: out[plane, indices[plane, k]] = x[plane, k] in an output of zeros (each plane
[*, *spatial] flattened); backward gathers the gradient at the same indices. Indices are flat
positions within an output plane, as max_pool returns them."""
import math

from fastnn._backend import xp_for
from fastnn.autograd.engine import Function


class MaxUnpool(Function):
    @staticmethod
    def forward(ctx, x, indices, output_size):
        xp = xp_for(x)
        dims = len(output_size)
        lead = x.shape[:-dims]
        plane = math.prod(output_size)
        flat_x = x.reshape(-1, math.prod(x.shape[-dims:]))
        flat_i = indices.reshape(flat_x.shape).astype(xp.int64, copy=False)
        if flat_i.size and (int(flat_i.min()) < 0 or int(flat_i.max()) >= plane):
            raise ValueError(f"Found an invalid max index: indices must lie in [0, {plane}) for an output of spatial "
                             f"size {tuple(output_size)}, got values in [{int(flat_i.min())}, {int(flat_i.max())}]")
        out = xp.zeros((flat_x.shape[0], plane), dtype=x.dtype)
        xp.put_along_axis(out, flat_i, flat_x, axis=1)
        ctx.save_for_backward(flat_i)
        ctx.input_shape = x.shape
        return out.reshape(lead + tuple(output_size))

    @staticmethod
    def backward(ctx, grad):
        (flat_i,) = ctx.saved_tensors
        xp = xp_for(grad)
        flat_g = grad.reshape(flat_i.shape[0], -1)
        return xp.take_along_axis(flat_g, flat_i, axis=1).reshape(ctx.input_shape), None, None
