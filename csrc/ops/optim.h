// The fused optimizer updates (formulas in cpu/optim.h): param is updated in place (float32 or
// float64, C-contiguous, writeable); grad has its dtype and shape (any strides: the adapter
// reads a C-ordered copy); each state buffer has param's dtype and shape and is updated in
// place; step and mu_product are writeable 0-D float32 scalars. None of them may share memory
// with another (the adapter's aliasing check).
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

void optim_param_check(const Array& param, const Array& grad);
void optim_state_check(const Array& buffer, const char* name, const Array& param);
void optim_scalar_check(const Array& scalar, const char* name);

}  // namespace fastnn::ops
