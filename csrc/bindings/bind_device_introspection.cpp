// fastnn._C._describe_device_array(obj, output=False): what the device adapter (DeviceCall)
// reads from an object's __cuda_array_interface__, as a dict. Private, for tests: the CPU
// module has no device kernels, yet the adapter every CUDA module uses must be tested on every
// machine, with a host-memory stand-in object.
#include "bindings/binding.h"
#include "bindings/bindings.h"

namespace fastnn::bindings {

void bind_device_introspection(py::module_& m) {
  m.def(
      "_describe_device_array",
      [](py::handle obj, py::handle output) {
        DeviceCall call;
        const ops::Array& a = bool_arg(output, "output") ? static_cast<const ops::Array&>(call.in_out(obj, "array"))
                                                         : call.input(obj, "array", Layout::strided);
        py::dict d;
        d["data"] = reinterpret_cast<uintptr_t>(a.data);
        d["dtype"] = std::string(a.type_name);
        py::tuple shape(a.ndim), strides(a.ndim);
        for (int i = 0; i < a.ndim; ++i) shape[i] = py::int_(a.shape[i]), strides[i] = py::int_(a.strides[i]);
        d["shape"] = shape;
        d["strides"] = strides;  // in elements
        d["writeable"] = a.writeable;
        d["c_contiguous"] = a.c_contiguous();
        d["device"] = a.device == ops::Device::cuda ? "cuda" : "cpu";
        d["stream"] = call.stream().handle;
        return d;
      },
      py::arg("array"), py::arg("output") = false,
      "Private: the device adapter's descriptor of an object exposing __cuda_array_interface__ (for tests).");
}

}  // namespace fastnn::bindings
