// The CUDA backend of the binding templates: device arrays (DeviceCall, __cuda_array_interface__)
// and the kernels of csrc/cuda/. The same struct serves fastnn._cuda (kernels built by nvcc) and
// fastnn._cuda_emu (the same kernels built by the host compiler through the SIMT emulator): the
// module links one kernel library or the other. A family is bound on CUDA once its kernels
// exist; each forwarder takes the call's stream first, as CpuBackend's do.
#pragma once
#include "bindings/device_array.h"
#include "cuda/gemm.h"

namespace fastnn::bindings {

inline cudaStream_t cuda_stream(DeviceCall::Stream s) { return reinterpret_cast<cudaStream_t>(s.handle); }

struct CudaBackend {
  using Call = DeviceCall;
  static constexpr const char* name = "cuda";

  template <class T>
  static void gemm(DeviceCall::Stream s, const cpu::GemmProblem<T>& problem) {
    cuda::gemm(problem, cuda_stream(s));
  }
};

}  // namespace fastnn::bindings
