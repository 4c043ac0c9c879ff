// Build and run-time configuration: SIMD level, threads, caches, compiler.
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "bindings/binding.h"
#include "bindings/bindings.h"
#include "bindings/host_memory.h"
#include "core/cpu_features.h"
#include "core/futex.h"
#include "core/parallel.h"
#include "cpu/gemm_tuning.h"
#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::bindings {

namespace py = pybind11;

namespace {

// More threads than any machine fastnn runs on has cores: a larger request is a mistake (2**31
// would make the pool try to start them all).
constexpr int64_t kMaxThreads = 4096;

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Float32 FMA throughput of the default tile's instructions at the current SIMD level, on
// `threads` threads at once (so a shared clock or power limit shows), over about `seconds`.
// Each worker is timed in its own CPU time and the rates are summed: a core that other
// processes share (a loaded machine) still shows its own speed, not the share it got.
double fma_peak_gflops(int threads, double seconds) {
  const auto probe = cpu::gemm_tiles(simd_level()).f32[0]->fma_probe;  // never calibrates
  int64_t steps = 1 << 16;
  for (;;) {
    std::vector<double> rates(static_cast<size_t>(threads)), times(static_cast<size_t>(threads));
    int ran_on = threads;  // a region may get fewer workers than asked for
    parallel_region(threads, [&](int tid, int n) {
      if (tid == 0) ran_on = n;
      const double start = thread_cpu_seconds();
      const int64_t flops = probe(steps);
      times[tid] = thread_cpu_seconds() - start;
      rates[tid] = times[tid] > 0 ? static_cast<double>(flops) / times[tid] : 0.0;
    });
    if (*std::min_element(times.begin(), times.begin() + ran_on) >= seconds) {
      return std::accumulate(rates.begin(), rates.begin() + ran_on, 0.0) * 1e-9;
    }
    steps *= 2;  // too short to time well: double until it is not
  }
}

// Test probes of the thread pool's guarantees (tests/test_thread_pool.py).

// Every worker writes the round number, meets the others at a barrier, checks that all wrote
// it, and meets them again before the next round. Returns (workers the region ran on, checks that
// saw another round's value).
std::pair<int, int64_t> region_barrier_check(int nworkers, int rounds) {
  std::vector<std::atomic<int>> slots(static_cast<size_t>(nworkers));
  std::atomic<int> ran_on{0};
  std::atomic<int64_t> wrong{0};
  parallel_region(nworkers, [&](int tid, int n) {
    if (tid == 0) ran_on = n;
    for (int r = 0; r < rounds; ++r) {
      slots[tid].store(r, std::memory_order_relaxed);
      barrier();
      for (int t = 0; t < n; ++t) wrong += slots[t].load(std::memory_order_relaxed) != r;
      barrier();
    }
  });
  return {ran_on.load(), wrong.load()};
}

// Worker `thrower` raises while the others wait at a barrier (it never arrives there).
void region_raise(int nworkers, int thrower) {
  parallel_region(nworkers, [&](int tid, int) {
    if (tid == thrower) throw std::runtime_error("worker " + std::to_string(tid) + " failed");
    barrier();
  });
}

// The worker count a region started inside each worker of an outer region gets.
std::vector<int> region_nested(int nworkers) {
  std::vector<int> inner(static_cast<size_t>(nworkers), 0);
  parallel_region(nworkers, [&](int tid, int) {
    parallel_region(nworkers, [&](int, int n) {
      barrier();  // an inline region's barrier must not wait for the outer region's workers
      inner[tid] = n;
    });
  });
  return inner;
}

}  // namespace

void bind_config(py::module_& m) {
  m.def("simd_level", [] { return std::string(simd_level_name(simd_level())); },
        "The SIMD level kernels run with now: 'avx512', 'avx2' or 'generic'.");
  m.def("best_simd_level", [] { return std::string(simd_level_name(best_supported_simd_level())); },
        "The best SIMD level this CPU supports.");
  m.def("set_simd_level", [](py::handle name_obj) {
        const std::string name = str_arg(name_obj, "level");
        try {
          set_simd_level(parse_simd_level(name));
        } catch (const std::invalid_argument& e) {
          throw py::value_error(e.what());
        }
      }, py::arg("level"), "Chooses the kernels' SIMD level (for tests); at most best_simd_level().");
  m.def("gemm_tile", [] {
        const SimdLevel level = simd_level();
        const cpu::GemmTileSet& tiles = cpu::gemm_tiles(level);
        cpu::GemmTileChoice choice;
        {
          py::gil_scoped_release no_gil;  // the first call may calibrate (a fraction of a second)
          try {
            choice = cpu::gemm_tile_choice(level);
          } catch (const std::invalid_argument& e) {
            py::gil_scoped_acquire gil;
            throw py::value_error(e.what());
          }
        }
        py::dict info;
        const auto& f32 = *tiles.f32[choice.index];
        info["tile"] = tiles.names[choice.index];
        info["floats"] = std::to_string(f32.mr) + " x " + std::to_string(f32.nr);
        info["source"] = choice.source;
        py::list names;
        for (int i = 0; i < tiles.count; ++i) names.append(tiles.names[i]);
        info["tiles"] = names;
        py::dict measured;
        for (size_t i = 0; i < choice.measured_gflops.size(); ++i) measured[tiles.names[i]] = choice.measured_gflops[i];
        info["measured_gflops"] = measured;
        return info;
      }, "The GEMM register tile in use at the current SIMD level and why (chosen, and calibrated if need be, "
         "on the first call): {'tile', 'floats', 'source', 'tiles', 'measured_gflops'}.");
  m.def("set_gemm_tile", [](py::handle name_obj) {
        const std::string name = str_arg(name_obj, "name");
        try {
          cpu::set_gemm_tile(simd_level(), name);
        } catch (const std::invalid_argument& e) {
          throw py::value_error(e.what());
        }
      }, py::arg("name"), "Runs the GEMM on the tile `name` of the current SIMD level (tests, benchmarks).");
  m.def("calibrate_gemm_tiles", [] {
        const SimdLevel level = simd_level();
        std::vector<double> gflops;
        {
          py::gil_scoped_release no_gil;
          gflops = cpu::calibrate_gemm_tiles(level);
        }
        const cpu::GemmTileSet& tiles = cpu::gemm_tiles(level);
        py::dict out;
        for (int i = 0; i < tiles.count; ++i) out[tiles.names[i]] = gflops[static_cast<size_t>(i)];
        return out;
      }, "GFLOP/s of each GEMM tile's float micro-kernel at the current SIMD level (1 thread, CPU time).");
  m.def("num_threads", &num_threads, "Threads the kernels use.");
  m.def("set_num_threads", [](py::handle n_obj) {
        const int64_t n = int_arg(n_obj, "n");
        if (n < 1 || n > kMaxThreads)
          ops::value_error("n must be a positive integer at most " + std::to_string(kMaxThreads) + ", got " +
                           std::to_string(n));
        set_num_threads(static_cast<int>(n));
      }, py::arg("n"));
  m.def("spin_us", &spin_us, "Microseconds idle pool threads spin before they sleep.");
  m.def("set_spin_us", [](int us) {
        try {
          set_spin_us(us);
        } catch (const std::invalid_argument& e) {
          throw py::value_error(e.what());
        }
      }, py::arg("us"));
  m.def("thread_pool_info", [] {
    py::dict info;
    info["workers"] = thread_pool_workers();
    info["spin_us"] = spin_us();
    info["sleep"] = futex_kind();
    return info;
  }, "The thread pool now: workers started, spin time, what idle workers sleep on.");
  m.def("_host_cache_stats", [] {
    const HostCacheStats s = host_cache_stats();
    py::dict d;
    d["cached_bytes"] = s.cached_bytes;
    d["reused"] = s.reused;
    d["allocated"] = s.allocated;
    return d;
  }, "The output-block cache (bindings/host_memory.h): free bytes kept, blocks reused, blocks allocated.");
  m.def("_host_cache_clear", &host_cache_clear, "Frees the output-block cache's free blocks.");
  m.def("_region_barrier_check", [](int nworkers, int rounds) {
        py::gil_scoped_release no_gil;
        return region_barrier_check(nworkers, rounds);
      }, py::arg("nworkers"), py::arg("rounds"));
  m.def("_region_raise", [](int nworkers, int thrower) {
        py::gil_scoped_release no_gil;
        region_raise(nworkers, thrower);
      }, py::arg("nworkers"), py::arg("thrower"));
  m.def("_region_nested", [](int nworkers) {
        py::gil_scoped_release no_gil;
        return region_nested(nworkers);
      }, py::arg("nworkers"));
  m.def("fma_peak_gflops", [](py::handle threads_obj, py::handle seconds_obj) {
        const int64_t threads = int_arg(threads_obj, "threads");
        const double seconds = float_arg(seconds_obj, "seconds");
        if (threads < 1 || threads > kMaxThreads)
          ops::value_error("threads must be in [1, " + std::to_string(kMaxThreads) + "], got " + std::to_string(threads));
        if (!(seconds >= 0 && seconds <= 60))
          ops::value_error("seconds must be in [0, 60], got " + std::to_string(seconds));
        py::gil_scoped_release no_gil;
        return fma_peak_gflops(static_cast<int>(threads), seconds);
      }, py::arg("threads") = 1, py::arg("seconds") = 0.05,
      "Measured float32 FMA peak in GFLOP/s of the SIMD level in use, on `threads` threads.");
  m.def("build_info", [] {
    py::dict info;
    CacheSizes caches = cache_sizes();
    info["version"] = FASTNN_VERSION;
    info["build_type"] = FASTNN_BUILD_TYPE;
    info["compiler"] = std::string("gcc ") + __VERSION__;
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
