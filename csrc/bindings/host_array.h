// The host array adapter: NumPy arrays in, ops::Array descriptors out, for one kernel call.
//
// Inputs are read through const descriptors, so read-only arrays are fine; an input in
// non-native byte order, or with strides that are not whole elements, is converted (and, for
// Layout::contiguous, made C-contiguous) into a copy the call owns. Outputs are never
// converted (a converted output would be a temporary the caller never sees): they must be
// writeable, native-order arrays of exactly the expected dtype and shape, or None (allocated).
// Every array converted by the call is recorded, and check_aliasing() applies the one aliasing
// rule of ops/checks.h to all of them.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <new>
#include <string>

#include "bindings/array_registry.h"
#include "ops/checks.h"

namespace fastnn::bindings {

namespace py = pybind11;

// What a kernel needs of an array's layout: C order, or any strides of whole elements.
enum class Layout { contiguous, strided };

// "list", "numpy.ndarray", ...: the type name of a Python object, for messages.
std::string type_name(py::handle obj);

// "dtype float32", or "the dtype of a (float32)" when `source` names where it comes from.
std::string expected_dtype(ops::DType dtype, const char* source);

// The descriptor of a NumPy array (no checks, no conversion); type_name points into `storage`
// when the dtype has no ops::DType.
ops::Array describe(const py::array& a, std::string& storage);

class HostCall : public ArrayRegistry {
 public:
  // No CUDA stream on the host; the kernels of a host backend take none.
  struct Stream {};

  // An input array of any dtype (the op description checks it).
  const ops::Array& input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  // None as null, else input().
  const ops::Array* optional_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  // input() of a float32/float64 array (TypeError otherwise), and its optional form.
  const ops::Array& float_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  const ops::Array* optional_float_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  // An integer array of any integer dtype as C-contiguous int64; a uint64 value above INT64_MAX
  // is an IndexError naming `name` and the position (it would wrap to a negative index).
  const ops::Array& index_input(py::handle obj, const char* name);
  // An output of `dtype` and `shape`: allocated when obj is None, else obj itself, checked.
  // dtype_source (may be null) names the argument the dtype comes from, for the message.
  ops::Array& output(py::handle obj, const char* name, ops::DType dtype, const ops::Shape& shape,
                     Layout layout = Layout::contiguous, const char* dtype_source = nullptr);
  // An array the kernel updates in place (a parameter, a state buffer): obj itself, writeable,
  // native byte order, C-contiguous; the op description checks its dtype and shape.
  ops::Array& in_out(py::handle obj, const char* name);
  // None as null, else in_out().
  ops::Array* optional_in_out(py::handle obj, const char* name);
  // A new C-contiguous array (a result the kernel fills; nothing to check).
  ops::Array& allocate(const char* name, ops::DType dtype, const ops::Shape& shape);

  Stream stream() const { return {}; }

 private:
  ops::Array& add(py::object obj, const char* name, bool output);
};

}  // namespace fastnn::bindings
