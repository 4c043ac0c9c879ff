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
// "(3, 4)" for a shape given as a vector.
std::string shape_string(const std::vector<py::ssize_t>& shape);
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

// Raises fastnn.errors.IndexOutOfRangeError (an IndexError and a ValueError) with `message`.
[[noreturn]] void throw_index_out_of_range(const std::string& message);

// Stride of dimension d in elements; arrays whose strides are not whole elements are copied
// by float_array, so this is exact.
inline int64_t elem_stride(const py::array& a, int d) { return a.strides(d) / static_cast<int64_t>(a.itemsize()); }

// A new C-contiguous array of a's dtype and the given shape.
py::array empty_like_dtype(const py::array& like, const std::vector<py::ssize_t>& shape);

bool is_float32(const py::array& a);

// The shape of a as a vector.
std::vector<py::ssize_t> shape_of(const py::array& a);

// An input as a C-contiguous array: a itself when it is one, else a C-ordered copy.
py::array c_contiguous(const py::array& a);

// The output argument `name` of a kernel: a new C-ordered array of `dtype` and `shape` when obj
// is None; otherwise obj itself, which must be an ndarray of exactly that dtype (TypeError) and
// shape, C-contiguous and writeable (ValueError). Outputs are never converted: a converted
// output would be a temporary copy that the caller never sees.
py::array output_array(py::handle obj, const char* name, const py::dtype& dtype, const std::vector<py::ssize_t>& shape);

// ValueError if out shares memory with in, unless it is the very same buffer (an elementwise
// kernel may run in place; both are C-contiguous with the same size).
void require_same_or_no_overlap(const py::array& out, const char* out_name, const py::array& in, const char* in_name);

// ValueError unless b has the shape of a.
void require_same_shape(const py::array& b, const char* b_name, const py::array& a, const char* a_name);

}  // namespace fastnn::bindings
