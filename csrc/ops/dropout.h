// Dropout (cpu/dropout.h): p in [0, 1] (NaN refused); x and grad_out float32/float64 of any
// shape; the forward's mask output is uint8 of x's shape, the backward's mask uint8 or bool of
// grad_out's shape. out has the input's shape and dtype and may be that input itself.
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

// ValueError unless 0 <= p <= 1.
void dropout_p_check(double p);
void dropout_forward_check(const Array& x);
void dropout_backward_check(const Array& grad_out, const Array& mask);

}  // namespace fastnn::ops
