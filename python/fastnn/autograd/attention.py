"""Fused scaled dot-product attention: softmax(scale * Q K^T + M) V over [*, T, E] blocks.

query [*, Tq, E], key [*, Tk, E], value [*, Tk, Ev] with equal leading dims (the caller
broadcasts); attn_mask is None or an additive float mask broadcastable to [*, Tq, Tk]. The kernels
see [N, T, E] blocks (leading dims flattened). Backward recomputes the probabilities, so only the
inputs are kept; the mask gets a gradient only when it needs one.
"""
import math

from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.arithmetic import sum_to_shape
from fastnn.autograd.engine import Function


def _blocks(x, n):
    """x as C-contiguous [N, T, E] blocks (the device kernels take no strided views)."""
    return xp_for(x).ascontiguousarray(x.reshape((n,) + x.shape[-2:]))


def _mask_blocks(mask, lead, tq, tk, n):
    """The mask as [N, Tq, Tk], a broadcast view where NumPy can keep one (stride 0), else a copy."""
    if mask is None:
        return None
    return xp_for(mask).broadcast_to(mask, lead + (tq, tk)).reshape(n, tq, tk)


class ScaledDotProductAttention(Function):
    @staticmethod
    def forward(ctx, query, key, value, attn_mask, is_causal, scale):
        lead, tq, tk = query.shape[:-2], query.shape[-2], key.shape[-2]
        n = math.prod(lead)
        q, k, v = _blocks(query, n), _blocks(key, n), _blocks(value, n)
        mask = _mask_blocks(attn_mask, lead, tq, tk, n)
        out = kernels_for(q).attention_forward(q, k, v, mask, is_causal, scale, None)
        ctx.save_for_backward(q, k, v, mask)
        ctx.options = (is_causal, scale)
        ctx.shapes = (query.shape, key.shape, value.shape, None if attn_mask is None else attn_mask.shape)
        return out.reshape(lead + (tq, value.shape[-1]))

    @staticmethod
    def backward(ctx, grad):
        q, k, v, mask = ctx.saved_tensors
        is_causal, scale = ctx.options
        q_shape, k_shape, v_shape, mask_shape = ctx.shapes
        need_mask = mask is not None and ctx.needs_input_grad[3]
        grad_out = xp_for(grad).ascontiguousarray(grad.reshape(q.shape[:2] + (v.shape[2],)))
        dq, dk, dv, dmask = kernels_for(q).attention_backward(grad_out, q, k, v, mask, is_causal, scale, need_mask)
        if need_mask:
            dmask = sum_to_shape(dmask.reshape(q_shape[:-2] + dmask.shape[1:]), mask_shape)
        return dq.reshape(q_shape), dk.reshape(k_shape), dv.reshape(v_shape), dmask, None, None
