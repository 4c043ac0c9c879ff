// The device array adapter: any object exposing __cuda_array_interface__ (version 2 or 3: CuPy,
// Numba, PyTorch CUDA tensors) in, the same ops::Array descriptors out, with the interface's
// stream. A DLPack producer of CUDA memory without that interface (JAX) comes in through the
// importer the Python layer registers (fastnn._backend: cupy.from_dlpack, which makes the
// producer's stream wait for the consumer's, as the DLPack protocol asks), zero-copy. It has the
// interface of HostCall, so a binding template runs unchanged on either. An input that is a strided
// view where the kernel needs C order is copied into C order by the copier the Python layer
// registers (the array library's ascontiguousarray, on the array's device), as the host adapter
// copies NumPy views; nothing else is ever copied or converted: inputs must be in native byte
// order with the dtype the op takes (index arrays int64), and outputs and in-place arrays must be
// C-contiguous themselves; anything else is a clear error. Outputs given as None are allocated by
// the allocator the Python layer registers (fastnn._backend: CuPy's), called as
// allocator(shape, typestr).
#pragma once
#include <pybind11/pybind11.h>

#include <cstdint>
#include <new>
#include <string>

#include "bindings/host_array.h"
#include "bindings/array_registry.h"
#include "ops/checks.h"

namespace fastnn::bindings {

// Sets the allocator of device outputs (a callable (shape tuple, typestr) -> device array).
void set_device_allocator(py::object allocator);

// Restricts the device arrays this module takes to instances of `type` (None: any object with
// __cuda_array_interface__). The emulated module takes only the emulated device's arrays: its
// kernels run on the CPU, and a GPU pointer (a CuPy array) read there would crash the process.
void set_device_array_type(py::object type);

// Sets the copier of strided device inputs, f(array) -> a C-contiguous copy on its device (None:
// such inputs are refused).
void set_contiguous_copier(py::object copier);

// Sets the importer of DLPack producers, f(obj) -> an array with __cuda_array_interface__ on the
// same memory (None: DLPack producers are refused).
void set_dlpack_importer(py::object importer);

// The descriptor and stream of one __cuda_array_interface__ object (no checks beyond the
// interface's own rules); `storage` holds the dtype name for dtypes without an ops::DType.
ops::Array describe_device(py::handle obj, const char* name, std::string& storage, uintptr_t* stream);

class DeviceCall : public ArrayRegistry {
 public:
  // The CUDA stream the kernels run on: the first stream an argument names (0: the default
  // stream; 1 and 2 are CUDA's legacy and per-thread default handles, usable as they are).
  struct Stream {
    uintptr_t handle = 0;
  };

  const ops::Array& input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  const ops::Array* optional_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  // input() of a float32/float64 array (TypeError otherwise), and its optional form.
  const ops::Array& float_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  const ops::Array* optional_float_input(py::handle obj, const char* name, Layout layout = Layout::contiguous);
  const ops::Array& index_input(py::handle obj, const char* name);
  // dtype_source (may be null) names the argument the dtype comes from, for the message.
  ops::Array& output(py::handle obj, const char* name, ops::DType dtype, const ops::Shape& shape,
                     Layout layout = Layout::contiguous, const char* dtype_source = nullptr);
  ops::Array& in_out(py::handle obj, const char* name);
  ops::Array* optional_in_out(py::handle obj, const char* name);
  ops::Array& allocate(const char* name, ops::DType dtype, const ops::Shape& shape);

  Stream stream() const { return stream_; }

 private:
  ops::Array& add(py::handle obj, const char* name, bool output, Layout layout);
  Stream stream_;
  bool has_stream_ = false;
};

}  // namespace fastnn::bindings
