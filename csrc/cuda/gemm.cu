// GEMM on CUDA: C = act(alpha * op(A) @ op(B) + beta * C + bias)      (contract: gemm.h)
//
// Layouts: A is m x k, B is k x n, C is m x n, each a strided view (row stride rs, column
// stride cs, in elements, any sign), so transposes cost no copy; bias has n elements; act is
// none or relu; beta == 0 never reads C.
//
// Versions (`version` argument; 0 runs the best, version 4):
//   1  naive: one thread per element of C, A and B read from global memory.
//   2  shared-memory tiling: 16x16 tiles of A and B staged in shared memory per k step.
//   3  + register blocking: a 64x64 block tile, 8 deep, each of 256 threads computes 4x4.
//   4  + warp tiling and vectorised loads: a 128x128x8 block tile (64x64x8 for double), each warp
//      owns a 64x32 (32x32) warp tile, each thread a 16x4 (8x4) register tile read from shared
//      memory as 16-byte vectors; global loads are 16-byte vectors along whichever dimension of
//      an operand is contiguous (when aligned), scalar otherwise; A's tile is stored k-major
//      (transposed) so that the inner loop reads both tiles along m and n.
// Every version sums each element of C in one thread, k ascending: deterministic.
//
// Checking and benchmarking: tests/emu/gemm_check.cpp checks every version against the float64
// reference (through the emulator in tests/test_emulator.py); it uses only the CUDA runtime API,
// so that `nvcc -x cu` can build it for a GPU (not yet tried on one). Timings mean something only on a GPU: bench/gpu_check.py (issue 8, section 7) is
// to sweep the versions there; the ptxas report of a CMake build is <build>/ptxas_report.txt.
//
// Sections: reference (float64, host), kernels, launcher.
#include "cuda/gemm.h"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"

namespace fastnn::cuda {

// ----------------------------------------------------------------------------------------------
// reference

template <class T>
void gemm_reference(const cpu::GemmProblem<T>& p, const T* c_before, double* out) {
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double s = 0;
      for (int64_t q = 0; q < p.k; ++q)
        s += static_cast<double>(p.a[i * p.rs_a + q * p.cs_a]) * static_cast<double>(p.b[q * p.rs_b + j * p.cs_b]);
      double v = static_cast<double>(p.alpha) * s;
      if (p.beta != T(0)) v += static_cast<double>(p.beta) * static_cast<double>(c_before[i * p.rs_c + j * p.cs_c]);
      if (p.bias) v += static_cast<double>(p.bias[j]);
      if (p.act == cpu::Activation::relu && v < 0) v = 0;
      out[i * p.n + j] = v;
    }
}

template void gemm_reference<float>(const cpu::GemmProblem<float>&, const float*, double*);
template void gemm_reference<double>(const cpu::GemmProblem<double>&, const double*, double*);

// ----------------------------------------------------------------------------------------------
// kernels

namespace {

template <class T>
__device__ __forceinline__ T load_a(const cpu::GemmProblem<T>& p, int64_t i, int64_t q) {
  return p.a[i * p.rs_a + q * p.cs_a];
}
template <class T>
__device__ __forceinline__ T load_b(const cpu::GemmProblem<T>& p, int64_t q, int64_t j) {
  return p.b[q * p.rs_b + j * p.cs_b];
}

// C[i, j] = act(alpha * acc + beta * C[i, j] + bias[j])
template <class T>
__device__ __forceinline__ void store_c(const cpu::GemmProblem<T>& p, int64_t i, int64_t j, T acc) {
  T* c = p.c + i * p.rs_c + j * p.cs_c;
  T v = p.alpha * acc;
  if (p.beta != T(0)) v += p.beta * *c;
  if (p.bias) v += p.bias[j];
  if (p.act == cpu::Activation::relu) v = v > T(0) ? v : T(0);
  *c = v;
}

// Version 1. Grid: (ceil(m/16), ceil(n/16)), block (16, 16); x runs along n.
template <class T>
__global__ void gemm_naive(cpu::GemmProblem<T> p) {
  const int64_t i = int64_t(blockIdx.x) * 16 + threadIdx.y;
  const int64_t j = int64_t(blockIdx.y) * 16 + threadIdx.x;
  if (i >= p.m || j >= p.n) return;
  T acc = 0;
  for (int64_t q = 0; q < p.k; ++q) acc += load_a(p, i, q) * load_b(p, q, j);
  store_c(p, i, j, acc);
}

// Version 2. Same grid; a 16x16 tile of A and of B per k step.
template <class T>
__global__ void gemm_shared_tiles(cpu::GemmProblem<T> p) {
  constexpr int kT = 16;
  FASTNN_SHARED(T, As, [kT][kT]);
  FASTNN_SHARED(T, Bs, [kT][kT]);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t i = int64_t(blockIdx.x) * kT + ty;
  const int64_t j = int64_t(blockIdx.y) * kT + tx;
  T acc = 0;
  for (int64_t q0 = 0; q0 < p.k; q0 += kT) {
    As[ty][tx] = i < p.m && q0 + tx < p.k ? load_a(p, i, q0 + tx) : T(0);
    Bs[ty][tx] = j < p.n && q0 + ty < p.k ? load_b(p, q0 + ty, j) : T(0);
    __syncthreads();
    for (int q = 0; q < kT; ++q) acc += As[ty][q] * Bs[q][tx];
    __syncthreads();
  }
  if (i < p.m && j < p.n) store_c(p, i, j, acc);
}

// Version 3. Grid: (ceil(m/64), ceil(n/64)), 256 threads as 16x16, each a 4x4 tile of C with
// rows ty + 16r and columns tx + 16c (strided, so a warp's loads of a tile row are adjacent).
template <class T>
__global__ void gemm_register_blocked(cpu::GemmProblem<T> p) {
  constexpr int kB = 64, kK = 8, kR = 4;
  FASTNN_SHARED(T, As, [kK][kB]);
  FASTNN_SHARED(T, Bs, [kK][kB]);
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t i0 = int64_t(blockIdx.x) * kB, j0 = int64_t(blockIdx.y) * kB;
  T acc[kR][kR] = {};
  for (int64_t q0 = 0; q0 < p.k; q0 += kK) {
    for (int e = tid; e < kB * kK; e += 256) {
      const int row = e / kK, q = e % kK;  // A tile: element (row, q)
      As[q][row] = i0 + row < p.m && q0 + q < p.k ? load_a(p, i0 + row, q0 + q) : T(0);
      const int col = e % kB, qb = e / kB;  // B tile: element (qb, col)
      Bs[qb][col] = j0 + col < p.n && q0 + qb < p.k ? load_b(p, q0 + qb, j0 + col) : T(0);
    }
    __syncthreads();
    FASTNN_UNROLL
    for (int q = 0; q < kK; ++q) {
      T a[kR], b[kR];
      FASTNN_UNROLL
      for (int r = 0; r < kR; ++r) a[r] = As[q][ty + 16 * r];
      FASTNN_UNROLL
      for (int c = 0; c < kR; ++c) b[c] = Bs[q][tx + 16 * c];
      FASTNN_UNROLL
      for (int r = 0; r < kR; ++r)
        FASTNN_UNROLL
        for (int c = 0; c < kR; ++c) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();
  }
  FASTNN_UNROLL
  for (int r = 0; r < kR; ++r)
    FASTNN_UNROLL
    for (int c = 0; c < kR; ++c) {
      const int64_t i = i0 + ty + 16 * r, j = j0 + tx + 16 * c;
      if (i < p.m && j < p.n) store_c(p, i, j, acc[r][c]);
    }
}

// Version 4 configuration per element type: block tile BM x BN x BK, warp tile WM x WN, each
// lane TM x TN per sub-tile, lanes LM x LN (= 32) in a warp, sub-tiles repeated WM/(LM*TM) x
// WN/(LN*TN) times. A 16-byte vector holds W elements.
template <class T>
struct WarpTiled;
template <>
struct WarpTiled<float> {
  static constexpr int BM = 128, BN = 128, BK = 8, WM = 64, WN = 32, TM = 4, TN = 4, LM = 4, LN = 8;
  using Vec = float4;
};
template <>
struct WarpTiled<double> {
  static constexpr int BM = 64, BN = 64, BK = 8, WM = 32, WN = 32, TM = 4, TN = 4, LM = 4, LN = 8;
  using Vec = double2;
};

// How a tile of an operand is read from global memory (the same for every thread of a launch).
enum LoadMode : int {
  kScalarKFastest = 0,  // one element at a time, consecutive threads along k
  kScalarMNFastest = 1,  // one element at a time, consecutive threads along m (A) or n (B)
  kVectorAlongK = 2,    // 16-byte vectors of consecutive k
  kVectorAlongMN = 3,   // 16-byte vectors of consecutive m (A) or n (B)
};

// Loads the BK x R tile (k from q0, rows/columns from r0) of an operand whose element (r, q)
// is at x[r * rs_r + q * rs_q] into tile[q][r] (k-major), zero outside the matrix.
template <class T, class Vec, int R, int BK, int kThreads>
__device__ __forceinline__ void load_tile(T (&tile)[BK][R + 16 / sizeof(T)], const T* x, int64_t rs_r, int64_t rs_q,
                                          int64_t rows, int64_t depth, int64_t r0, int64_t q0, int mode, int tid) {
  constexpr int W = 16 / sizeof(T);
  if (mode == kVectorAlongK || mode == kVectorAlongMN) {
    const bool along_k = mode == kVectorAlongK;
    const int per_line = along_k ? BK / W : R / W;  // vectors per row (along k) or per k (along r)
    for (int v = tid; v < R * BK / W; v += kThreads) {
      const int r = along_k ? v / per_line : (v % per_line) * W;
      const int q = along_k ? (v % per_line) * W : v / per_line;
      const int64_t gr = r0 + r, gq = q0 + q;
      T e[W];
      const bool whole = along_k ? (gr < rows && gq + W <= depth) : (gq < depth && gr + W <= rows);
      if (whole) {
        const Vec vec = *reinterpret_cast<const Vec*>(x + gr * rs_r + gq * rs_q);
        const T* ve = reinterpret_cast<const T*>(&vec);
        FASTNN_UNROLL
        for (int w = 0; w < W; ++w) e[w] = ve[w];
      } else {
        FASTNN_UNROLL
        for (int w = 0; w < W; ++w) {
          const int64_t er = along_k ? gr : gr + w, eq = along_k ? gq + w : gq;
          e[w] = er < rows && eq < depth ? x[er * rs_r + eq * rs_q] : T(0);
        }
      }
      FASTNN_UNROLL
      for (int w = 0; w < W; ++w) {
        if (along_k) tile[q + w][r] = e[w];
        else tile[q][r + w] = e[w];
      }
    }
  } else {
    const bool k_fastest = mode == kScalarKFastest;
    for (int e = tid; e < R * BK; e += kThreads) {
      const int r = k_fastest ? e / BK : e % R;
      const int q = k_fastest ? e % BK : e / R;
      const int64_t gr = r0 + r, gq = q0 + q;
      tile[q][r] = gr < rows && gq < depth ? x[gr * rs_r + gq * rs_q] : T(0);
    }
  }
}

// A lane's register fragment of one k row of a shared tile: I sub-tiles of F consecutive
// elements, sub-tile i starting at row[i * L * F + position * F] (L lanes along the row), each
// read as 16-byte vectors.
template <class T, int I, int F, int L>
__device__ __forceinline__ void load_fragments(T (&out)[I * F], const T* row, int position) {
  using Vec = typename WarpTiled<T>::Vec;
  constexpr int W = 16 / sizeof(T);
  FASTNN_UNROLL
  for (int i = 0; i < I; ++i) {
    FASTNN_UNROLL
    for (int v = 0; v < F / W; ++v) {
      const Vec vec = reinterpret_cast<const Vec*>(row + i * L * F + position * F)[v];
      const T* ve = reinterpret_cast<const T*>(&vec);
      FASTNN_UNROLL
      for (int w = 0; w < W; ++w) out[i * F + v * W + w] = ve[w];
    }
  }
}

// Version 4. Grid: (ceil(m/BM), ceil(n/BN)), (BM/WM)*(BN/WN) warps.
template <class T>
__global__ void __launch_bounds__((WarpTiled<T>::BM / WarpTiled<T>::WM) * (WarpTiled<T>::BN / WarpTiled<T>::WN) * 32)
gemm_warp_tiled(cpu::GemmProblem<T> p, int a_mode, int b_mode) {
  using C = WarpTiled<T>;
  constexpr int BM = C::BM, BN = C::BN, BK = C::BK, WM = C::WM, WN = C::WN, TM = C::TM, TN = C::TN;
  constexpr int LM = C::LM, LN = C::LN, W = 16 / sizeof(T);
  constexpr int kThreads = (BM / WM) * (BN / WN) * 32;
  constexpr int MI = WM / (LM * TM), NI = WN / (LN * TN);  // sub-tiles per warp tile
  static_assert(LM * LN == 32 && MI * LM * TM == WM && NI * LN * TN == WN, "warp tile must split over 32 lanes");
  static_assert(TM % W == 0 && TN % W == 0 && BK % W == 0 && (BM * BK / W) % kThreads == 0, "vector widths");
  FASTNN_SHARED(T, As, [BK][BM + W]);  // k-major; the padding spreads the transposed stores over banks
  FASTNN_SHARED(T, Bs, [BK][BN + W]);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wm0 = (warp / (BN / WN)) * WM, wn0 = (warp % (BN / WN)) * WN;
  const int lm = lane / LN, ln = lane % LN;
  const int64_t i0 = int64_t(blockIdx.x) * BM, j0 = int64_t(blockIdx.y) * BN;

  T acc[MI * TM][NI * TN] = {};
  for (int64_t q0 = 0; q0 < p.k; q0 += BK) {
    load_tile<T, typename C::Vec, BM, BK, kThreads>(As, p.a, p.rs_a, p.cs_a, p.m, p.k, i0, q0, a_mode, tid);
    load_tile<T, typename C::Vec, BN, BK, kThreads>(Bs, p.b, p.cs_b, p.rs_b, p.n, p.k, j0, q0, b_mode, tid);
    __syncthreads();
    FASTNN_UNROLL
    for (int q = 0; q < BK; ++q) {
      T a[MI * TM], b[NI * TN];
      load_fragments<T, MI, TM, LM>(a, &As[q][wm0], lm);
      load_fragments<T, NI, TN, LN>(b, &Bs[q][wn0], ln);
      FASTNN_UNROLL
      for (int r = 0; r < MI * TM; ++r)
        FASTNN_UNROLL
        for (int c = 0; c < NI * TN; ++c) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();
  }
  FASTNN_UNROLL
  for (int r = 0; r < MI * TM; ++r)
    FASTNN_UNROLL
    for (int c = 0; c < NI * TN; ++c) {
      const int64_t i = i0 + wm0 + (r / TM) * LM * TM + lm * TM + r % TM;
      const int64_t j = j0 + wn0 + (c / TN) * LN * TN + ln * TN + c % TN;
      if (i < p.m && j < p.n) store_c(p, i, j, acc[r][c]);
    }
}

// ----------------------------------------------------------------------------------------------
// launcher

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Load mode of an operand whose element (r, q) (r along m or n, q along k) is at
// x[r * rs_r + q * rs_q]: vectors need unit stride along them, the other stride a multiple of
// the vector width, and a 16-byte aligned base.
template <class T>
int load_mode(const T* x, int64_t rs_r, int64_t rs_q) {
  constexpr int64_t W = 16 / sizeof(T);
  const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (aligned && rs_q == 1 && rs_r % W == 0) return kVectorAlongK;
  if (aligned && rs_r == 1 && rs_q % W == 0) return kVectorAlongMN;
  return (rs_q < 0 ? -rs_q : rs_q) <= (rs_r < 0 ? -rs_r : rs_r) ? kScalarKFastest : kScalarMNFastest;
}

dim3 grid_for(int64_t m, int64_t n, int64_t bm, int64_t bn, const char* kernel) {
  const int64_t gx = ceil_div(m, bm), gy = ceil_div(n, bn);
  if (gx > 2147483647 || gy > 65535)
    throw std::invalid_argument(std::string("fastnn::cuda::gemm: ") + kernel + " cannot cover m=" + std::to_string(m) +
                                ", n=" + std::to_string(n) + " (grid limit)");
  return dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy));
}

}  // namespace

template <class T>
void gemm(const cpu::GemmProblem<T>& p, cudaStream_t stream, int version) {
  if (version < 0 || version >= kGemmVersions)
    throw std::invalid_argument("fastnn::cuda::gemm: version must be in [0, " + std::to_string(kGemmVersions - 1) +
                                "], got " + std::to_string(version));
  if (p.m <= 0 || p.n <= 0) return;
  switch (version == 0 ? kGemmVersions - 1 : version) {
    case 1:
      FASTNN_LAUNCH(gemm_naive<T>)(grid_for(p.m, p.n, 16, 16, "gemm_naive"), dim3(16, 16), 0, stream, p);
      break;
    case 2:
      FASTNN_LAUNCH(gemm_shared_tiles<T>)(grid_for(p.m, p.n, 16, 16, "gemm_shared_tiles"), dim3(16, 16), 0, stream, p);
      break;
    case 3:
      FASTNN_LAUNCH(gemm_register_blocked<T>)(grid_for(p.m, p.n, 64, 64, "gemm_register_blocked"), dim3(256), 0,
                                              stream, p);
      break;
    default: {
      using C = WarpTiled<T>;
      constexpr int threads = (C::BM / C::WM) * (C::BN / C::WN) * 32;
      FASTNN_LAUNCH(gemm_warp_tiled<T>)(grid_for(p.m, p.n, C::BM, C::BN, "gemm_warp_tiled"), dim3(threads), 0, stream,
                                        p, load_mode(p.a, p.rs_a, p.cs_a), load_mode(p.b, p.cs_b, p.rs_b));
      break;
    }
  }
}

template void gemm<float>(const cpu::GemmProblem<float>&, cudaStream_t, int);
template void gemm<double>(const cpu::GemmProblem<double>&, cudaStream_t, int);

}  // namespace fastnn::cuda
