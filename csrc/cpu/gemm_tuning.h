// Which register tile the GEMM runs on this CPU (the SIMD level's tiles: gemm_microkernels.h).
//
// The tile that reaches the peak depends on the microarchitecture's load, broadcast and FMA
// ports (on Zen 4, which executes AVX-512 as 2 x 256 bits, 12x2 reaches 90%; on Intel parts
// with two 512-bit FMA units the same tile stayed near 60%), so it is chosen per CPU, once per
// SIMD level, at the first product that needs it (never at import):
//   1. FASTNN_GEMM_TILE=<name> forces one of the level's tiles (an unknown name is an error
//      at the first product, naming the tiles there are);
//   2. a CPU model whose best tile was measured (the table in gemm_tuning.cpp) takes it;
//   3. else the calibration cached for this CPU model and level, in
//      <cache>/gemm-tile-<vendor>-<family>-<model>-<level>.txt, <cache> = $FASTNN_CACHE_DIR,
//      else $XDG_CACHE_HOME/fastnn, else ~/.cache/fastnn; without one, each tile's
//      micro-kernel is timed on an L2-resident block (about 0.3 s of this thread's CPU time, so
//      other processes on the machine hardly move it) and the fastest is kept and written there.
//   FASTNN_GEMM_CALIBRATE=0 skips step 3: the level's default tile, no file read or written.
// The blocking (KC, MC, NC) follows the measured cache sizes of the CPU (gemm.cpp). No choice
// changes a result bit: every tile sums each element over k in the same order.
#pragma once
#include <string>
#include <vector>

#include "core/cpu_features.h"

namespace fastnn::cpu {

struct GemmTileChoice {
  int index = 0;                        // into gemm_tiles(level)
  std::string source;                   // why this tile: environment, CPU table, calibration, ...
  std::vector<double> measured_gflops;  // per tile, when calibrated (now or in the cache file)
};

// The choice for `level`, made on the first call (thread-safe).
GemmTileChoice gemm_tile_choice(SimdLevel level);
// Its index alone: the GEMM's per-call lookup.
int gemm_tile_index(SimdLevel level);
// Uses the tile called `name` at `level` from now on (tests and benchmarks compare tiles);
// throws std::invalid_argument for a name the level has not.
void set_gemm_tile(SimdLevel level, const std::string& name);
// GFLOP/s of each tile's float micro-kernel at `level` on the calling thread (CPU time).
std::vector<double> calibrate_gemm_tiles(SimdLevel level);

}  // namespace fastnn::cpu
