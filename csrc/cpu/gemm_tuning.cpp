// The per-CPU choice of the GEMM's register tile; see gemm_tuning.h.
#include "cpu/gemm_tuning.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu {

namespace {

// CPU models whose best tile was measured with `python -m fastnn bench gemm` (1024^3 SGEMM on
// 1 thread, % of the measured FMA peak).
struct KnownCpu {
  const char* vendor;
  unsigned family;
  SimdLevel level;
  const char* tile;
  const char* evidence;
};
constexpr KnownCpu kKnownCpus[] = {
    {"AuthenticAMD", 0x19, SimdLevel::avx512, "12x2", "AMD family 0x19 (Zen 4): 12x2 measured at 88-90% of peak"},
    {"AuthenticAMD", 0x1a, SimdLevel::avx512, "14x2",
     "AMD family 0x1a (Zen 5): micro-kernels 14x2 94%, 12x2 93%, 8x3 93%, 6x4 91% of peak; SGEMM 1024^3 85%"},
};

constexpr int kLevels = 3;
std::mutex choice_mutex;
GemmTileChoice choices[kLevels];
std::atomic<int> chosen_index[kLevels] = {-1, -1, -1};

int level_slot(SimdLevel level) { return static_cast<int>(level); }

int find_tile(const GemmTileSet& tiles, const std::string& name) {
  for (int i = 0; i < tiles.count; ++i)
    if (name == tiles.names[i]) return i;
  return -1;
}

std::string tile_list(const GemmTileSet& tiles) {
  std::string list;
  for (int i = 0; i < tiles.count; ++i) list += std::string(i ? ", " : "") + tiles.names[i];
  return list;
}

bool env_is_off(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && (std::string(value) == "0" || std::string(value) == "off");
}

std::string cache_dir() {
  if (const char* dir = std::getenv("FASTNN_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/fastnn";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/fastnn";
  return "";
}

std::string cache_path(SimdLevel level) {
  const std::string dir = cache_dir();
  if (dir.empty()) return "";
  const CpuIdentity cpu = cpu_identity();
  char name[160];
  std::snprintf(name, sizeof name, "/gemm-tile-%s-%x-%x-%s.txt", cpu.vendor.c_str(), cpu.family, cpu.model,
                simd_level_name(level));
  return dir + name;
}

// mkdir -p of the cache directory (its parent at most one level missing, as ~/.cache may be).
bool make_dirs(const std::string& dir) {
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) mkdir(dir.substr(0, slash).c_str(), 0755);
  return mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST;
}

// The calibration file: a "tile <name>" line, then "<name> <GFLOP/s>" per tile.
bool read_cache(const std::string& path, const GemmTileSet& tiles, GemmTileChoice* choice) {
  std::ifstream in(path);
  if (!in) return false;
  std::vector<double> measured(static_cast<size_t>(tiles.count), 0.0);
  int index = -1;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, value;
    if (!(fields >> key >> value) || key[0] == '#') continue;
    if (key == "tile") {
      index = find_tile(tiles, value);
    } else if (int at = find_tile(tiles, key); at >= 0) {
      measured[static_cast<size_t>(at)] = std::atof(value.c_str());
    }
  }
  if (index < 0) return false;
  choice->index = index;
  choice->source = "calibration cached in " + path;
  choice->measured_gflops = measured;
  return true;
}

void write_cache(const std::string& path, const GemmTileSet& tiles, const GemmTileChoice& choice, SimdLevel level) {
  if (path.empty() || !make_dirs(path.substr(0, path.find_last_of('/')))) return;
  const std::string temporary = path + "." + std::to_string(getpid()) + ".tmp";
  {
    std::ofstream out(temporary);
    const CpuIdentity cpu = cpu_identity();
    out << "# fastnn GEMM tile calibration: " << cpu.vendor << " family 0x" << std::hex << cpu.family << " model 0x"
        << cpu.model << std::dec << ", " << simd_level_name(level) << ", GFLOP/s of each tile's micro-kernel\n";
    out << "tile " << tiles.names[choice.index] << "\n";
    for (int i = 0; i < tiles.count; ++i) out << tiles.names[i] << " " << choice.measured_gflops[static_cast<size_t>(i)] << "\n";
    if (!out) {
      std::remove(temporary.c_str());
      return;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) std::remove(temporary.c_str());  // atomic replace
}

GemmTileChoice choose(SimdLevel level) {
  const GemmTileSet& tiles = gemm_tiles(level);
  GemmTileChoice choice;
  if (const char* forced = std::getenv("FASTNN_GEMM_TILE"); forced && *forced) {
    const int index = find_tile(tiles, forced);
    if (index < 0)
      throw std::invalid_argument(std::string("FASTNN_GEMM_TILE='") + forced + "' is not a GEMM tile of SIMD level " +
                                  simd_level_name(level) + " (its tiles: " + tile_list(tiles) + ")");
    choice.index = index;
    choice.source = "FASTNN_GEMM_TILE";
    return choice;
  }
  const CpuIdentity cpu = cpu_identity();
  for (const KnownCpu& known : kKnownCpus)
    if (cpu.vendor == known.vendor && cpu.family == known.family && level == known.level) {
      choice.index = std::max(0, find_tile(tiles, known.tile));
      choice.source = std::string("CPU table: ") + known.evidence;
      return choice;
    }
  if (tiles.count == 1 || env_is_off("FASTNN_GEMM_CALIBRATE")) {
    choice.source = tiles.count == 1 ? "the level's only tile" : "default (FASTNN_GEMM_CALIBRATE=0)";
    return choice;
  }
  const std::string path = cache_path(level);
  if (!path.empty() && read_cache(path, tiles, &choice)) return choice;
  choice.measured_gflops = calibrate_gemm_tiles(level);
  const auto best = std::max_element(choice.measured_gflops.begin(), choice.measured_gflops.end());
  choice.index = static_cast<int>(best - choice.measured_gflops.begin());
  choice.source = "calibrated now" + (path.empty() ? std::string(" (no cache directory)") : ", written to " + path);
  write_cache(path, tiles, choice, level);
  return choice;
}

double thread_seconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

// Best of 3 runs of >= 20 ms each: the micro-kernel over an MC x KC block of A (L2) and the
// KC x NR panels of B that make up a 256-column block, as the packed GEMM's inner loops run it.
double tile_gflops(const GemmMicroKernels<float>& uk) {
  constexpr int64_t kc = 256, rows_wanted = 144, cols_wanted = 256;
  const int64_t m_panels = (rows_wanted + uk.mr - 1) / uk.mr, n_panels = (cols_wanted + uk.nr - 1) / uk.nr;
  const int64_t rows = m_panels * uk.mr, cols = n_panels * uk.nr;
  std::vector<float> a(static_cast<size_t>(rows * kc)), b(static_cast<size_t>(kc * cols)), c(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < a.size(); ++i) a[i] = 1.0f / float(1 + i % 97);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 1.0f / float(1 + i % 89);
  const TileEpilogue<float> ep{1.0f, 0.0f, nullptr, false};
  auto block = [&] {
    for (int64_t j = 0; j < n_panels; ++j)
      for (int64_t i = 0; i < m_panels; ++i)
        uk.packed(kc, a.data() + i * uk.mr * kc, b.data() + j * uk.nr * kc, c.data() + i * uk.mr * cols + j * uk.nr, cols,
                  uk.mr, uk.nr, ep);
  };
  block();
  const double flops = 2.0 * double(rows) * double(cols) * double(kc);
  double best = 0.0;
  for (int run = 0; run < 3; ++run) {
    int64_t blocks = 0;
    const double start = thread_seconds();
    double elapsed = 0.0;
    do {
      block();
      ++blocks;
      elapsed = thread_seconds() - start;
    } while (elapsed < 0.02);
    best = std::max(best, flops * double(blocks) / elapsed * 1e-9);
  }
  return best;
}

void check_supported(SimdLevel level) {
  if (level > best_supported_simd_level())
    throw std::invalid_argument(std::string("SIMD level '") + simd_level_name(level) + "' is not supported by this CPU");
}

}  // namespace

std::vector<double> calibrate_gemm_tiles(SimdLevel level) {
  check_supported(level);
  const GemmTileSet& tiles = gemm_tiles(level);
  std::vector<double> gflops;
  for (int i = 0; i < tiles.count; ++i) gflops.push_back(tile_gflops(*tiles.f32[i]));
  return gflops;
}

GemmTileChoice gemm_tile_choice(SimdLevel level) {
  gemm_tile_index(level);
  std::lock_guard<std::mutex> lock(choice_mutex);
  return choices[level_slot(level)];
}

int gemm_tile_index(SimdLevel level) {
  const int slot = level_slot(level);
  const int index = chosen_index[slot].load(std::memory_order_acquire);
  if (index >= 0) return index;
  std::lock_guard<std::mutex> lock(choice_mutex);
  if (chosen_index[slot].load(std::memory_order_relaxed) < 0) {
    choices[slot] = choose(level);
    chosen_index[slot].store(choices[slot].index, std::memory_order_release);
  }
  return chosen_index[slot].load(std::memory_order_relaxed);
}

void set_gemm_tile(SimdLevel level, const std::string& name) {
  check_supported(level);
  const GemmTileSet& tiles = gemm_tiles(level);
  const int index = find_tile(tiles, name);
  if (index < 0)
    throw std::invalid_argument("'" + name + "' is not a GEMM tile of SIMD level " + simd_level_name(level) +
                                " (its tiles: " + tile_list(tiles) + ")");
  std::lock_guard<std::mutex> lock(choice_mutex);
  GemmTileChoice& choice = choices[level_slot(level)];
  choice.index = index;
  choice.source = "set_gemm_tile";
  chosen_index[level_slot(level)].store(index, std::memory_order_release);
}

}  // namespace fastnn::cpu
