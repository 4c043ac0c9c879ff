#include "core/cpu_features.h"

#include <cstdlib>
#if defined(FASTNN_HAVE_X86_SIMD)
#include <cpuid.h>
#endif
#include <cstring>
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

#if defined(FASTNN_HAVE_X86_SIMD)
// Data/unified cache sizes from CPUID: leaf 0x8000001D on AMD, leaf 4 on Intel (same layout:
// ways x partitions x line size x sets per subleaf). sysconf on a VM can be far off (here it
// said 320 MiB of L3 for a 32 MiB cache), while CPUID is what the hypervisor passes through.
static bool cpuid_cache_sizes(CacheSizes* out) {
  unsigned eax, ebx, ecx, edx;
  unsigned leaf = 4;
  if (__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) && eax >= 0x8000001D &&
      __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 22)))  // TOPOEXT
    leaf = 0x8000001D;
  else if (__get_cpuid_max(0, nullptr) < 4)
    return false;
  CacheSizes found{0, 0, 0};
  for (unsigned sub = 0; sub < 16; ++sub) {
    __cpuid_count(leaf, sub, eax, ebx, ecx, edx);
    const unsigned type = eax & 31, level = (eax >> 5) & 7;
    if (type == 0) break;
    if (type == 2) continue;  // instruction cache
    const long bytes = long((ebx >> 22) + 1) * (((ebx >> 12) & 0x3ff) + 1) * ((ebx & 0xfff) + 1) * (long(ecx) + 1);
    if (level == 1) found.l1d = bytes;
    if (level == 2) found.l2 = bytes;
    if (level == 3) found.l3 = bytes;
  }
  if (found.l1d <= 0 || found.l2 <= 0) return false;
  if (found.l3 <= 0) found.l3 = found.l2;  // no L3: blocks for "L3" then live in L2
  *out = found;
  return true;
}
#endif

CacheSizes cache_sizes() {
#if defined(FASTNN_HAVE_X86_SIMD)
  CacheSizes from_cpuid;
  if (cpuid_cache_sizes(&from_cpuid)) return from_cpuid;
#endif
  auto read = [](int name, long fallback) {
    long v = sysconf(name);
    return v > 0 ? v : fallback;
  };
  return {read(_SC_LEVEL1_DCACHE_SIZE, 32 * 1024), read(_SC_LEVEL2_CACHE_SIZE, 512 * 1024),
          read(_SC_LEVEL3_CACHE_SIZE, 8 * 1024 * 1024)};
}

CpuIdentity cpu_identity() {
#if defined(FASTNN_HAVE_X86_SIMD)
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
    char vendor[13];
    std::memcpy(vendor, &ebx, 4);
    std::memcpy(vendor + 4, &edx, 4);
    std::memcpy(vendor + 8, &ecx, 4);
    vendor[12] = '\0';
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    const unsigned base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
    const unsigned family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
    const unsigned model = base_family == 0x6 || base_family == 0xf ? (((eax >> 16) & 0xf) << 4) | base_model : base_model;
    return {vendor, family, model};
  }
#endif
  return {"unknown", 0, 0};
}

}  // namespace fastnn
