// Build and run-time configuration: SIMD level, threads, caches, compiler.
#include <omp.h>

#include <stdexcept>

#include "bindings/bindings.h"
#include "core/cpu_features.h"
#include "core/parallel.h"
#include "cpu/fma_peak.h"

namespace fastnn::bindings {

namespace py = pybind11;

void bind_config(py::module_& m) {
  m.def("simd_level", [] { return std::string(simd_level_name(simd_level())); },
        "The SIMD level kernels run with now: 'avx512', 'avx2' or 'generic'.");
  m.def("best_simd_level", [] { return std::string(simd_level_name(best_supported_simd_level())); },
        "The best SIMD level this CPU supports.");
  m.def("set_simd_level", [](const std::string& name) {
        try {
          set_simd_level(parse_simd_level(name));
        } catch (const std::invalid_argument& e) {
          throw py::value_error(e.what());
        }
      }, py::arg("level"), "Chooses the kernels' SIMD level (for tests); at most best_simd_level().");
  m.def("num_threads", &num_threads, "Threads the kernels use.");
  m.def("set_num_threads", [](int n) {
        if (n < 1) throw py::value_error("num_threads must be a positive integer, got " + std::to_string(n));
        set_num_threads(n);
      }, py::arg("n"));
  m.def("fma_peak_gflops", [](int threads, double seconds) {
        py::gil_scoped_release no_gil;
        return cpu::fma_peak_gflops(threads, seconds);
      }, py::arg("threads") = 1, py::arg("seconds") = 0.05,
      "Measured float32 FMA peak in GFLOP/s of the SIMD level in use, on `threads` threads.");
  m.def("build_info", [] {
    py::dict info;
    CacheSizes caches = cache_sizes();
    info["version"] = FASTNN_VERSION;
    info["build_type"] = FASTNN_BUILD_TYPE;
    info["compiler"] = std::string("gcc ") + __VERSION__;
    info["openmp"] = _OPENMP;
    info["x86_simd_kernels"] =
#if defined(FASTNN_HAVE_X86_SIMD)
        true;
#else
        false;
#endif
    info["l1d_bytes"] = caches.l1d;
    info["l2_bytes"] = caches.l2;
    info["l3_bytes"] = caches.l3;
    return info;
  });
}

}  // namespace fastnn::bindings
