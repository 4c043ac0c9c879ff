#include "ops/optim.h"

#include "ops/checks.h"

namespace fastnn::ops {

void optim_param_check(const Array& param, const Array& grad) {
  require_float(param, "param");
  require_same_dtype(grad, param, "grad", "param");
  require_same_shape(grad, "grad", param, "param");
}

void optim_state_check(const Array& buffer, const char* name, const Array& param) {
  require_same_dtype(buffer, param, name, "param");
  require_same_shape(buffer, name, param, "param");
}

void optim_scalar_check(const Array& scalar, const char* name) {
  require_dtype(scalar, DType::float32, name);
  require_ndim(scalar, 0, name);
}

}  // namespace fastnn::ops
