// Padding on CUDA                                                  (contract: padding.h)
//
// Formulas (cpu/padding.h): per padded dimension d the source of output index o is
// src_d(o) = map(o - before_d) into [0, D_d) (constant: none outside; reflect: -t or
// 2 (D - 1) - t; replicate: clamp; circular: lo + (t - lo) mod K within what negative pads keep).
//   forward   y[p, o] = x[p, src(o)], or value when some dimension of o has no source;
//   backward  dx[p, i] = sum over the outputs o with src(o) = i of dy[p, o].
//
// Layouts: x, dx [P, D_0, ..., D_{k-1}]; y, dy [P, O_0, ..., O_{k-1}]; contiguous.
//
// Algorithms: forward, one thread per y element (its index split into p and o_d, one source per
// dimension). Backward, one thread per dx element, a gather with no atomics: along each
// dimension the outputs reading i_d are at most three runs of an arithmetic progression, found
// from the mode's formula (constant: o = before + i; reflect: the points t = -i, i, 2 (D - 1) - i;
// replicate: the edge runs [0, before] and [before + D - 1, O) or the point before + i;
// circular: every K-th output from (before + i) mod K), each point checked against src_d. The
// thread walks the product of the dimensions' runs in row-major order of o (the last dimension
// fastest), the order of the CPU kernel's sums: the same bits. 256 threads per block, grid-stride
// loops past kMaxGridBlocks blocks.
#include "cuda/padding.h"

#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

using cpu::kMaxPadDims;
using cpu::PadGeometry;
using cpu::PadMode;

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t floor_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }

// The source of output o along a dimension (-1: none, constant mode only): cpu/padding.cpp's
// source_index.
__device__ __forceinline__ int64_t source_index(int64_t o, int64_t before, int64_t after, int64_t size, PadMode mode) {
  const int64_t i = o - before;
  if (mode == PadMode::circular) {
    const int64_t lo = before < 0 ? -before : 0, kept = size - lo - (after < 0 ? -after : 0);
    return lo + floor_mod(i - lo, kept);
  }
  if (i >= 0 && i < size) return i;
  if (mode == PadMode::reflect) return i < 0 ? -i : 2 * (size - 1) - i;
  if (mode == PadMode::replicate) return i < 0 ? 0 : size - 1;
  return -1;
}

// The outputs along one dimension that read input index i: runs first, first + step, ... below
// end, in increasing order and disjoint.
struct Runs {
  int n;
  int64_t first[3], end[3], step[3];
  __device__ void add(int64_t f, int64_t e, int64_t s) {
    if (f >= e) return;
    first[n] = f;
    end[n] = e;
    step[n] = s;
    ++n;
  }
  // A single output o, when it exists and reads i.
  __device__ void point(int64_t o, int64_t out, int64_t i, int64_t before, int64_t after, int64_t size, PadMode mode) {
    if (o >= 0 && o < out && source_index(o, before, after, size, mode) == i) add(o, o + 1, 1);
  }
};

__device__ __forceinline__ int64_t clamp_to(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

__device__ __forceinline__ Runs readers(int64_t i, int64_t out, int64_t before, int64_t after, int64_t size,
                                        PadMode mode) {
  Runs r;
  r.n = 0;
  switch (mode) {
    case PadMode::constant:
      r.point(before + i, out, i, before, after, size, mode);
      break;
    case PadMode::reflect:
      if (i > 0) r.point(before - i, out, i, before, after, size, mode);
      r.point(before + i, out, i, before, after, size, mode);
      if (i < size - 1) r.point(before + 2 * (size - 1) - i, out, i, before, after, size, mode);
      break;
    case PadMode::replicate:
      if (size == 1)
        r.add(0, out, 1);
      else if (i == 0)
        r.add(0, clamp_to(before + 1, 0, out), 1);
      else if (i == size - 1)
        r.add(clamp_to(before + size - 1, 0, out), out, 1);
      else
        r.point(before + i, out, i, before, after, size, mode);
      break;
    case PadMode::circular: {
      const int64_t lo = before < 0 ? -before : 0, kept = size - lo - (after < 0 ? -after : 0);
      if (i >= lo && i < lo + kept) r.add(floor_mod(before + i, kept), out, kept);
      break;
    }
  }
  return r;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    pad_forward_kernel(T* y, const T* x, PadGeometry g, PadMode mode, T fill, int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    int64_t rest = e, offset = 0, in_stride = 1;
    bool inside = true;
    for (int d = g.k - 1; d >= 0; --d) {
      const int64_t s = source_index(rest % g.out[d], g.before[d], g.after[d], g.in[d], mode);
      rest /= g.out[d];
      if (s < 0) inside = false;
      offset += s * in_stride;
      in_stride *= g.in[d];
    }
    y[e] = inside ? x[rest * in_stride + offset] : fill;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) pad_backward_kernel(T* dx, const T* dy, PadGeometry g, PadMode mode,
                                                                int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  int64_t out_stride[kMaxPadDims];
  int64_t out_plane = 1;
  for (int d = g.k - 1; d >= 0; --d) {
    out_stride[d] = out_plane;
    out_plane *= g.out[d];
  }
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    Runs runs[kMaxPadDims];
    int run[kMaxPadDims];
    int64_t o[kMaxPadDims];
    int64_t rest = e;
    bool empty = false;
    for (int d = g.k - 1; d >= 0; --d) {
      runs[d] = readers(rest % g.in[d], g.out[d], g.before[d], g.after[d], g.in[d], mode);
      rest /= g.in[d];
      run[d] = 0;
      o[d] = runs[d].first[0];
      if (runs[d].n == 0) empty = true;
    }
    T acc = 0;
    if (!empty) {
      const T* plane = dy + rest * out_plane;
      for (;;) {
        int64_t offset = 0;
        for (int d = 0; d < g.k; ++d) offset += o[d] * out_stride[d];
        acc += plane[offset];
        int d = g.k - 1;  // odometer over the runs' points, the last dimension fastest
        for (; d >= 0; --d) {
          const Runs& r = runs[d];
          o[d] += r.step[run[d]];
          if (o[d] < r.end[run[d]]) break;
          if (++run[d] < r.n) {
            o[d] = r.first[run[d]];
            break;
          }
          run[d] = 0;
          o[d] = r.first[0];
        }
        if (d < 0) break;
      }
    }
    dx[e] = acc;
  }
}

}  // namespace

template <class T>
void pad_forward(cudaStream_t stream, T* y, const T* x, const PadGeometry& g, PadMode mode, double value) {
  int64_t total = g.planes;
  for (int d = 0; d < g.k; ++d) total *= g.out[d];
  if (total == 0) return;
  FASTNN_LAUNCH(pad_forward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, y, x, g, mode,
                                       T(value), total);
}

template <class T>
void pad_backward(cudaStream_t stream, T* dx, const T* dy, const PadGeometry& g, PadMode mode) {
  int64_t total = g.planes;
  for (int d = 0; d < g.k; ++d) total *= g.in[d];
  if (total == 0) return;
  FASTNN_LAUNCH(pad_backward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, dx, dy, g, mode,
                                        total);
}

template void pad_forward<float>(cudaStream_t, float*, const float*, const PadGeometry&, PadMode, double);
template void pad_forward<double>(cudaStream_t, double*, const double*, const PadGeometry&, PadMode, double);
template void pad_backward<float>(cudaStream_t, float*, const float*, const PadGeometry&, PadMode);
template void pad_backward<double>(cudaStream_t, double*, const double*, const PadGeometry&, PadMode);

}  // namespace fastnn::cuda
