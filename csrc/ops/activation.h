// The elementwise activations: forward y = f(x), backward dx = dy * f'(x) from the input x or,
// for sigmoid and tanh, the output y. x, dy and the saved array are float32/float64 arrays of
// one dtype and shape; the output has that shape and may be the input itself (in place).
#pragma once
#include <string>

#include "ops/array.h"

namespace fastnn::ops {

enum class GeluApproximation { none, tanh };

// "none" / "tanh" (gelu's approximate=); ValueError otherwise.
GeluApproximation parse_gelu_approximation(const std::string& name);

void activation_forward_check(const Array& x);
void activation_backward_check(const Array& grad_out, const Array& saved, const char* saved_name);

}  // namespace fastnn::ops
