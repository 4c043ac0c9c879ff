// Argument checking shared by the bindings: every check raises TypeError/ValueError naming the
// argument, what was expected and what came, before any kernel sees a pointer.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fastnn::bindings {

namespace py = pybind11;

// "(3, 4)"
std::string shape_string(const py::array& a);
// "float32", "int64", "<U3", ...
std::string dtype_string(const py::array& a);

// A floating-point ndarray (float32 or float64), or TypeError naming `name`.
py::array float_array(py::handle obj, const char* name);
// ValueError unless a.ndim() == ndim.
void require_ndim(const py::array& a, int ndim, const char* name);
// TypeError unless a has the same dtype as `like` (named like_name).
void require_same_dtype(const py::array& a, const py::array& like, const char* name, const char* like_name);
// ValueError unless a is writeable.
void require_writeable(const py::array& a, const char* name);
// ValueError if the memory of a and b may overlap.
void require_no_overlap(const py::array& out, const char* out_name, const py::array& in, const char* in_name);

// Stride of dimension d in elements; arrays whose strides are not whole elements are copied
// by float_array, so this is exact.
inline int64_t elem_stride(const py::array& a, int d) { return a.strides(d) / static_cast<int64_t>(a.itemsize()); }

// A new C-contiguous array of a's dtype and the given shape.
py::array empty_like_dtype(const py::array& like, const std::vector<py::ssize_t>& shape);

bool is_float32(const py::array& a);

}  // namespace fastnn::bindings
