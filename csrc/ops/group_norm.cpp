#include "ops/group_norm.h"

#include "ops/checks.h"

namespace fastnn::ops {

namespace {

cpu::GroupNormGeometry geometry(const Array& x, int64_t num_groups) {
  require_float(x, "x");
  if (x.ndim < 2)
    value_error("x must be at least 2-D [N, C, *], got " + std::to_string(x.ndim) + " dimensions");
  if (num_groups <= 0) value_error("num_groups must be positive, got " + std::to_string(num_groups));
  cpu::GroupNormGeometry g{x.shape[0], x.shape[1], 1, num_groups};
  if (g.c % num_groups != 0)
    value_error("Expected number of channels in input to be divisible by num_groups, but got input of " +
                std::to_string(g.c) + " channels and num_groups=" + std::to_string(num_groups));
  for (int d = 2; d < x.ndim; ++d) g.s *= x.shape[d];
  return g;
}

// An optional array of x's dtype and the given shape.
void param_check(const Array* a, const char* name, const Array& x, const Shape& shape) {
  if (!a) return;
  require_float(*a, name);
  require_same_dtype(*a, x, name, "x");
  require_shape(*a, name, shape);
}

}  // namespace

cpu::GroupNormGeometry group_norm_forward_check(const Array& x, int64_t num_groups, const Array* weight,
                                                const Array* bias, double eps) {
  const cpu::GroupNormGeometry g = geometry(x, num_groups);
  param_check(weight, "weight", x, {g.c});
  param_check(bias, "bias", x, {g.c});
  if (!(eps >= 0)) value_error("eps must be non-negative, got " + std::to_string(eps));
  return g;
}

cpu::GroupNormGeometry group_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean,
                                                 const Array& rstd, int64_t num_groups, const Array* weight) {
  const cpu::GroupNormGeometry g = geometry(x, num_groups);
  require_float(grad_out, "grad_out");
  require_same_dtype(grad_out, x, "grad_out", "x");
  require_same_shape(grad_out, "grad_out", x, "x");
  param_check(&mean, "mean", x, {g.n, g.groups});
  param_check(&rstd, "rstd", x, {g.n, g.groups});
  param_check(weight, "weight", x, {g.c});
  return g;
}

}  // namespace fastnn::ops
