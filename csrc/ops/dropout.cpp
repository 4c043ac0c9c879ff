#include "ops/dropout.h"

#include "ops/checks.h"

namespace fastnn::ops {

void dropout_p_check(double p) {
  if (!(p >= 0.0 && p <= 1.0)) value_error("p must be in [0, 1], got " + std::to_string(p));
}

void dropout_forward_check(const Array& x) { require_float(x, "x"); }

void dropout_backward_check(const Array& grad_out, const Array& mask) {
  require_float(grad_out, "grad_out");
  if (mask.dtype != DType::uint8 && mask.dtype != DType::bool_)
    type_error(std::string("mask must have dtype uint8 or bool, got ") + mask.type_name);
  require_same_shape(mask, "mask", grad_out, "grad_out");
}

}  // namespace fastnn::ops
