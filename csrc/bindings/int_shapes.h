// Shapes as the kernels' plain std::vector<int64_t> and back, for the bindings of the layer
// kernels whose checks live in plain C++ (cpu/padding.h, interpolate.h, group_norm.h,
// pixel_shuffle.h).
#pragma once
#include <cstdint>
#include <vector>

#include "bindings/arrays.h"

namespace fastnn::bindings {

inline std::vector<int64_t> int_shape(const py::array& a) {
  const std::vector<py::ssize_t> shape = shape_of(a);
  return {shape.begin(), shape.end()};
}

inline std::vector<py::ssize_t> py_shape(const std::vector<int64_t>& shape) { return {shape.begin(), shape.end()}; }

}  // namespace fastnn::bindings
