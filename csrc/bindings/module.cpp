// The CPU extension module fastnn._C: every op family on the CPU backend, plus configuration.
#include "bindings/backend_cpu.h"
#include "bindings/binding.h"
#include "bindings/bindings.h"

PYBIND11_MODULE(_C, m) {
  namespace b = fastnn::bindings;
  m.doc() = "fastnn CPU kernels (C++, own thread pool, SIMD)";
  b::register_errors(m);
  b::bind_config(m);
  b::bind_device_introspection(m);
  const pybind11::set before = b::public_names(m);
  b::bind_gemm<b::CpuBackend>(m);
  b::bind_activation<b::CpuBackend>(m);
  b::bind_softmax_loss<b::CpuBackend>(m);
  b::bind_dropout<b::CpuBackend>(m);
  b::bind_optim<b::CpuBackend>(m);
  b::bind_embedding<b::CpuBackend>(m);
  b::bind_attention<b::CpuBackend>(m);
  b::bind_rnn<b::CpuBackend>(m);
  b::bind_conv<b::CpuBackend>(m);
  b::bind_pool<b::CpuBackend>(m);
  b::bind_norm<b::CpuBackend>(m);
  b::bind_padding<b::CpuBackend>(m);
  b::bind_interpolate<b::CpuBackend>(m);
  b::bind_group_norm<b::CpuBackend>(m);
  b::bind_pixel_shuffle<b::CpuBackend>(m);
  b::bind_gather<b::CpuBackend>(m);
  b::bind_reduce<b::CpuBackend>(m);
  b::set_kernel_names(m, before);
}
