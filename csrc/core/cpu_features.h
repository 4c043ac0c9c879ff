// CPU feature detection and the run-time choice of SIMD micro-kernels.
//
// The level in use is the best one the CPU (and OS) supports, unless the environment variable
// FASTNN_SIMD=avx512|avx2|generic asks for a lower one (tests use it to check every level).
#pragma once
#include <string>

namespace fastnn {

enum class SimdLevel { generic = 0, avx2 = 1, avx512 = 2 };

SimdLevel best_supported_simd_level();
SimdLevel simd_level();                  // the level kernels dispatch on now
void set_simd_level(SimdLevel level);    // throws std::invalid_argument above the supported one
const char* simd_level_name(SimdLevel level);
SimdLevel parse_simd_level(const std::string& name);  // throws std::invalid_argument

struct CacheSizes {
  long l1d, l2, l3;  // bytes, per core for L1/L2; whole cache for L3
};
CacheSizes cache_sizes();

// Who made the CPU and which microarchitecture it is: CPUID's vendor string and its display
// family and model (base plus extended fields); {"unknown", 0, 0} off x86.
struct CpuIdentity {
  std::string vendor;
  unsigned family, model;
};
CpuIdentity cpu_identity();

}  // namespace fastnn
