// Gather and scatter-add along one dim (cpu/gather.h): the source of gather x, and the out of
// scatter_add (updated in place), are float32/float64 arrays of ndim dims with 0 <= dim < ndim;
// index is int64 (the adapter's index_input converts any integer dtype) with ndim dims, the
// sizes of x (or out) at every dim but `dim`, each value in [0, N) where N is the size at dim.
// gather's out has index's shape and x's dtype; scatter_add's src has index's shape and out's
// dtype.
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

// The [O, N, I] / [O, K, I] view of the arrays around dim.
struct GatherGeometry {
  int64_t o = 1, n = 1, k = 1, i = 1;
};

// x_name: "x" (gather) or "out" (scatter_add), the array seen as [O, N, I].
GatherGeometry gather_check(const Array& x, const char* x_name, const Array& index, int64_t dim);
void scatter_add_check(const Array& out, const Array& src, const Array& index);
// IndexOutOfRangeError naming the first index outside [0, n). It reads the values: host memory
// only (host_index_values); a device backend checks them on the device and reports the first
// bad value through gather_index_out_of_range (the bindings call Backend::gather_indices_check).
void gather_index_check(const Array& index, int64_t n);
[[noreturn]] void gather_index_out_of_range(int64_t value, int64_t n);

}  // namespace fastnn::ops
