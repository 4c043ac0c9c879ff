"""Embedding lookup: out[..., :] = weight[indices[...], :]. Backward scatter-adds the output
gradient into a dense weight gradient (deterministic for any thread count); the row padding_idx
gets none. The indices are a constant (no gradient)."""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


class Embedding(Function):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.save_for_backward(indices)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = -1 if padding_idx is None else padding_idx
        return kernels_for(weight).embedding_forward(weight, indices, None)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        grad_weight = kernels_for(grad).embedding_backward(grad, indices, ctx.num_embeddings, ctx.padding_idx, None)
        return grad_weight, None, None
