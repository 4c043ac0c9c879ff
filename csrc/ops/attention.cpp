#include "ops/attention.h"

#include <cmath>

#include "ops/checks.h"

namespace fastnn::ops {

cpu::AttentionSizes attention_check(const Array& q, const Array& k, const Array& v, const Array* mask, bool is_causal,
                                    double scale) {
  require_float(q, "query");
  require_ndim(q, 3, "query");
  require_ndim(k, 3, "key");
  require_ndim(v, 3, "value");
  require_same_dtype(k, q, "key", "query");
  require_same_dtype(v, q, "value", "query");
  if (k.shape[0] != q.shape[0] || v.shape[0] != q.shape[0])
    value_error("query, key and value must have the same batch size N (shape[0]), got query " + shape_string(q) +
                ", key " + shape_string(k) + ", value " + shape_string(v));
  if (k.shape[2] != q.shape[2])
    value_error("key must have the embedding size of query (shape[2] = " + std::to_string(q.shape[2]) +
                "), got key of shape " + shape_string(k));
  if (v.shape[1] != k.shape[1])
    value_error("value must have as many positions as key (shape[1] = " + std::to_string(k.shape[1]) +
                "), got value of shape " + shape_string(v));
  const cpu::AttentionSizes s{q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2]};
  if (mask) {
    if (is_causal) value_error("attn_mask must be None when is_causal=True (the causal mask is implied)");
    require_same_dtype(*mask, q, "attn_mask", "query");
    require_ndim(*mask, 3, "attn_mask");
    const int64_t want[3] = {s.n, s.tq, s.tk};
    for (int d = 0; d < 3; ++d)
      if (mask->shape[d] != want[d] && mask->shape[d] != 1)
        value_error("attn_mask must broadcast to (N, Tq, Tk) = " + shape_string(Shape{s.n, s.tq, s.tk}) +
                    ", got shape " + shape_string(*mask));
  }
  if (!std::isfinite(scale)) value_error("scale must be finite, got " + std::to_string(scale));
  return s;
}

void attention_backward_check(const Array& grad_out, const Array& q, const cpu::AttentionSizes& s, bool has_mask,
                              bool need_grad_mask) {
  require_same_dtype(grad_out, q, "grad_out", "query");
  require_shape(grad_out, "grad_out", {s.n, s.tq, s.ev}, "N, Tq, Ev");
  if (need_grad_mask && !has_mask) value_error("need_grad_mask=True needs an attn_mask");
}

}  // namespace fastnn::ops
