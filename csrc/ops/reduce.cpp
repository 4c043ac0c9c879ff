#include "ops/reduce.h"

#include <cmath>

#include "ops/checks.h"

namespace fastnn::ops {

SumDimsGeometry sum_dims_check(const Array& x, int64_t dim_begin, int64_t dim_end) {
  require_float(x, "x");
  if (!(0 <= dim_begin && dim_begin <= dim_end && dim_end <= x.ndim))
    value_error("dims [dim_begin, dim_end) must satisfy 0 <= dim_begin <= dim_end <= x.ndim = " +
                std::to_string(x.ndim) + ", got [" + std::to_string(dim_begin) + ", " + std::to_string(dim_end) +
                ") for x of shape " + shape_string(x));
  SumDimsGeometry g{1, 1, 1};
  for (int d = 0; d < x.ndim; ++d) {
    int64_t& part = d < dim_begin ? g.outer : d < dim_end ? g.reduced : g.inner;
    part *= x.shape[d];
  }
  return g;
}

Shape sum_dims_shape(const Array& x, int64_t dim_begin, int64_t dim_end) {
  Shape s;
  for (int d = 0; d < x.ndim; ++d)
    if (d < dim_begin || d >= dim_end) s.push_back(x.shape[d]);
  return s;
}

void vector_norm_ord_check(double ord) {
  if (std::isnan(ord)) value_error("ord must be a real number or +-inf, got nan");
}

void vector_norms_input_check(const Array& x, const Array& first, const char* name) {
  require_float(x, name);
  require_same_dtype(x, first, name, "tensors[0]");
}

}  // namespace fastnn::ops
