#include "bindings/arrays.h"

#include <algorithm>

namespace fastnn::bindings {

std::string shape_string(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    if (d) s += ", ";
    s += std::to_string(a.shape(d));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d) s += ", ";
    s += std::to_string(shape[d]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string dtype_string(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

bool is_float32(const py::array& a) { return a.dtype().kind() == 'f' && a.itemsize() == 4; }

py::array float_array(py::handle obj, const char* name) {
  if (!py::isinstance<py::array>(obj)) {
    std::string type = py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
    throw py::type_error(std::string(name) + " must be a numpy.ndarray of float32 or float64, got " + type);
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (a.dtype().byteorder() == (PY_LITTLE_ENDIAN ? '>' : '<')) {  // the same values in native byte order
    py::object native = a.attr("astype")(a.dtype().attr("newbyteorder")("="));
    a = py::reinterpret_borrow<py::array>(native);
  }
  if (a.dtype().kind() != 'f' || (a.itemsize() != 4 && a.itemsize() != 8))
    throw py::type_error(std::string(name) + " must have dtype float32 or float64, got " + dtype_string(a));
  for (py::ssize_t d = 0; d < a.ndim(); ++d)
    if (a.strides(d) % a.itemsize() != 0)  // strides that are not whole elements: work on a copy
      return py::array::ensure(a, py::array::c_style);
  return a;
}

void require_ndim(const py::array& a, int ndim, const char* name) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got shape " +
                          shape_string(a) + " (" + std::to_string(a.ndim()) + "-D)");
}

void require_same_dtype(const py::array& a, const py::array& like, const char* name, const char* like_name) {
  if (!a.dtype().is(like.dtype()) && a.dtype().num() != like.dtype().num())
    throw py::type_error(std::string(name) + " must have the dtype of " + like_name + " (" + dtype_string(like) +
                         "), got " + dtype_string(a));
}

void require_writeable(const py::array& a, const char* name) {
  if (!a.writeable()) throw py::value_error(std::string(name) + " must be writeable, got a read-only array");
}

// [lowest, highest] byte addresses an array can touch.
static void byte_extent(const py::array& a, intptr_t* lo, intptr_t* hi) {
  intptr_t base = reinterpret_cast<intptr_t>(a.data());
  *lo = base;
  *hi = base + a.itemsize() - 1;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    if (a.shape(d) == 0) {
      *hi = *lo - 1;  // empty: touches nothing
      return;
    }
    intptr_t span = (a.shape(d) - 1) * a.strides(d);
    if (span < 0) *lo += span; else *hi += span;
  }
}

void require_no_overlap(const py::array& out, const char* out_name, const py::array& in, const char* in_name) {
  intptr_t olo, ohi, ilo, ihi;
  byte_extent(out, &olo, &ohi);
  byte_extent(in, &ilo, &ihi);
  if (olo <= ohi && ilo <= ihi && olo <= ihi && ilo <= ohi)
    throw py::value_error(std::string(out_name) + " must not share memory with " + in_name +
                          " (the output would overwrite an input while it is read)");
}

std::vector<py::ssize_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

py::array c_contiguous(const py::array& a) {
  if (a.flags() & py::array::c_style) return a;
  return py::array::ensure(a, py::array::c_style);
}

py::array output_array(py::handle obj, const char* name, const py::dtype& dtype, const std::vector<py::ssize_t>& shape) {
  if (obj.is_none()) return py::array(dtype, shape);
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be None or a numpy.ndarray, got " +
                         py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
  py::array out = py::reinterpret_borrow<py::array>(obj);
  if (out.dtype().num() != dtype.num())
    throw py::type_error(std::string(name) + " must have dtype " + py::str(dtype).cast<std::string>() + ", got " +
                         dtype_string(out));
  if (shape_of(out) != shape)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(shape) + ", got " + shape_string(out));
  if (!(out.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous, got strides that are not");
  require_writeable(out, name);
  return out;
}

void require_same_or_no_overlap(const py::array& out, const char* out_name, const py::array& in, const char* in_name) {
  if (out.data() == in.data() && out.nbytes() == in.nbytes() && (in.flags() & py::array::c_style)) return;
  require_no_overlap(out, out_name, in, in_name);
}

void require_same_shape(const py::array& b, const char* b_name, const py::array& a, const char* a_name) {
  if (shape_of(b) != shape_of(a))
    throw py::value_error(std::string(b_name) + " must have the shape of " + a_name + " " + shape_string(a) + ", got " +
                          shape_string(b));
}

void throw_index_out_of_range(const std::string& message) {
  py::object type = py::module_::import("fastnn.errors").attr("IndexOutOfRangeError");
  PyErr_SetString(type.ptr(), message.c_str());
  throw py::error_already_set();
}

py::array empty_like_dtype(const py::array& like, const std::vector<py::ssize_t>& shape) {
  return py::array(like.dtype(), shape);
}

}  // namespace fastnn::bindings
