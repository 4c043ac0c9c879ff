// GEMM driver: C = act(alpha * op(A) @ op(B) + beta * C + bias). See gemm.h for the contract.
//
// Algorithm (BLIS): for each NC-wide column block of B and each KC-deep slice of K, pack the
// KC x NC B block into NR-wide panels (L3-resident); for each MC-tall row block of A pack it into
// MR-tall panels (L2-resident); then run the MR x NR micro-kernel over every tile, the B panel
// staying in L1 across the tiles of one column of tiles. Block sizes come from the cache sizes;
// the register tile is chosen per CPU (gemm_tuning.h).
// Threads each compute a block of whole tiles of C with their own packed copies (never split K).
// A B used by many products can be packed once (pack_b: the same KC blocks, all of n at a time)
// and read from there by every thread (gemm_prepacked), with the same result.
// Small-batch Linear layers (few rows, A and op(B) both contiguous along k) run as dot products.
// Small problems skip packing A: tiles read A in place, and B too when its rows are contiguous.
// Products at most one vector wide use a narrow (one vector, twice as tall) tile.
// Edge tiles store (and, unpacked, load B) with masked vectors, so nothing outside the matrices
// is ever read or written; only C without unit column stride goes through a tile buffer and a
// scalar epilogue.
#include "cpu/gemm.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/gemm_tuning.h"
#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu {

const GemmTileSet& gemm_tiles(SimdLevel level) {
#if defined(FASTNN_HAVE_X86_SIMD)
  if (level == SimdLevel::avx512) return avx512::gemm_tile_set;
  if (level == SimdLevel::avx2) return avx2::gemm_tile_set;
#endif
  return generic::gemm_tile_set;
}

const GemmMicroKernels<float>& gemm_microkernels_f32(SimdLevel level) {
  return *gemm_tiles(level).f32[gemm_tile_index(level)];
}

const GemmMicroKernels<double>& gemm_microkernels_f64(SimdLevel level) {
  return *gemm_tiles(level).f64[gemm_tile_index(level)];
}

namespace {

const GemmMicroKernels<float>& microkernels(float*) { return gemm_microkernels_f32(simd_level()); }
const GemmMicroKernels<double>& microkernels(double*) { return gemm_microkernels_f64(simd_level()); }
const GemmMicroKernels<float>& default_tile(float*) { return *gemm_tiles(simd_level()).f32[0]; }
const GemmMicroKernels<double>& default_tile(double*) { return *gemm_tiles(simd_level()).f64[0]; }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

struct Blocking {
  int64_t kc, mc, nc;
};

// KC: a KC x NR B panel fills twice L1, capped at 512: the tile streams its panels from L2
// (hardware prefetch keeps up: each k step is MR*NR/width FMAs long), and a deep KC spends
// the C tile's load and store, which miss L1 when C's rows are 4 KiB apart, over more FMAs.
// Measured at 1024^3 on Zen 4 (32 KiB L1): KC 128 -> 256 -> 512 gave 73 -> 88 -> 96 GFLOP/s.
// MC: an MC x KC A block fills half of L2.
// NC: a KC x NC B block fills a quarter of L3. Then each is evened out over the problem so the
// last block is not a sliver (k = 784 becomes 4 x 196, not 4 x 192 + 16).
// KC is sized for kc_nr, the NR of the SIMD level's default tile (or of the narrow tile), not
// for the tile in use: the KC blocks decide each element's rounding, and the per-CPU choice of
// tile (gemm_tuning.h) must not change a result bit.
Blocking choose_blocking(int64_t m, int64_t n, int64_t k, int mr, int nr, int kc_nr, size_t elem) {
  static const CacheSizes caches = cache_sizes();
  int64_t kc = std::clamp<int64_t>(caches.l1d * 2 / (kc_nr * elem), 64, 512);
  int64_t mc = std::max<int64_t>(mr, caches.l2 / 2 / (kc * elem) / mr * mr);
  int64_t nc = std::clamp<int64_t>(caches.l3 / 4 / (kc * elem) / nr * nr, nr, 4096 / nr * nr);
  kc = ceil_div(k, ceil_div(k, kc));
  mc = round_up(ceil_div(m, ceil_div(m, mc)), mr);
  nc = round_up(ceil_div(n, ceil_div(n, nc)), nr);
  return {kc, mc, nc};
}

// Multiply-adds below which one thread does the whole product (waking a second costs more).
constexpr int64_t kMinWorkPerThread = int64_t(1) << 17;
// Multiply-adds below which packing costs more than it saves.
constexpr int64_t kNoPackLimit = int64_t(1) << 18;

template <class T>
int threads_for(const GemmProblem<T>& g) {
  int64_t work = g.m * g.n * g.k;
  return static_cast<int>(std::clamp<int64_t>(work / kMinWorkPerThread, 1, num_threads()));
}

// C tile (strided, mr x nr) <- epilogue applied to a raw tile of accumulators (row stride ldt).
template <class T>
void store_tile_scalar(const T* tile, int64_t ldt, int64_t mr, int64_t nr, T* c, int64_t rs_c, int64_t cs_c,
                       const TileEpilogue<T>& ep) {
  for (int64_t i = 0; i < mr; ++i) {
    for (int64_t j = 0; j < nr; ++j) {
      T& out = c[i * rs_c + j * cs_c];
      T v = ep.alpha * tile[i * ldt + j];
      if (ep.beta != T(0)) v += ep.beta * out;
      if (ep.bias) v += ep.bias[j];
      if (ep.relu && v < T(0)) v = T(0);
      out = v;
    }
  }
}

template <class T>
TileEpilogue<T> raw_accumulators() {
  return {T(1), T(0), nullptr, false};
}

// k == 0: the product is empty, only beta * C + bias and the activation remain.
template <class T>
void gemm_empty_k(const GemmProblem<T>& g) {
  const TileEpilogue<T> ep{T(0), g.beta, g.bias, g.act == Activation::relu};
  T zero_tile[1] = {T(0)};
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      TileEpilogue<T> at_j = ep;
      if (at_j.bias) at_j.bias += j;
      store_tile_scalar(zero_tile, 0, 1, 1, g.c + i * g.rs_c + j * g.cs_c, g.rs_c, g.cs_c, at_j);
    }
}

// A is read in place. B too when its rows are contiguous; otherwise (B^T of a Linear layer) each
// thread packs the one B panel its current column of tiles needs, so no thread waits for another.
template <class T>
void gemm_unpacked(const GemmProblem<T>& g, const GemmMicroKernels<T>& uk) {
  const int64_t MR = uk.mr, NR = uk.nr;
  const int64_t tiles_m = ceil_div(g.m, MR), tiles_n = ceil_div(g.n, NR);
  const TileEpilogue<T> ep{g.alpha, g.beta, g.bias, g.act == Activation::relu};
  const bool pack_b = g.cs_b != 1;
  parallel_region(threads_for(g), [&](int tid, int nworkers) {
    T* b_panel = pack_b ? workspace_array<T>(WorkspaceSlot::gemm_b, NR * g.k) : nullptr;
    int64_t packed_column = -1;
    int64_t first, last;
    split_range(tiles_m * tiles_n, tid, nworkers, &first, &last);
    for (int64_t t = first; t < last; ++t) {
      const int64_t i0 = (t % tiles_m) * MR, j0 = (t / tiles_m) * NR;
      const int64_t mr = std::min(MR, g.m - i0), nr = std::min(NR, g.n - j0);
      const T* a = g.a + i0 * g.rs_a;
      const T* b = g.b + j0 * g.cs_b;
      int64_t ldb = g.rs_b;
      if (pack_b) {
        if (packed_column != j0) uk.pack_b(g.k, nr, b, g.rs_b, g.cs_b, b_panel);
        packed_column = j0;
        b = b_panel;
        ldb = NR;
      }
      T* c = g.c + i0 * g.rs_c + j0 * g.cs_c;
      TileEpilogue<T> tile_ep = ep;
      if (tile_ep.bias) tile_ep.bias += j0;
      if (g.cs_c == 1) {
        uk.strided(g.k, a, g.rs_a, g.cs_a, b, ldb, c, g.rs_c, mr, nr, tile_ep);
      } else {
        T* tile = workspace_array<T>(WorkspaceSlot::gemm_tile, MR * NR);
        uk.strided(g.k, a, g.rs_a, g.cs_a, b, ldb, tile, NR, mr, nr, raw_accumulators<T>());
        store_tile_scalar(tile, NR, mr, nr, c, g.rs_c, g.cs_c, tile_ep);
      }
    }
  });
}

// Rows up to which a product with A rows and op(B) columns contiguous along k (a Linear layer,
// W [out, in] with trans_b) runs in dot form: at small batch, packing W costs more than it saves.
// Measured (1 thread, Linear+ReLU 784 -> 256, load ~12 on 2 cores, GFLOP/s dot vs packed with
// transposing packs): 2 rows 13.2 vs 3.9, 4 rows 14.0 vs 11.3, 8 rows 14.3 vs 23.5, 64 rows
// 12 vs 41 (the dot form's horizontal sums and 8 loads per 12 FMAs cap it near 40% of peak).
constexpr int64_t kDotMaxRows = 6;

// Threads split the columns; each block of dot_cols columns of B stays in L1 while every row of
// A passes over it, so W is read from memory once.
template <class T>
void gemm_dot_form(const GemmProblem<T>& g, const GemmMicroKernels<T>& uk) {
  const int64_t DR = uk.dot_rows, DC = uk.dot_cols;
  const TileEpilogue<T> ep{g.alpha, g.beta, g.bias, g.act == Activation::relu};
  parallel_region(threads_for(g), [&](int tid, int nworkers) {
    T* sums = workspace_array<T>(WorkspaceSlot::gemm_tile, DR * DC);
    int64_t first, last;
    split_range(ceil_div(g.n, DC), tid, nworkers, &first, &last);
    for (int64_t jb = first; jb < last; ++jb) {
      const int64_t j0 = jb * DC, cols = std::min(DC, g.n - j0);
      TileEpilogue<T> block_ep = ep;
      if (block_ep.bias) block_ep.bias += j0;
      for (int64_t i0 = 0; i0 < g.m; i0 += DR) {
        const int64_t rows = std::min(DR, g.m - i0);
        uk.dot(g.k, g.a + i0 * g.rs_a, g.rs_a, g.b + j0 * g.cs_b, g.cs_b, rows, cols, sums);
        store_tile_scalar(sums, DC, rows, cols, g.c + i0 * g.rs_c + j0 * g.cs_c, g.rs_c, g.cs_c, block_ep);
      }
    }
  });
}

template <class T>
Blocking blocking_for(const GemmProblem<T>& g, const GemmMicroKernels<T>& uk) {
  const int kc_nr = uk.narrow ? default_tile(static_cast<T*>(nullptr)).nr : uk.nr;  // the narrow table has none
  return choose_blocking(g.m, g.n, g.k, uk.mr, uk.nr, kc_nr, sizeof(T));
}

// Where a block's B panels come from: packed per (NC, KC) block into the thread's workspace, or
// read from all of op(B) packed beforehand (pack_b's layout: KC block after KC block, each holding
// every NR-wide panel of B in column order, the block at depth pc starting at pc * panels * NR).
template <class T>
struct BPanels {
  const T* prepacked = nullptr;  // null: pack here
  int64_t first_panel = 0;       // the panel of the whole B holding this block's column 0
  int64_t panels = 0;            // panels across the whole B
};

// The packed algorithm on one thread's block of C, with that thread's own workspace.
template <class T>
void gemm_packed_block(const GemmProblem<T>& g, const GemmMicroKernels<T>& uk, const BPanels<T>& source) {
  const int64_t MR = uk.mr, NR = uk.nr;
  const Blocking blk = blocking_for(g, uk);
  T* a_block = workspace_array<T>(WorkspaceSlot::gemm_a, blk.mc * blk.kc);
  T* b_block = source.prepacked ? nullptr : workspace_array<T>(WorkspaceSlot::gemm_b, blk.kc * blk.nc);
  const bool relu = g.act == Activation::relu;
  for (int64_t jc = 0; jc < g.n; jc += blk.nc) {
    const int64_t nc = std::min(blk.nc, g.n - jc);
    const int64_t panels_b = ceil_div(nc, NR);
    for (int64_t pc = 0; pc < g.k; pc += blk.kc) {
      const int64_t kc = std::min(blk.kc, g.k - pc);
      const bool first_k = pc == 0, last_k = pc + kc == g.k;
      const T* b_panels = b_block;
      if (source.prepacked)
        b_panels = source.prepacked + pc * source.panels * NR + (source.first_panel + jc / NR) * NR * kc;
      else
        uk.pack_b(kc, nc, g.b + pc * g.rs_b + jc * g.cs_b, g.rs_b, g.cs_b, b_block);
      for (int64_t ic = 0; ic < g.m; ic += blk.mc) {
        const int64_t mc = std::min(blk.mc, g.m - ic);
        const int64_t panels_a = ceil_div(mc, MR);
        uk.pack_a(mc, kc, g.a + ic * g.rs_a + pc * g.cs_a, g.rs_a, g.cs_a, a_block);
        // Column of tiles after column of tiles: consecutive tiles share a B panel.
        for (int64_t jp = 0; jp < panels_b; ++jp) {
          for (int64_t ip = 0; ip < panels_a; ++ip) {
            const int64_t i0 = ic + ip * MR, j0 = jc + jp * NR;
            const int64_t mr = std::min(MR, g.m - i0), nr = std::min(NR, g.n - j0);
            const T* a_panel = a_block + ip * MR * kc;
            const T* b_panel = b_panels + jp * NR * kc;
            T* c = g.c + i0 * g.rs_c + j0 * g.cs_c;
            const TileEpilogue<T> ep{g.alpha, first_k ? g.beta : T(1),
                                     last_k && g.bias ? g.bias + j0 : nullptr, last_k && relu};
            if (g.cs_c == 1) {
              uk.packed(kc, a_panel, b_panel, c, g.rs_c, mr, nr, ep);
            } else {
              T* tile = workspace_array<T>(WorkspaceSlot::gemm_tile, MR * NR);
              uk.packed(kc, a_panel, b_panel, tile, NR, mr, nr, raw_accumulators<T>());
              store_tile_scalar(tile, NR, mr, nr, c, g.rs_c, g.cs_c, ep);
            }
          }
        }
      }
    }
  }
}

// Threads split C into blocks of whole tiles, along M when op(B) is the smaller operand (each
// thread then packs all of B and only its rows of A) and along N otherwise, and run the packed
// algorithm on their blocks independently: one fork and join per call, no barrier. Barriers
// between shared packing and compute cost a scheduler time slice each whenever the machine is
// busier than its cores (measured here, load 11 on 2 cores: 58 ms for a 2^18 multiply-add
// product), more than packing the smaller operand twice costs. K is never split, and each C
// element's sum runs over the same KC blocks (KC depends on k alone), so the split changes no bit.
// With op(B) packed beforehand (prepacked non-null), every thread reads its panels from there.
template <class T>
void gemm_packed(const GemmProblem<T>& g, const GemmMicroKernels<T>& uk, const T* prepacked = nullptr) {
  const int64_t panels_m = ceil_div(g.m, uk.mr), panels_n = ceil_div(g.n, uk.nr);
  const int workers = threads_for(g);
  const bool split_rows = panels_n < workers || (g.n <= g.m && panels_m >= workers);
  parallel_region(workers, [&](int tid, int nworkers) {
    int64_t lo, hi;
    GemmProblem<T> part = g;
    BPanels<T> source{prepacked, 0, panels_n};
    if (split_rows) {
      split_range(panels_m, tid, nworkers, &lo, &hi);
      part.m = std::min(g.m, hi * uk.mr) - lo * uk.mr;
      part.a += lo * uk.mr * g.rs_a;
      part.c += lo * uk.mr * g.rs_c;
    } else {
      split_range(panels_n, tid, nworkers, &lo, &hi);
      part.n = std::min(g.n, hi * uk.nr) - lo * uk.nr;
      part.b += lo * uk.nr * g.cs_b;
      part.c += lo * uk.nr * g.cs_c;
      if (part.bias) part.bias += lo * uk.nr;
      source.first_panel = lo;
    }
    if (part.m > 0 && part.n > 0) gemm_packed_block(part, uk, source);
  });
}

// The register tile of a product: one vector wide for products at most that narrow.
template <class T>
const GemmMicroKernels<T>& tile_for(const GemmProblem<T>& g) {
  const GemmMicroKernels<T>& wide = microkernels(static_cast<T*>(nullptr));
  return g.n <= wide.narrow->nr ? *wide.narrow : wide;
}

bool dot_form(int64_t m, int64_t cs_a, int64_t rs_b) { return cs_a == 1 && rs_b == 1 && m <= kDotMaxRows; }

// Whether gemm(g) takes the packed algorithm (and so packs op(B)).
template <class T>
bool takes_packed_path(const GemmProblem<T>& g) {
  return g.m > 0 && g.n > 0 && g.k > 0 && !dot_form(g.m, g.cs_a, g.rs_b) && g.m * g.n * g.k > kNoPackLimit;
}

}  // namespace

template <class T>
void gemm(const GemmProblem<T>& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return gemm_empty_k(g);
  const GemmMicroKernels<T>& uk = tile_for(g);
  if (dot_form(g.m, g.cs_a, g.rs_b)) return gemm_dot_form(g, uk);
  if (g.m * g.n * g.k <= kNoPackLimit) return gemm_unpacked(g, uk);
  gemm_packed(g, uk);
}

template <class T>
int64_t packed_b_size(const GemmProblem<T>& g) {
  if (!takes_packed_path(g)) return 0;
  return ceil_div(g.n, tile_for(g).nr) * tile_for(g).nr * g.k;
}

// The KC blocks of gemm_packed_block (KC depends on k alone), each packed across all of n.
template <class T>
void pack_b(const GemmProblem<T>& g, T* packed) {
  if (!takes_packed_path(g)) return;
  const GemmMicroKernels<T>& uk = tile_for(g);
  const int64_t kc_max = blocking_for(g, uk).kc, panels = ceil_div(g.n, uk.nr);
  for (int64_t pc = 0; pc < g.k; pc += kc_max)
    uk.pack_b(std::min(kc_max, g.k - pc), g.n, g.b + pc * g.rs_b, g.rs_b, g.cs_b, packed + pc * panels * uk.nr);
}

template <class T>
void gemm_prepacked(const GemmProblem<T>& g, const T* packed) {
  if (!takes_packed_path(g)) return gemm(g);
  gemm_packed(g, tile_for(g), packed);
}

#define FASTNN_INSTANTIATE_GEMM(T)                          \
  template void gemm<T>(const GemmProblem<T>&);             \
  template int64_t packed_b_size<T>(const GemmProblem<T>&); \
  template void pack_b<T>(const GemmProblem<T>&, T*);       \
  template void gemm_prepacked<T>(const GemmProblem<T>&, const T*);
FASTNN_INSTANTIATE_GEMM(float)
FASTNN_INSTANTIATE_GEMM(double)
#undef FASTNN_INSTANTIATE_GEMM

}  // namespace fastnn::cpu
