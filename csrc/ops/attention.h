// Scaled dot-product attention (cpu/attention.h): query [N, Tq, E], key [N, Tk, E], value
// [N, Tk, Ev] of one float dtype; attn_mask None or an additive float mask of that dtype,
// 3-D and broadcastable to [N, Tq, Tk] (size-1 dims broadcast), exclusive with is_causal; scale
// finite. Output [N, Tq, Ev]; backward's grad_out has that shape.
#pragma once
#include "cpu/attention.h"
#include "ops/array.h"

namespace fastnn::ops {

cpu::AttentionSizes attention_check(const Array& q, const Array& k, const Array& v, const Array* mask, bool is_causal,
                                    double scale);
void attention_backward_check(const Array& grad_out, const Array& q, const cpu::AttentionSizes& s, bool has_mask,
                              bool need_grad_mask);

// The mask's element strides for the kernel: 0 along broadcast (size-1) dimensions.
template <class T>
cpu::AttentionMask<T> attention_mask(const Array* mask, bool is_causal) {
  cpu::AttentionMask<T> m;
  m.causal = is_causal;
  if (mask) {
    m.additive = mask->in<T>();
    m.stride_n = mask->shape[0] == 1 ? 0 : mask->strides[0];
    m.stride_q = mask->shape[1] == 1 ? 0 : mask->strides[1];
    m.stride_k = mask->shape[2] == 1 ? 0 : mask->strides[2];
  }
  return m;
}

}  // namespace fastnn::ops
