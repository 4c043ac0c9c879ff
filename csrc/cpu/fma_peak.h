// The machine's measured float32 FMA peak, for the benchmarks' "% of peak" columns.
//
//   gflops = flops done by the micro-kernel's fma_probe on `threads` threads at once / elapsed
//
// The probe runs `steps` rounds of independent register FMAs; steps doubles from 2^16 until
// one round of all threads takes at least `seconds`, so short requests stay accurate.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

constexpr int kMaxPeakThreads = 1024;
constexpr double kMaxPeakSeconds = 60.0;

// Throws std::invalid_argument unless 1 <= threads <= kMaxPeakThreads and 0 <= seconds <=
// kMaxPeakSeconds (NaN and infinity included): any call returns within about 2 * seconds.
double fma_peak_gflops(int threads, double seconds);

}  // namespace fastnn::cpu
