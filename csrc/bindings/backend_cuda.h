// The CUDA backend of the binding templates: device arrays (DeviceCall, __cuda_array_interface__)
// and the kernels of csrc/cuda/. The same struct serves fastnn._cuda (kernels built by nvcc) and
// fastnn._cuda_emu (the same kernels built by the host compiler through the SIMT emulator): the
// module links one kernel library or the other. A family is bound on CUDA once its kernels
// exist; each forwarder takes the call's stream first, as CpuBackend's do.
#pragma once
#include <atomic>
#include <utility>

#include "bindings/device_array.h"
#include "cuda/activation.h"
#include "cuda/gemm.h"

namespace fastnn::bindings {

inline cudaStream_t cuda_stream(DeviceCall::Stream s) { return reinterpret_cast<cudaStream_t>(s.handle); }

// The numbered kernel version gemm runs (0: the best); set by the module's private
// _set_gemm_version so that tests and bench/gpu_check.py can check and time each version.
inline std::atomic<int> gemm_version{0};

// A forwarder to fastnn::cuda::<name>(stream, args...).
#define FASTNN_CUDA_KERNEL(name)                                  \
  template <class... A>                                           \
  static void name(DeviceCall::Stream s, A&&... args) {           \
    cuda::name(cuda_stream(s), std::forward<A>(args)...);         \
  }

struct CudaBackend {
  using Call = DeviceCall;
  static constexpr const char* name = "cuda";

  template <class T>
  static void gemm(DeviceCall::Stream s, const cpu::GemmProblem<T>& problem) {
    cuda::gemm(problem, cuda_stream(s), gemm_version.load(std::memory_order_relaxed));
  }
  FASTNN_CUDA_KERNEL(activation_forward)
  FASTNN_CUDA_KERNEL(activation_backward)
};

#undef FASTNN_CUDA_KERNEL

}  // namespace fastnn::bindings
