// Reductions autograd and gradient clipping need (cpu/reduce.h): sum_dims sums a C-contiguous
// float32/float64 array over one run of consecutive dims [dim_begin, dim_end) (the output has x's
// shape without them); vector_norms takes the ord-norm of each of several arrays of one dtype
// (ord any real or +-inf, not NaN; 0 counts the non-zero elements).
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

// x seen as [outer, reduced, inner]: dims before, inside and after the run.
struct SumDimsGeometry {
  int64_t outer, reduced, inner;
};

// ValueError unless 0 <= dim_begin <= dim_end <= x.ndim; TypeError unless x is float.
SumDimsGeometry sum_dims_check(const Array& x, int64_t dim_begin, int64_t dim_end);
// x's shape without dims [dim_begin, dim_end) (checked by sum_dims_check first).
Shape sum_dims_shape(const Array& x, int64_t dim_begin, int64_t dim_end);

// ValueError for a NaN ord.
void vector_norm_ord_check(double ord);
// TypeError unless x is float with the dtype of the first array (`name` is e.g. "tensors[3]").
void vector_norms_input_check(const Array& x, const Array& first, const char* name);

}  // namespace fastnn::ops
