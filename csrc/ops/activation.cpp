#include "ops/activation.h"

#include "ops/checks.h"

namespace fastnn::ops {

GeluApproximation parse_gelu_approximation(const std::string& name) {
  if (name == "none") return GeluApproximation::none;
  if (name == "tanh") return GeluApproximation::tanh;
  value_error("approximate must be 'none' or 'tanh', got '" + name + "'");
}

void activation_forward_check(const Array& x) { require_float(x, "x"); }

void activation_backward_check(const Array& grad_out, const Array& saved, const char* saved_name) {
  require_float(grad_out, "grad_out");
  require_same_dtype(saved, grad_out, saved_name, "grad_out");
  require_same_shape(saved, saved_name, grad_out, "grad_out");
}

}  // namespace fastnn::ops
