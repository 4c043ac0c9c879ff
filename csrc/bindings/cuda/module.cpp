// The CUDA extension modules: fastnn._cuda (kernels built by nvcc) and fastnn._cuda_emu (the
// same kernels through the SIMT emulator, on host memory), one source compiled twice
// (FASTNN_CUDA_MODULE names the module). Every op family is bound through its binding template on
// CudaBackend, so names, defaults and docstrings are _C's (a family without CUDA kernels would be
// absent, and fastnn._backend would turn a call to one into a clear error).
// `_set_allocator(f)` registers the allocator of device outputs, f(shape, typestr) -> array;
// `_set_device_array_type(t)` restricts the device arrays taken to instances of t;
// `_set_dlpack_importer(f)` registers f(obj) -> __cuda_array_interface__ array for DLPack producers;
// `_set_contiguous_copier(f)` registers f(array) -> C-contiguous copy, for strided inputs;
// `_set_gemm_version(v)` picks gemm's numbered kernel (0: the best; `_gemm_versions` of them);
// `_set_rnn_persistent_kernels(flag)` / `_rnn_persistent_kernels()` switch the recurrent layers' persistent kernels.
// _cuda_emu also has the emulator's controls, for tests: `_emulator_set_schedule(name, seed)`
// (forward, reverse or random order of a block's threads between barriers),
// `_emulator_schedule()` -> (name, seed), `_emulator_set_workers(n)` (0: one per core).
#include "bindings/backend_cuda.h"
#include "bindings/binding.h"
#include "bindings/bind_gemm.h"
#include "bindings/bind_activation.h"
#include "bindings/bind_conv.h"
#include "bindings/bind_softmax_loss.h"
#include "bindings/bind_optim.h"
#include "bindings/bind_dropout.h"
#include "bindings/bind_embedding.h"
#include "bindings/bind_norm.h"
#include "bindings/bind_group_norm.h"
#include "bindings/bind_pool.h"
#include "bindings/bind_padding.h"
#include "bindings/bind_interpolate.h"
#include "bindings/bind_pixel_shuffle.h"
#include "bindings/bind_gather.h"
#include "bindings/bind_reduce.h"
#include "bindings/bind_attention.h"
#include "bindings/bind_rnn.h"

#if defined(FASTNN_CUDA_EMULATED)
#include "cuda/emu/options.h"
#endif

namespace {

namespace py = pybind11;
namespace b = fastnn::bindings;

#if defined(FASTNN_CUDA_EMULATED)
void bind_emulator_controls(py::module_& m) {
  namespace emu = fastnn::emu;
  m.def(
      "_emulator_set_schedule",
      [](py::handle name, py::handle seed) {
        const std::string text = b::str_arg(name, "schedule");
        emu::Schedule s;
        if (!emu::parse_schedule(text.c_str(), &s))
          fastnn::ops::value_error("schedule must be 'forward', 'reverse' or 'random', got '" + text + "'");
        emu::set_schedule(s, b::uint64_arg(seed, "seed"));
      },
      py::arg("schedule"), py::arg("seed") = 1,
      "Private: the order in which the emulator runs a block's threads between barriers.");
  m.def("_emulator_schedule", [] {
    const emu::Options o = emu::options();
    return py::make_tuple(emu::schedule_name(o.schedule), o.seed);
  });
  m.def(
      "_emulator_set_workers",
      [](py::handle n) {
        const int64_t workers = b::int_arg(n, "workers");
        if (workers < 0 || workers > 4096)
          fastnn::ops::value_error("workers must be in [0, 4096], got " + std::to_string(workers));
        emu::set_workers(static_cast<unsigned>(workers));
      },
      py::arg("workers"), "Private: the OS threads that run blocks (0: one per core).");
}
#endif

}  // namespace

PYBIND11_MODULE(FASTNN_CUDA_MODULE, m) {
#if defined(FASTNN_CUDA_EMULATED)
  m.doc() = "fastnn CUDA kernels on the SIMT emulator (host memory; for tests and FASTNN_CUDA_EMULATE=1)";
  m.attr("_emulated") = true;
  bind_emulator_controls(m);
#else
  m.doc() = "fastnn CUDA kernels (device arrays through __cuda_array_interface__)";
  m.attr("_emulated") = false;
#endif
  b::register_errors(m);
  m.def("_set_allocator", &b::set_device_allocator, py::arg("allocator"),
        "Private: registers f(shape, typestr) -> device array, the allocator of outputs given as None.");
  m.def("_set_contiguous_copier", &b::set_contiguous_copier, py::arg("copier"),
        "Private: registers f(array) -> C-contiguous copy on its device, for strided inputs (None: refused).");
  m.def("_set_dlpack_importer", &b::set_dlpack_importer, py::arg("importer"),
        "Private: registers f(obj) -> array with __cuda_array_interface__, the import of DLPack producers (None: none).");
  m.def("_set_device_array_type", &b::set_device_array_type, py::arg("type"),
        "Private: only instances of `type` are taken as device arrays (None: any __cuda_array_interface__).");
  m.def(
      "_set_gemm_version",
      [](py::handle version) {
        const int64_t v = b::int_arg(version, "version");
        if (v < 0 || v >= fastnn::cuda::kGemmVersions)
          fastnn::ops::value_error("version must be in [0, " + std::to_string(fastnn::cuda::kGemmVersions - 1) +
                                   "], got " + std::to_string(v));
        b::gemm_version = static_cast<int>(v);
      },
      py::arg("version"), "Private: the numbered gemm kernel later calls run (0: the best), for tests and benchmarks.");
  m.attr("_gemm_versions") = fastnn::cuda::kGemmVersions;
  m.def(
      "_set_rnn_persistent_kernels",
      [](py::handle enabled) { fastnn::cuda::set_rnn_persistent_kernels(b::bool_arg(enabled, "enabled")); },
      py::arg("enabled"),
      "Private: whether recurrent layers with hidden sizes up to 256 run as one persistent kernel (the default) or "
      "per step, for tests and benchmarks.");
  m.def("_rnn_persistent_kernels", &fastnn::cuda::rnn_persistent_kernels);
  const py::set before = b::public_names(m);
  b::bind_gemm<b::CudaBackend>(m);
  b::bind_activation<b::CudaBackend>(m);
  b::bind_conv<b::CudaBackend>(m);
  b::bind_softmax_loss<b::CudaBackend>(m);
  b::bind_optim<b::CudaBackend>(m);
  b::bind_dropout<b::CudaBackend>(m);
  b::bind_embedding<b::CudaBackend>(m);
  b::bind_norm<b::CudaBackend>(m);
  b::bind_group_norm<b::CudaBackend>(m);
  b::bind_pool<b::CudaBackend>(m);
  b::bind_padding<b::CudaBackend>(m);
  b::bind_interpolate<b::CudaBackend>(m);
  b::bind_pixel_shuffle<b::CudaBackend>(m);
  b::bind_gather<b::CudaBackend>(m);
  b::bind_reduce<b::CudaBackend>(m);
  b::bind_attention<b::CudaBackend>(m);
  b::bind_rnn<b::CudaBackend>(m);
  b::set_kernel_names(m, before);
}
