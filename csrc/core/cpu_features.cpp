#include "core/cpu_features.h"

#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace fastnn {

SimdLevel best_supported_simd_level() {
#if defined(FASTNN_HAVE_X86_SIMD)
  // __builtin_cpu_supports also checks, through XGETBV, that the OS saves the wide registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::avx2;
#endif
  return SimdLevel::generic;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::avx2: return "avx2";
    default: return "generic";
  }
}

SimdLevel parse_simd_level(const std::string& name) {
  if (name == "avx512") return SimdLevel::avx512;
  if (name == "avx2") return SimdLevel::avx2;
  if (name == "generic") return SimdLevel::generic;
  throw std::invalid_argument("SIMD level must be 'avx512', 'avx2' or 'generic', got '" + name + "'");
}

static SimdLevel initial_simd_level() {
  SimdLevel best = best_supported_simd_level();
  const char* requested = std::getenv("FASTNN_SIMD");
  if (requested == nullptr || *requested == '\0') return best;
  SimdLevel wanted;
  try {
    wanted = parse_simd_level(requested);
  } catch (const std::invalid_argument&) {
    return best;  // an unknown value must not make the import fail; show_config() shows the level
  }
  return wanted < best ? wanted : best;
}

static SimdLevel current_level = initial_simd_level();

SimdLevel simd_level() { return current_level; }

void set_simd_level(SimdLevel level) {
  SimdLevel best = best_supported_simd_level();
  if (level > best)
    throw std::invalid_argument(std::string("SIMD level '") + simd_level_name(level) +
                                "' is not supported by this CPU (best: '" + simd_level_name(best) + "')");
  current_level = level;
}

CacheSizes cache_sizes() {
  auto read = [](int name, long fallback) {
    long v = sysconf(name);
    return v > 0 ? v : fallback;
  };
  return {read(_SC_LEVEL1_DCACHE_SIZE, 32 * 1024), read(_SC_LEVEL2_CACHE_SIZE, 512 * 1024),
          read(_SC_LEVEL3_CACHE_SIZE, 8 * 1024 * 1024)};
}

}  // namespace fastnn
