#include "ops/norm.h"

#include "ops/checks.h"

namespace fastnn::ops {

namespace {

// An optional parameter of x's dtype and the given shape; `what` says where the shape comes from.
void param_check(const Array* a, const char* name, const Array& x, const Shape& shape, const char* what) {
  if (!a) return;
  require_float(*a, name);
  require_same_dtype(*a, x, name, "x");
  const std::string why = std::string(what) + " of x, shape " + shape_string(x);
  require_shape(*a, name, shape, why.c_str());
}

// A running statistic (updated in place): exactly x's dtype and [C].
void statistic_check(const Array* a, const char* name, const Array& x, int64_t channels) {
  if (!a) return;
  require_dtype(*a, x.dtype, name);
  require_shape(*a, name, {channels});
}

void eps_check(double eps) {
  if (!(eps >= 0)) value_error("eps must be non-negative, got " + std::to_string(eps));
}

void grad_out_check(const Array& grad_out, const Array& x) {
  require_float(grad_out, "grad_out");
  require_same_dtype(grad_out, x, "grad_out", "x");
  require_same_shape(grad_out, "grad_out", x, "x");
}

ChannelSizes channel_sizes(const Array& x) {
  require_float(x, "x");
  if (x.ndim < 2) value_error("x must be at least 2-D [N, C, ...], got shape " + shape_string(x));
  ChannelSizes v{x.shape[0], x.shape[1], 1};
  for (int d = 2; d < x.ndim; ++d) v.s *= x.shape[d];
  return v;
}

RowSizes row_sizes(const Array& x, const Shape& normalized) {
  require_float(x, "x");
  const int k = normalized.ndim;
  bool trailing = k > 0 && k <= x.ndim;
  for (int d = 0; trailing && d < k; ++d) trailing = x.shape[x.ndim - k + d] == normalized[d];
  if (!trailing)
    value_error("normalized_shape " + shape_string(normalized) +
                " must be non-empty and equal the last dimensions of x, got x of shape " + shape_string(x));
  RowSizes v;
  v.leading = Shape(x.shape, x.ndim - k);
  for (int d = 0; d < v.leading.ndim; ++d) v.rows *= v.leading[d];
  for (int d = 0; d < k; ++d) v.cols *= normalized[d];
  return v;
}

}  // namespace

ChannelSizes batch_norm_forward_check(const Array& x, const Array* weight, const Array* bias,
                                      const Array* running_mean, const Array* running_var, bool training, double eps) {
  const ChannelSizes v = channel_sizes(x);
  param_check(weight, "weight", x, {v.c}, "one per channel");
  param_check(bias, "bias", x, {v.c}, "one per channel");
  statistic_check(running_mean, "running_mean", x, v.c);
  statistic_check(running_var, "running_var", x, v.c);
  if (!training && (!running_mean || !running_var))
    value_error("running_mean and running_var must be arrays when training is False (evaluation normalises with "
                "them), got None");
  eps_check(eps);
  return v;
}

ChannelSizes batch_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean, const Array& invstd,
                                       const Array* weight) {
  const ChannelSizes v = channel_sizes(x);
  grad_out_check(grad_out, x);
  param_check(&mean, "mean", x, {v.c}, "one per channel");
  param_check(&invstd, "invstd", x, {v.c}, "one per channel");
  param_check(weight, "weight", x, {v.c}, "one per channel");
  return v;
}

RowSizes layer_norm_forward_check(const Array& x, const Shape& normalized_shape, const Array* weight,
                                  const Array* bias, double eps) {
  const RowSizes v = row_sizes(x, normalized_shape);
  param_check(weight, "weight", x, normalized_shape, "normalized_shape, the last dimensions");
  param_check(bias, "bias", x, normalized_shape, "normalized_shape, the last dimensions");
  eps_check(eps);
  return v;
}

RowSizes layer_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean, const Array& rstd,
                                   const Shape& normalized_shape, const Array* weight) {
  const RowSizes v = row_sizes(x, normalized_shape);
  grad_out_check(grad_out, x);
  param_check(&mean, "mean", x, v.leading, "one per row");
  param_check(&rstd, "rstd", x, v.leading, "one per row");
  param_check(weight, "weight", x, normalized_shape, "normalized_shape, the last dimensions");
  return v;
}

}  // namespace fastnn::ops
