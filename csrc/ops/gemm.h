// The gemm op: C = act(alpha * op(a) @ op(b) + beta * c + bias), op = identity or transpose.
// Checks: a, b float32/float64 2-D of one dtype, any strides; inner sizes agree; bias [n] of
// that dtype; beta == 0 when no c is given (nothing to scale); c (m, n) any whole-element
// strides (the adapter checks it against the inferred shape).
#pragma once
#include <string>

#include "ops/array.h"

namespace fastnn::ops {

enum class GemmActivation { none, relu };

struct GemmSizes {
  int64_t m = 0, n = 0, k = 0;
};

// "relu" / "none" (the string form of activation=); ValueError otherwise.
GemmActivation parse_gemm_activation(const std::string& name);

GemmSizes gemm_check(const Array& a, bool trans_a, const Array& b, bool trans_b, const Array* bias, double beta,
                     bool has_c);

}  // namespace fastnn::ops
