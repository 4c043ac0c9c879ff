// What each SIMD level provides to the GEMM driver (cpu/gemm.cpp): a register-blocked
// micro-kernel and the packing routines that feed it, for float and double.
//
// Packed layouts (BLIS): an A panel holds MR rows, stored k-major (dst[p*MR + i]); a B panel
// holds NR columns, stored k-major (dst[p*NR + j]). Panels past the matrix edge are zero-padded,
// so the micro-kernel always runs on a full MR x NR tile.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace fastnn::cpu {

// How a tile of accumulators lands in C:
//   C = alpha * acc + beta * C (beta == 0: C is not read) ; then + bias[j] ; then relu.
template <class T>
struct TileEpilogue {
  T alpha, beta;
  const T* bias;  // already offset to the tile's first column; null for none
  bool relu;
};

template <class T>
struct GemmMicroKernels {
  int mr, nr;
  // A tile from packed panels into C (row stride ldc, unit column stride); only rows [0, rows)
  // x cols [0, cols) of the MR x NR tile are stored (1 <= rows <= MR, 1 <= cols <= NR).
  void (*packed)(int64_t kc, const T* a_panel, const T* b_panel, T* c, int64_t ldc, int64_t rows, int64_t cols,
                 const TileEpilogue<T>& ep);
  // The same straight from the operands, A(i, p) = a[i*rs_a + p*cs_a], B(p, j) = b[p*ldb + j],
  // reading only rows [0, rows) of A and cols [0, cols) of B.
  void (*strided)(int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, const T* b, int64_t ldb, T* c,
                  int64_t ldc, int64_t rows, int64_t cols, const TileEpilogue<T>& ep);
  // Packs rows [0, rows) x cols [0, kc) of A(i, p) = a[i*rs + p*cs] into ceil(rows/MR) panels.
  void (*pack_a)(int64_t rows, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst);
  // Packs rows [0, kc) x cols [0, cols) of B(p, j) = b[p*rs + j*cs] into ceil(cols/NR) panels.
  void (*pack_b)(int64_t kc, int64_t cols, const T* b, int64_t rs, int64_t cs, T* dst);
  // Dot form: out[i*dot_cols + j] = sum_p A(i, p) B(p, j) for i < rows (<= dot_rows) and
  // j < cols (<= dot_cols), A(i, p) = a[i*lda + p], B(p, j) = b[j*ldb + p]; raw sums, no epilogue.
  int dot_rows, dot_cols;
  void (*dot)(int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, int64_t rows, int64_t cols, T* out);
  // Runs `steps` rounds of MR*NR/width independent register FMAs; returns the flops done. Timed by
  // the benchmarks to get the machine's real peak (clock x FMA pipes x width, all unknown here).
  int64_t (*fma_probe)(int64_t steps);
  // The same for a tile one vector wide (twice as tall), for products at most that many columns
  // wide (a classifier layer, n = 10): a full-width tile would leave most of its lanes idle.
  // Null in the narrow table itself.
  const GemmMicroKernels* narrow;
};

// The register tiles a SIMD level offers for the packed product, index 0 its default; which
// one runs is chosen per CPU (cpu/gemm_tuning.h). A tile is named "MRxNV": MR rows by NV
// vectors of accumulators. Every tile sums each C element over k in the same order, so the
// choice changes speed, never a result bit.
struct GemmTileSet {
  int count;
  const char* const* names;
  const GemmMicroKernels<float>* const* f32;
  const GemmMicroKernels<double>* const* f64;
};

const GemmTileSet& gemm_tiles(SimdLevel level);
// The tile of the chosen index at `level` (gemm_tuning.h), for float and double.
const GemmMicroKernels<float>& gemm_microkernels_f32(SimdLevel level);
const GemmMicroKernels<double>& gemm_microkernels_f64(SimdLevel level);

// One set per level; each is defined in its own translation unit under csrc/cpu/simd/, as
// constexpr objects: a table that needed a run-time initialiser would run code compiled for
// that level when the module loads, and crash with SIGILL on a CPU without it (seen on SSE-only
// CPUs).
namespace generic {
extern const GemmTileSet gemm_tile_set;
}  // namespace generic
namespace avx2 {
extern const GemmTileSet gemm_tile_set;
}  // namespace avx2
namespace avx512 {
extern const GemmTileSet gemm_tile_set;
}  // namespace avx512

}  // namespace fastnn::cpu
