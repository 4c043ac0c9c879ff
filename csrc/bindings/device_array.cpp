#include "bindings/device_array.h"

#include <cstring>

#include "bindings/args.h"

namespace fastnn::bindings {

namespace {

py::object& allocator() {
  static py::object* a = new py::object();  // never destroyed: it may outlive the interpreter
  return *a;
}

std::string class_name(py::handle type) {
  return py::str(type.attr("__module__")).cast<std::string>() + "." + py::str(type.attr("__qualname__")).cast<std::string>();
}

py::object& contiguous_copier() {
  static py::object* f = new py::object();  // never destroyed, as the allocator
  return *f;
}

py::object& dlpack_importer() {
  static py::object* f = new py::object();  // never destroyed, as the allocator
  return *f;
}

// DLPack's device types of CUDA memory (dlpack.h: kDLCUDA, kDLCUDAManaged).
constexpr int64_t kDLCUDA = 2, kDLCUDAManaged = 13;

// obj itself, or for a DLPack producer of CUDA memory without __cuda_array_interface__ the
// importer's array on the same memory.
py::object interface_object(py::handle obj, const char* name) {
  py::object o = py::reinterpret_borrow<py::object>(obj);
  if (py::hasattr(obj, "__cuda_array_interface__") || !py::hasattr(obj, "__dlpack_device__")) return o;
  const py::tuple device = py::tuple(obj.attr("__dlpack_device__")());
  const int64_t type = device.size() == 2 ? int_arg(device[0], "__dlpack_device__()[0]") : -1;
  if (type != kDLCUDA && type != kDLCUDAManaged) return o;  // host memory: describe_device's error
  if (!dlpack_importer())
    ops::type_error(std::string(name) + " is a DLPack producer (" + type_name(obj) +
                    "), which this module cannot import without CuPy");
  return dlpack_importer()(obj);
}

py::object& required_type() {
  static py::object* t = new py::object();  // never destroyed, as the allocator
  return *t;
}

// '<f4' -> float32 ...; byte order '>' (or '<' on a big-endian host) is refused.
ops::DType parse_typestr(const std::string& t, const char* name) {
  if (t.size() < 3) ops::type_error(std::string(name) + " has an invalid __cuda_array_interface__ typestr '" + t + "'");
  constexpr char non_native = PY_LITTLE_ENDIAN ? '>' : '<';
  if (t[0] == non_native)
    ops::type_error(std::string(name) + " must have native byte order (device arrays are not converted), got typestr '" +
                    t + "'");
  const char kind = t[1];
  const int size = std::atoi(t.c_str() + 2);
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

const char* typestr_of(ops::DType t) {
  switch (t) {
    case ops::DType::float32: return "<f4";
    case ops::DType::float64: return "<f8";
    case ops::DType::int8: return "|i1";
    case ops::DType::int16: return "<i2";
    case ops::DType::int32: return "<i4";
    case ops::DType::int64: return "<i8";
    case ops::DType::uint8: return "|u1";
    case ops::DType::uint16: return "<u2";
    case ops::DType::uint32: return "<u4";
    case ops::DType::uint64: return "<u8";
    case ops::DType::bool_: return "|b1";
    case ops::DType::other: break;
  }
  throw std::logic_error("no typestr for ops::DType::other");
}

}  // namespace

void set_device_allocator(py::object a) { allocator() = std::move(a); }

void set_contiguous_copier(py::object copier) {
  contiguous_copier() = copier.is_none() ? py::object() : std::move(copier);
}

void set_dlpack_importer(py::object importer) {
  dlpack_importer() = importer.is_none() ? py::object() : std::move(importer);
}

void set_device_array_type(py::object type) { required_type() = type.is_none() ? py::object() : std::move(type); }

ops::Array describe_device(py::handle obj, const char* name, std::string& storage, uintptr_t* stream) {
  if (!py::hasattr(obj, "__cuda_array_interface__"))
    ops::type_error(std::string(name) + " must be a device array exposing __cuda_array_interface__ or DLPack (a CuPy array), got " +
                    type_name(obj));
  if (required_type() && !py::isinstance(obj, required_type()))
    ops::type_error(std::string(name) + " must be a " + class_name(required_type()) + " for this module, got " +
                    type_name(obj) + " (the emulated CUDA kernels run on the CPU and cannot read GPU memory)");
  py::object iface_obj = obj.attr("__cuda_array_interface__");
  if (!py::isinstance<py::dict>(iface_obj))
    ops::type_error(std::string(name) + ".__cuda_array_interface__ must be a dict, got " + type_name(iface_obj));
  py::dict iface = py::reinterpret_borrow<py::dict>(iface_obj);
  auto field = [&](const char* key) -> py::object {
    if (!iface.contains(key))
      ops::value_error(std::string(name) + ".__cuda_array_interface__ has no '" + key + "' entry");
    return iface[key];
  };
  const int64_t version = int_arg(field("version"), "__cuda_array_interface__['version']");
  if (version < 2)
    ops::value_error(std::string(name) + " has __cuda_array_interface__ version " + std::to_string(version) +
                     "; versions 2 and 3 are supported");
  if (iface.contains("mask") && !py::object(iface["mask"]).is_none())
    ops::value_error(std::string(name) + " is a masked device array; masks are not supported");

  ops::Array d;
  d.device = ops::Device::cuda;
  const std::string typestr = str_arg(field("typestr"), "__cuda_array_interface__['typestr']");
  d.dtype = parse_typestr(typestr, name);
  storage = typestr;
  d.type_name = d.dtype == ops::DType::other ? storage.c_str() : ops::dtype_name(d.dtype);

  py::object data = field("data");
  if (!py::isinstance<py::tuple>(data) || py::len(data) != 2)
    ops::value_error(std::string(name) + ".__cuda_array_interface__['data'] must be a (pointer, read_only) tuple");
  py::tuple pair = py::reinterpret_borrow<py::tuple>(data);
  d.data = reinterpret_cast<void*>(static_cast<uintptr_t>(uint64_arg(pair[0], "__cuda_array_interface__['data'][0]")));
  d.writeable = !bool_arg(pair[1], "__cuda_array_interface__['data'][1]");

  const ops::Shape shape = shape_arg(field("shape"), "__cuda_array_interface__['shape']");
  d.ndim = shape.ndim;
  for (int i = 0; i < d.ndim; ++i) d.shape[i] = shape[i];
  const int64_t item = static_cast<int64_t>(typestr.size() >= 3 ? std::atoi(typestr.c_str() + 2) : 1);
  py::object strides = iface.contains("strides") ? py::object(iface["strides"]) : py::object(py::none());
  if (strides.is_none()) {
    int64_t s = 1;
    for (int i = d.ndim - 1; i >= 0; --i) d.strides[i] = s, s *= d.shape[i];
  } else {
    int n = 0;
    for (py::handle v : py::reinterpret_borrow<py::iterable>(strides)) {
      const int64_t bytes = int_arg(v, "__cuda_array_interface__['strides']");
      if (n >= d.ndim || item == 0 || bytes % item != 0)
        ops::value_error(std::string(name) + " must have strides that are whole elements and one per dimension, got " +
                         py::repr(strides).cast<std::string>());
      d.strides[n++] = bytes / item;
    }
    if (n != d.ndim)
      ops::value_error(std::string(name) + " has " + std::to_string(n) + " strides for " + std::to_string(d.ndim) +
                       " dimensions");
  }
  *stream = 0;
  if (version >= 3 && iface.contains("stream")) {
    py::object s = iface["stream"];
    if (!s.is_none()) {
      *stream = static_cast<uintptr_t>(uint64_arg(s, "__cuda_array_interface__['stream']"));
      if (*stream == 0)
        ops::value_error(std::string(name) + ".__cuda_array_interface__['stream'] must not be 0 (the interface "
                         "reserves it); use 1 for the legacy default stream");
    }
  }
  return d;
}

ops::Array& DeviceCall::add(py::handle obj, const char* name, bool output, Layout layout) {
  Entry& e = new_entry(name, output);
  uintptr_t stream = 0;
  e.obj = interface_object(obj, name);
  e.array = describe_device(e.obj, name, e.type_name, &stream);
  if (layout == Layout::contiguous && !e.array.c_contiguous()) {
    if (output || !contiguous_copier())
      ops::value_error(std::string(name) + " must be C-contiguous" +
                       (output ? " (an output is written in place)" : " (no copier of device views is registered)") +
                       ", got shape " + ops::shape_string(e.array) + " with other strides");
    e.obj = contiguous_copier()(e.obj);  // kept alive by the entry until the call returns
    e.array = describe_device(e.obj, name, e.type_name, &stream);
    if (!e.array.c_contiguous())
      ops::value_error(std::string(name) + ": the registered copier returned a strided array");
  }
  if (output && !e.array.writeable) ops::value_error(std::string(name) + " must be writeable, got a read-only array");
  if (stream && !has_stream_) stream_.handle = stream, has_stream_ = true;
  return e.array;
}

const ops::Array& DeviceCall::input(py::handle obj, const char* name, Layout layout) {
  return add(obj, name, false, layout);
}

const ops::Array& DeviceCall::float_input(py::handle obj, const char* name, Layout layout) {
  const ops::Array& a = input(obj, name, layout);
  ops::require_float(a, name);
  return a;
}

const ops::Array* DeviceCall::optional_float_input(py::handle obj, const char* name, Layout layout) {
  return obj.is_none() ? nullptr : &float_input(obj, name, layout);
}

const ops::Array* DeviceCall::optional_input(py::handle obj, const char* name, Layout layout) {
  return obj.is_none() ? nullptr : &input(obj, name, layout);
}

const ops::Array& DeviceCall::index_input(py::handle obj, const char* name) {
  const ops::Array& a = input(obj, name);
  if (a.dtype != ops::DType::int64)
    ops::type_error(std::string(name) + " must have dtype int64 on the device (device arrays are not converted), got " +
                    a.type_name);
  return a;
}

ops::Array& DeviceCall::output(py::handle obj, const char* name, ops::DType dtype, const ops::Shape& shape,
                               Layout layout, const char* dtype_source) {
  if (obj.is_none()) return allocate(name, dtype, shape);
  ops::Array& a = add(obj, name, true, layout);
  if (a.dtype != dtype) ops::type_error(std::string(name) + " must have " + expected_dtype(dtype, dtype_source) + ", got " + a.type_name);
  if (a.dims() != shape)
    ops::value_error(std::string(name) + " must have shape " + ops::shape_string(shape) + ", got " + ops::shape_string(a));
  return a;
}

ops::Array& DeviceCall::in_out(py::handle obj, const char* name) { return add(obj, name, true, Layout::contiguous); }

ops::Array* DeviceCall::optional_in_out(py::handle obj, const char* name) {
  return obj.is_none() ? nullptr : &in_out(obj, name);
}

ops::Array& DeviceCall::allocate(const char* name, ops::DType dtype, const ops::Shape& shape) {
  if (!allocator())
    ops::value_error(std::string("no device allocator is registered to allocate ") + name +
                     " (fastnn._backend registers CuPy's when it loads a device module)");
  py::tuple dims(shape.ndim);
  for (int i = 0; i < shape.ndim; ++i) dims[i] = py::int_(shape[i]);
  py::object made = allocator()(dims, typestr_of(dtype));
  return add(made, name, true, Layout::contiguous);
}


}  // namespace fastnn::bindings
