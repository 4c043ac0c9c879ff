"""MultiheadAttention: PyTorch's parameters, state_dict keys, initialisation and forward semantics.

Projections q = query W_q^T + b_q (likewise k, v) split into num_heads heads of head_dim =
embed_dim / num_heads; per head softmax(q k^T / sqrt(head_dim) + mask) v; the heads concatenated
and projected by out_proj. Weights live in in_proj_weight [3E, E] (W_q, W_k, W_v stacked) when
kdim = vdim = embed_dim, else in q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight
[E, vdim]; in_proj_bias [3E]. With need_weights=False the heads run in the fused attention
kernel; need_weights=True composes the same formula to return the attention weights (after
dropout, averaged over heads unless average_attn_weights=False), as PyTorch does.
"""
import math

import numpy as np

from fastnn.nn import functional as F
from fastnn.nn import init
from fastnn.nn.linear import Linear
from fastnn.nn.module import Module
from fastnn.nn.parameter import Parameter


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported by fastnn")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = False
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.bias_k = self.bias_v = None
        self._reset_parameters()
        if device is not None:
            self.to(device)

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _projection_weights(self):
        """(W_q, W_k, W_v) and (b_q, b_k, b_v) (None when bias=False)."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return weights, biases

    def _check_inputs(self, query, key, value, key_padding_mask, attn_mask):
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D "
                             f"(unbatched), got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        for name, tensor, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                                   ("value", value, self.vdim)):
            if tensor.shape[-1] != size:
                raise ValueError(f"MultiheadAttention: {name} must have last dimension {size}, got shape "
                                 f"{tuple(tensor.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key and value must agree in sequence and batch dims, got "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        if query.ndim == 3:
            batch_dim = 0 if self.batch_first else 1
            if key.shape[batch_dim] != query.shape[batch_dim]:
                raise ValueError(f"MultiheadAttention: query and key must have the same batch size, got shapes "
                                 f"{tuple(query.shape)} and {tuple(key.shape)}")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Returns (attn_output, attn_weights or None). Batched inputs are [L, N, E] ([N, L, E] with
        batch_first); unbatched ones [L, E]. Masks: key_padding_mask [N, S] or [S], attn_mask [L, S]
        or [N * num_heads, L, S]; bool True = masked, float = added."""
        self._check_inputs(query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True needs attn_mask (the causal mask itself); is_causal "
                             "is a hint that lets the fused kernel build it")
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask[None]
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        n, tq, tk = query.shape[0], query.shape[1], key.shape[1]
        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projection_weights()
        q, k, v = (self._heads(F.linear(x, w, b)) for x, w, b in
                   ((query, w_q, b_q), (key, w_k, b_k), (value, w_v, b_v)))
        use_causal_kernel = is_causal and key_padding_mask is None and not need_weights
        bias = None if use_causal_kernel else self._merged_mask(attn_mask, key_padding_mask, n, tq, tk, query.dtype)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            weights = F._attention_weights(q, k, bias, 1.0 / math.sqrt(self.head_dim), zero_hidden_rows=False)
            if dropout_p > 0.0:
                weights = F.dropout(weights, dropout_p, training=True)
            out = weights @ v
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        else:
            out = F.scaled_dot_product_attention(q, k, v, bias, dropout_p, use_causal_kernel)
        out = self.out_proj(out.permute(0, 2, 1, 3).reshape(n, tq, self.embed_dim))
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _heads(self, x):
        """[N, T, E] -> [N, num_heads, T, head_dim]."""
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def _merged_mask(self, attn_mask, key_padding_mask, n, tq, tk, dtype):
        """attn_mask and key_padding_mask as one additive mask broadcastable to [N, H, L, S]."""
        mask = F._additive_mask(attn_mask, dtype, keep_where_true=False)
        if mask is not None:
            if mask.ndim == 2 and tuple(mask.shape) == (tq, tk):
                mask = mask.reshape(1, 1, tq, tk)
            elif mask.ndim == 3 and tuple(mask.shape) == (n * self.num_heads, tq, tk):
                mask = mask.reshape(n, self.num_heads, tq, tk)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must have shape ({tq}, {tk}) or "
                                 f"({n * self.num_heads}, {tq}, {tk}), got {tuple(mask.shape)}")
        padding = F._additive_mask(key_padding_mask, dtype, keep_where_true=False)
        if padding is not None:
            if tuple(padding.shape) != (n, tk):
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape ({n}, {tk}), got "
                                 f"{tuple(padding.shape)}")
            padding = padding.reshape(n, 1, 1, tk)
            mask = padding if mask is None else mask + padding
        return mask

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
