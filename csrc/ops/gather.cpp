#include "ops/gather.h"

#include "ops/checks.h"

namespace fastnn::ops {

GatherGeometry gather_check(const Array& x, const char* x_name, const Array& index, int64_t dim) {
  require_float(x, x_name);
  require_dtype(index, DType::int64, "index");
  if (index.ndim != x.ndim)
    value_error("index must have the input's number of dimensions (" + std::to_string(x.ndim) + "), got " +
                std::to_string(index.ndim));
  if (dim < 0 || dim >= x.ndim)
    value_error("dim must be in [0, " + std::to_string(x.ndim) + "), got " + std::to_string(dim));
  GatherGeometry g;
  for (int d = 0; d < x.ndim; ++d) {
    if (d != dim && index.shape[d] != x.shape[d])
      value_error("index must match the input's size " + std::to_string(x.shape[d]) + " at dimension " +
                  std::to_string(d) + ", got " + std::to_string(index.shape[d]));
    if (d < dim) g.o *= x.shape[d];
    if (d > dim) g.i *= x.shape[d];
  }
  g.n = x.shape[dim];
  g.k = index.shape[dim];
  return g;
}

void scatter_add_check(const Array& out, const Array& src, const Array& index) {
  require_float(src, "src");
  require_same_dtype(out, src, "out", "src");
  require_same_shape(src, "src", index, "index");
}

void gather_index_check(const Array& index, int64_t n) {
  const int64_t* v = host_index_values(index, "index");
  for (int64_t p = 0, count = index.size(); p < count; ++p)
    if (v[p] < 0 || v[p] >= n) gather_index_out_of_range(v[p], n);
}

void gather_index_out_of_range(int64_t value, int64_t n) {
  index_error("index " + std::to_string(value) + " is out of bounds for dimension with size " + std::to_string(n));
}

}  // namespace fastnn::ops
