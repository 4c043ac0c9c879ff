// Measured FMA peak (see fma_peak.h): the current SIMD level's fma_probe, timed on all threads.
#include "cpu/fma_peak.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "core/cpu_features.h"
#include "core/parallel.h"
#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu {

double fma_peak_gflops(int threads, double seconds) {
  if (threads < 1 || threads > kMaxPeakThreads)
    throw std::invalid_argument("threads must be between 1 and " + std::to_string(kMaxPeakThreads) + ", got " +
                                std::to_string(threads));
  if (!(seconds >= 0 && seconds <= kMaxPeakSeconds)) {  // false for NaN too
    char message[96];
    std::snprintf(message, sizeof message, "seconds must be a number between 0 and %g, got %g", kMaxPeakSeconds,
                  seconds);
    throw std::invalid_argument(message);
  }
  const auto probe = gemm_microkernels_f32(simd_level()).fma_probe;
  using clock = std::chrono::steady_clock;
  int64_t steps = 1 << 16;
  for (;;) {
    std::atomic<int64_t> flops{0};
    const auto start = clock::now();
    parallel_region(threads, [&](int, int) { flops += probe(steps); });
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (elapsed >= seconds && elapsed > 0) return static_cast<double>(flops) / elapsed * 1e-9;
    steps *= 2;  // too short to time well: double until it is not
  }
}

}  // namespace fastnn::cpu
