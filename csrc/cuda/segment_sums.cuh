// Deterministic sums over segments of any length, for the normalisation kernels (norm.cu,
// group_norm.cu): a segment is a batch-norm channel, a layer-norm row or a group-norm channel, K
// segments of M elements each, element i of segment k at an address an Index functor gives.
//
// Two stages, both in a fixed order, in double, no atomics (results bitwise repeatable):
//   1. partial_sums: segment k's elements split into `parts` chunks of `chunk` consecutive
//      elements (the split depends only on M); block (p, k) sums chunk p (thread t: elements
//      t, t + kThreads, ... of the chunk, then block_reduce's tree) into partial[k][p][q] for the
//      NV values q the Terms functor adds per element.
//   2. segment_total: the parts of a segment summed in order of p by one thread; every kernel
//      that needs a total computes it this way, so they all see the same double.
// A chunk is at least kMinChunk elements and there are at most kMaxParts of them, so a long
// batch-norm channel spreads over many blocks while a short layer-norm row is one block.
#pragma once
#include <cstdint>

#include "cuda/block_reduce.cuh"
#include "cuda/launch.cuh"

namespace fastnn::cuda::segment {

constexpr int kThreads = 256;
constexpr int64_t kMinChunk = 2048;
constexpr int64_t kMaxParts = 256;
constexpr int64_t kMaxBlocks = 65535;  // grid.y, and the 1-D grids of the per-element kernels

inline unsigned blocks_for(int64_t items) {
  const int64_t blocks = (items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// How a segment of m elements is cut: parts = 0 when m = 0.
struct Split {
  int64_t chunk, parts;
};

inline Split split_for(int64_t m) {
  int64_t chunk = (m + kMaxParts - 1) / kMaxParts;
  if (chunk < kMinChunk) chunk = kMinChunk;
  return {chunk, (m + chunk - 1) / chunk};
}

// Element i of channel k of a contiguous [N, C, S] array (M = N S).
struct ChannelIndex {
  int64_t c, s;
  __device__ __forceinline__ int64_t operator()(int64_t k, int64_t i) const { return ((i / s) * c + k) * s + i % s; }
};

// Element i of row k of a contiguous [K, D] array (M = D).
struct RowIndex {
  int64_t d;
  __device__ __forceinline__ int64_t operator()(int64_t k, int64_t i) const { return k * d + i; }
};

// acc[0] += x.
template <class T, class Index>
struct Values {
  const T* x;
  Index at;
  __device__ __forceinline__ void operator()(double* acc, int64_t k, int64_t i) const { acc[0] += double(x[at(k, i)]); }
};

// acc[0] += (x - mean_k)^2.
template <class T, class Index>
struct SquaredDeviations {
  const T* x;
  const double* mean;
  Index at;
  __device__ __forceinline__ void operator()(double* acc, int64_t k, int64_t i) const {
    const double d = double(x[at(k, i)]) - mean[k];
    acc[0] += d * d;
  }
};

// partial [segments, parts, NV]; grid (parts, min(segments, kMaxBlocks)), a grid-stride loop over k.
template <int NV, class Terms>
__global__ void __launch_bounds__(kThreads)
    partial_sums_kernel(double* partial, Terms terms, int64_t segments, int64_t m, int64_t chunk, int64_t parts) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  const int64_t p = blockIdx.x;
  const int64_t begin = p * chunk, end = begin + chunk < m ? begin + chunk : m;
  for (int64_t k = blockIdx.y; k < segments; k += gridDim.y) {
    double acc[NV];
    FASTNN_UNROLL
    for (int q = 0; q < NV; ++q) acc[q] = 0.0;
    for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) terms(acc, k, i);
    FASTNN_UNROLL
    for (int q = 0; q < NV; ++q) {
      const double total = block_reduce<kThreads>(acc[q], buffer, SumOp{});
      if (threadIdx.x == 0) partial[(k * parts + p) * NV + q] = total;
    }
  }
}

template <int NV, class Terms>
void partial_sums(cudaStream_t stream, double* partial, const Terms& terms, int64_t segments, int64_t m,
                  const Split& split) {
  if (segments == 0 || split.parts == 0) return;
  const dim3 grid(static_cast<unsigned>(split.parts),
                  static_cast<unsigned>(segments < kMaxBlocks ? segments : kMaxBlocks));
  FASTNN_LAUNCH(partial_sums_kernel<NV, Terms>)(grid, dim3(kThreads), 0, stream, partial, terms, segments, m,
                                                split.chunk, split.parts);
}

// Value q of segment k: its parts summed in order (0 for an empty segment).
template <int NV>
__device__ __forceinline__ double segment_total(const double* partial, int64_t k, int64_t parts, int q) {
  double s = 0.0;
  for (int64_t p = 0; p < parts; ++p) s += partial[(k * parts + p) * NV + q];
  return s;
}

// out[k] = value q of segment k / divisor (as Out), one thread per segment.
template <int NV, class Out>
__global__ void __launch_bounds__(kThreads)
    totals_kernel(Out* out, const double* partial, int64_t segments, int64_t parts, int q, double divisor) {
  FASTNN_GRID_STRIDE(k, segments, kThreads) out[k] = Out(segment_total<NV>(partial, k, parts, q) / divisor);
}

// The doubles of workspace `moments` needs: moments [2K] and the partial sums [K, parts].
inline int64_t moments_workspace(int64_t segments, int64_t m) { return segments * (2 + split_for(m).parts); }

// Two-pass statistics of every segment: moments[k] = its mean, moments[K + k] = its sum of squared
// deviations from that mean; `workspace` holds
// moments_workspace(segments, m) doubles, moments first. m = 0 gives mean 0 / 0 (NaN) and 0.
template <class T, class Index>
void moments(cudaStream_t stream, double* workspace, const T* x, Index at, int64_t segments, int64_t m) {
  if (segments == 0) return;
  const Split split = split_for(m);
  double* partial = workspace + 2 * segments;
  partial_sums<1>(stream, partial, Values<T, Index>{x, at}, segments, m, split);
  FASTNN_LAUNCH(totals_kernel<1, double>)(dim3(blocks_for(segments)), dim3(kThreads), 0, stream, workspace, partial,
                                          segments, split.parts, 0, double(m));
  partial_sums<1>(stream, partial, SquaredDeviations<T, Index>{x, workspace, at}, segments, m, split);
  FASTNN_LAUNCH(totals_kernel<1, double>)(dim3(blocks_for(segments)), dim3(kThreads), 0, stream, workspace + segments,
                                          partial, segments, split.parts, 0, 1.0);
}

}  // namespace fastnn::cuda::segment
