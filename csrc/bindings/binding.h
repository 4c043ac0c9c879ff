// The seam between Python and every kernel backend. A binding is a thin array adapter: it
// parses the Python arguments (args.h), turns arrays into ops::Array descriptors through the
// backend's Call (HostCall for NumPy, DeviceCall for __cuda_array_interface__), lets the op
// description (csrc/ops/<family>.h) check them and infer the output shapes, allocates the
// outputs, applies the one aliasing check, and runs the backend's kernel without the GIL.
//
// How to add an op family
//   1. csrc/ops/<family>.{h,cpp}: the checks and output shapes on ops::Array (no Python, no
//      device), raising ops::Error.
//   2. csrc/bindings/bind_<family>.h: `template <class Backend> void bind_<family>(py::module_&)`
//      with the functions, their defaults and docstrings, written once. Each kernel is called as
//      Backend::<kernel>(call.stream(), args...) inside with_float_type (or with the GIL released).
//   3. csrc/bindings/bind_<family>.cpp: `template void bind_<family><CpuBackend>(py::module_&);`,
//      one forwarder per kernel in backend_cpu.h, and a call in module.cpp.
//
// How to add a backend (the CUDA module, the emulated CUDA module)
//   A struct like CpuBackend: `using Call = DeviceCall;` (or HostCall for host memory) and one
//   static forwarder per kernel it has, e.g. `template <class... A> static void gemm(
//   DeviceCall::Stream s, A&&... a) { cuda::gemm(std::forward<A>(a)..., stream_of(s)); }`. Its
//   module calls bind_<family><ThatBackend>(m) for each family it has kernels for (the others
//   are simply not registered there) and register_errors(m); names, defaults and docstrings
//   come out identical to _C's because they are the same template.
#pragma once
#include <pybind11/pybind11.h>

#include "bindings/args.h"
#include "bindings/device_array.h"
#include "bindings/host_array.h"
#include "ops/array.h"
#include "ops/checks.h"
#include "ops/error.h"

namespace fastnn::bindings {

namespace py = pybind11;

// Translates ops::Error into TypeError / ValueError / fastnn.errors.IndexOutOfRangeError.
void register_errors(py::module_& m);

// The module's public names now; after the families are registered, set_kernel_names(m, before)
// stores the names they added as m._kernel_names (what fastnn.kernels exports).
py::set public_names(const py::module_& m);
void set_kernel_names(py::module_& m, const py::set& before);

// Runs f(float{}) or f(double{}) for the element type of `a` (float32 or float64, checked by
// the op description), without the GIL: the one dtype dispatch of every binding.
template <class F>
void with_float_type(const ops::Array& a, F&& f) {
  const bool f32 = a.dtype == ops::DType::float32;
  py::gil_scoped_release no_gil;
  if (f32) f(float{});
  else f(double{});
}

// A tuple of the Python arrays behind descriptors (None for null), in order.
template <class Call, class... A>
py::tuple results(const Call& call, const A*... arrays) {
  return py::make_tuple(call.object(arrays)...);
}

}  // namespace fastnn::bindings
