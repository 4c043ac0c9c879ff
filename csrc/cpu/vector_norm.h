// The arithmetic of a vector norm of order `ord`, shared by the CPU kernel (cpu/reduce.cpp) and
// the CUDA kernel (cuda/reduce.cu), host and device code: each element contributes term(x), the
// terms combine with combine() from identity(), and finish() turns the combination into the norm.
//   ord  inf: max |x|   -inf: min |x|   0: count of x != 0   1: sum |x|   2: sqrt(sum x^2)
//   else (sum |x|^ord)^(1/ord)
// Terms are accumulated in double for float32 and float64 alike. max and min propagate NaN, as
// PyTorch's do; the norm of no elements is the identity's (0; +inf for ord -inf).
#pragma once
#include <cmath>

#include "core/host_device.h"

namespace fastnn::cpu {

enum class NormKind { max_abs, min_abs, count_nonzero, sum_abs, sum_squares, sum_powers };

struct VectorNorm {
  NormKind kind;
  double ord;

  FASTNN_HOST_DEVICE static VectorNorm of_order(double ord) {
    const NormKind kind = ord == INFINITY    ? NormKind::max_abs
                          : ord == -INFINITY ? NormKind::min_abs
                          : ord == 0.0       ? NormKind::count_nonzero
                          : ord == 1.0       ? NormKind::sum_abs
                          : ord == 2.0       ? NormKind::sum_squares
                                             : NormKind::sum_powers;
    return {kind, ord};
  }

  FASTNN_HOST_DEVICE double identity() const { return kind == NormKind::min_abs ? INFINITY : 0.0; }

  FASTNN_HOST_DEVICE double term(double x) const {
    switch (kind) {
      case NormKind::count_nonzero: return x != 0.0 ? 1.0 : 0.0;
      case NormKind::sum_squares: return x * x;
      case NormKind::sum_powers: return ::pow(::fabs(x), ord);
      default: return ::fabs(x);
    }
  }

  FASTNN_HOST_DEVICE double combine(double a, double b) const {
    switch (kind) {
      case NormKind::max_abs: return a != a || a > b ? a : b;
      case NormKind::min_abs: return a != a || a < b ? a : b;
      default: return a + b;
    }
  }

  FASTNN_HOST_DEVICE double finish(double acc) const {
    switch (kind) {
      case NormKind::sum_squares: return ::sqrt(acc);
      case NormKind::sum_powers: return ::pow(acc, 1.0 / ord);
      default: return acc;
    }
  }
};

}  // namespace fastnn::cpu
