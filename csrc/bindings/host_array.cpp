#include "bindings/host_array.h"

#include <cstring>
#include <limits>

#include "bindings/host_memory.h"

namespace fastnn::bindings {

std::string type_name(py::handle obj) {
  py::handle type = reinterpret_cast<PyObject*>(Py_TYPE(obj.ptr()));
  const std::string module = py::str(type.attr("__module__")).cast<std::string>();
  const std::string name = py::str(type.attr("__qualname__")).cast<std::string>();
  return module == "builtins" ? name : module + "." + name;
}

std::string expected_dtype(ops::DType dtype, const char* source) {
  if (source) return std::string("the dtype of ") + source + " (" + ops::dtype_name(dtype) + ")";
  return std::string("dtype ") + ops::dtype_name(dtype);
}

namespace {

ops::DType dtype_of(char kind, py::ssize_t size) {
  switch (kind) {
    case 'f': return size == 4 ? ops::DType::float32 : size == 8 ? ops::DType::float64 : ops::DType::other;
    case 'i':
      return size == 1 ? ops::DType::int8 : size == 2 ? ops::DType::int16 : size == 4 ? ops::DType::int32
           : size == 8 ? ops::DType::int64 : ops::DType::other;
    case 'u':
      return size == 1 ? ops::DType::uint8 : size == 2 ? ops::DType::uint16 : size == 4 ? ops::DType::uint32
           : size == 8 ? ops::DType::uint64 : ops::DType::other;
    case 'b': return size == 1 ? ops::DType::bool_ : ops::DType::other;
    default: return ops::DType::other;
  }
}

py::dtype numpy_dtype(ops::DType t) {
  switch (t) {
    case ops::DType::float32: return py::dtype::of<float>();
    case ops::DType::float64: return py::dtype::of<double>();
    case ops::DType::int8: return py::dtype::of<int8_t>();
    case ops::DType::int16: return py::dtype::of<int16_t>();
    case ops::DType::int32: return py::dtype::of<int32_t>();
    case ops::DType::int64: return py::dtype::of<int64_t>();
    case ops::DType::uint8: return py::dtype::of<uint8_t>();
    case ops::DType::uint16: return py::dtype::of<uint16_t>();
    case ops::DType::uint32: return py::dtype::of<uint32_t>();
    case ops::DType::uint64: return py::dtype::of<uint64_t>();
    case ops::DType::bool_: return py::dtype::of<bool>();
    case ops::DType::other: break;
  }
  throw std::logic_error("no NumPy dtype for ops::DType::other");
}

bool native_order(const py::dtype& d) {
  const char order = d.byteorder();
  constexpr char non_native = PY_LITTLE_ENDIAN ? '>' : '<';
  return order != non_native;
}

bool whole_element_strides(const py::array& a) {
  for (py::ssize_t d = 0; d < a.ndim(); ++d)
    if (a.strides(d) % a.itemsize() != 0) return false;
  return true;
}

// An ndarray subclass that exposes __cuda_array_interface__ is device memory (fastnn's emulated
// device keeps device arrays in host memory this way): a host kernel must refuse it, as it
// refuses a CuPy array, instead of silently running on it.
void refuse_device_array(py::handle obj, const char* name) {
  static PyObject* const ndarray = py::object(py::module_::import("numpy").attr("ndarray")).release().ptr();
  if (Py_TYPE(obj.ptr()) != reinterpret_cast<PyTypeObject*>(ndarray) && py::hasattr(obj, "__cuda_array_interface__"))
    ops::type_error(std::string(name) + " must be a host array (numpy.ndarray) for this CPU kernel, got a device array (" +
                    type_name(obj) + "); move it with .cpu() or run the op on the device");
}

py::array require_ndarray(py::handle obj, const char* name, const char* of = "") {
  if (!py::isinstance<py::array>(obj))
    ops::type_error(std::string(name) + " must be a numpy.ndarray" + of + ", got " + type_name(obj));
  refuse_device_array(obj, name);
  return py::reinterpret_borrow<py::array>(obj);
}

}  // namespace

ops::Array describe(const py::array& a, std::string& storage) {
  ops::Array d;
  const py::dtype dt = a.dtype();
  d.data = const_cast<void*>(a.data());
  d.dtype = dtype_of(dt.kind(), dt.itemsize());
  if (d.dtype == ops::DType::other) {
    storage = py::str(dt).cast<std::string>();
    d.type_name = storage.c_str();
  } else {
    d.type_name = ops::dtype_name(d.dtype);
  }
  d.ndim = static_cast<int>(a.ndim());
  const py::ssize_t item = dt.itemsize() ? dt.itemsize() : 1;
  for (int i = 0; i < d.ndim; ++i) {
    d.shape[i] = a.shape(i);
    d.strides[i] = a.strides(i) / item;
  }
  d.device = ops::Device::host;
  d.writeable = a.writeable();
  return d;
}

ops::Array& HostCall::add(py::object obj, const char* name, bool output) {
  Entry& e = new_entry(name, output);
  e.obj = std::move(obj);
  e.array = describe(py::reinterpret_borrow<py::array>(e.obj), e.type_name);
  return e.array;
}

const ops::Array& HostCall::input(py::handle obj, const char* name, Layout layout) {
  py::array a = require_ndarray(obj, name);
  py::dtype dt = a.dtype();
  if (!native_order(dt)) {  // '>f4' on a little-endian machine: the same values in native order
    py::object swapped = a.attr("astype")(dt.attr("newbyteorder")("="));
    a = py::reinterpret_borrow<py::array>(swapped);
  }
  if (!whole_element_strides(a) || (layout == Layout::contiguous && !(a.flags() & py::array::c_style)))
    a = py::array::ensure(a, py::array::c_style);
  return add(std::move(a), name, false);
}

const ops::Array& HostCall::float_input(py::handle obj, const char* name, Layout layout) {
  require_ndarray(obj, name, " of float32 or float64");
  const ops::Array& a = input(obj, name, layout);
  ops::require_float(a, name);
  return a;
}

const ops::Array* HostCall::optional_float_input(py::handle obj, const char* name, Layout layout) {
  return obj.is_none() ? nullptr : &float_input(obj, name, layout);
}

const ops::Array* HostCall::optional_input(py::handle obj, const char* name, Layout layout) {
  return obj.is_none() ? nullptr : &input(obj, name, layout);
}

const ops::Array& HostCall::index_input(py::handle obj, const char* name) {
  const ops::Array& raw = input(obj, name);
  if (!ops::is_integer(raw.dtype))
    throw ops::Error(ops::ErrorKind::type, std::string(name) + " must have an integer dtype, got " + raw.type_name);
  if (raw.dtype == ops::DType::int64) return raw;
  if (raw.dtype == ops::DType::uint64) {
    const uint64_t* v = raw.in<uint64_t>();
    for (int64_t i = 0, n = raw.size(); i < n; ++i)
      if (v[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        ops::index_error(std::string(name) + " holds " + std::to_string(v[i]) + " at flat position " +
                         std::to_string(i) + ", which is out of range of any index (above 2**63 - 1)");
  }
  // The converted copy replaces the raw entry: the kernel reads only the int64 one.
  py::array converted = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(last().obj);
  drop_last();
  return add(std::move(converted), name, false);
}

ops::Array& HostCall::in_out(py::handle obj, const char* name) {
  py::array a = require_ndarray(obj, name);
  if (!native_order(a.dtype()))
    throw ops::Error(ops::ErrorKind::type, std::string(name) + " must have native byte order (it is written in place), got " +
                                               py::str(a.dtype()).cast<std::string>() + " (" +
                                               py::str(a.dtype().attr("str")).cast<std::string>() + ")");
  if (!(a.flags() & py::array::c_style)) ops::value_error(std::string(name) + " must be C-contiguous");
  if (!a.writeable()) ops::value_error(std::string(name) + " must be writeable, got a read-only array");
  return add(std::move(a), name, true);
}

ops::Array* HostCall::optional_in_out(py::handle obj, const char* name) {
  return obj.is_none() ? nullptr : &in_out(obj, name);
}

ops::Array& HostCall::output(py::handle obj, const char* name, ops::DType dtype, const ops::Shape& shape,
                             Layout layout, const char* dtype_source) {
  if (obj.is_none()) return allocate(name, dtype, shape);
  if (!py::isinstance<py::array>(obj))
    ops::type_error(std::string(name) + " must be None or a numpy.ndarray, got " + type_name(obj));
  refuse_device_array(obj, name);
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const py::dtype dt = a.dtype();
  if (dtype_of(dt.kind(), dt.itemsize()) != dtype)
    ops::type_error(std::string(name) + " must have " + expected_dtype(dtype, dtype_source) + ", got " +
                    py::str(dt).cast<std::string>());
  if (!native_order(dt))
    ops::type_error(std::string(name) + " must have native byte order (it is written), got " +
                    py::str(dt.attr("str")).cast<std::string>());
  ops::Shape given;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) given.push_back(a.shape(d));
  if (given != shape)
    ops::value_error(std::string(name) + " must have shape " + ops::shape_string(shape) + ", got " + ops::shape_string(given));
  if (layout == Layout::contiguous && !(a.flags() & py::array::c_style))
    ops::value_error(std::string(name) + " must be C-contiguous, got strides that are not");
  if (!whole_element_strides(a)) ops::value_error(std::string(name) + " must have strides that are whole elements");
  if (!a.writeable()) ops::value_error(std::string(name) + " must be writeable, got a read-only array");
  return add(std::move(a), name, true);
}

ops::Array& HostCall::allocate(const char* name, ops::DType dtype, const ops::Shape& shape) {
  // A shape from size arguments (output_size=2**40, ...): too big is a ValueError naming it.
  ops::require_valid_shape(shape, name);
  ops::checked_mul(shape.numel(), static_cast<int64_t>(ops::itemsize(dtype)), (std::string("the size of ") + name + " in bytes").c_str());
  std::vector<py::ssize_t> dims(shape.dims, shape.dims + shape.ndim);
  return add(host_output_array(numpy_dtype(dtype), dims), name, true);
}


}  // namespace fastnn::bindings
