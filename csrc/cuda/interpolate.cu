// Linear / bilinear / bicubic interpolation on CUDA                (contract: interpolate.h)
//
// Formulas (cpu/interpolate.h): per axis the K taps (K = 2 linear, 4 cubic) of output o are
// (idx_a(o), w_a(o)), from src(o) = align_corners ? scale o : scale (o + 0.5) - 0.5;
//   forward   y[p, oh, ow] = sum_a wh_a(oh) sum_b ww_b(ow) x[p, ih_a(oh), iw_b(ow)]   (in double)
//   backward  dx[p, i, j]  = sum over (oh, a) with ih_a(oh) = i, in order of oh K + a, of
//             wh_a(oh) * (sum over (ow, b) with iw_b(ow) = j, in order of ow K + b, of ww_b(ow) dy)
//
// Layouts: x, dx [P, H, W]; y, dy [P, OH, OW]; contiguous (1-D input: H = OH = 1).
//
// Algorithms: forward, one thread per y element computing its taps as the CPU kernel's tables
// hold them. Backward, one thread per dx element, a gather with no atomics: each tap position a
// has an index idx_a(o) non-decreasing in o (src is monotone, floor and clamp keep it so), so the
// outputs whose tap a reads i are a range [lo_a, hi_a) found by binary search; the thread walks
// o over the union of the ranges and a = 0 .. K - 1 inside, which is the CPU's order of (o, a).
// Every product and sum goes through __dmul_rn / __dadd_rn, which nvcc never fuses into an FMA
// (the host compiler builds the CPU kernel without FMA): the same roundings, the same bits.
// 256 threads per block, grid-stride loops past kMaxGridBlocks blocks.
#include "cuda/interpolate.h"

#include <cmath>

#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

using cpu::InterpGeometry;
using cpu::InterpMode;

constexpr int kThreads = 256;

__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }

// Keys' cubic convolution weights, A = -0.75 (cpu/interpolate.cpp's cubic_near / cubic_far).
__device__ __forceinline__ double cubic_near(double x, double a) {
  return add(mul(mul(add(mul(a + 2, x), -(a + 3)), x), x), 1.0);
}
__device__ __forceinline__ double cubic_far(double x, double a) {
  return add(mul(add(mul(add(mul(a, x), -(5 * a)), x), 8 * a), x), -(4 * a));
}

// One axis of the resize; scale is computed on the host as the CPU kernel computes it.
struct Axis {
  int64_t in, out;
  double scale;
  bool align_corners, identity;  // identity: linear, in == out, no align_corners
  int k;
};

Axis make_axis(int64_t in, int64_t out, double given_scale, bool align_corners, InterpMode mode) {
  Axis ax{in, out, 0.0, align_corners, mode == InterpMode::linear && in == out && !align_corners,
          mode == InterpMode::linear ? 2 : 4};
  if (align_corners) ax.scale = out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  else ax.scale = given_scale > 0 ? 1.0 / given_scale : double(in) / double(out);
  return ax;
}

// The taps of output o (index and weight), as cpu/interpolate.cpp's build_axis fills its tables.
__device__ __forceinline__ void taps(const Axis& ax, int64_t o, int64_t idx[4], double w[4]) {
  const double src0 = ax.align_corners ? mul(ax.scale, double(o)) : add(mul(ax.scale, double(o) + 0.5), -0.5);
  if (ax.k == 2) {
    if (ax.identity) {
      idx[0] = idx[1] = o;
      w[0] = 1.0;
      w[1] = 0.0;
      return;
    }
    const double src = src0 < 0 ? 0.0 : src0;
    int64_t i0 = static_cast<int64_t>(src);
    i0 = i0 < ax.in - 1 ? i0 : ax.in - 1;
    double l = src - double(i0);
    l = l > 0.0 ? (l < 1.0 ? l : 1.0) : 0.0;
    idx[0] = i0;
    idx[1] = i0 + (i0 < ax.in - 1 ? 1 : 0);
    w[0] = 1.0 - l;
    w[1] = l;
  } else {
    const int64_t i = static_cast<int64_t>(floor(src0));
    const double t = src0 - double(i), a = -0.75;
    w[0] = cubic_far(t + 1.0, a);
    w[1] = cubic_near(t, a);
    w[2] = cubic_near(1.0 - t, a);
    w[3] = cubic_far(2.0 - t, a);
    for (int j = 0; j < 4; ++j) {
      const int64_t v = i - 1 + j;
      idx[j] = v < 0 ? 0 : v > ax.in - 1 ? ax.in - 1 : v;
    }
  }
}

__device__ __forceinline__ int64_t tap_index(const Axis& ax, int64_t o, int a) {
  int64_t idx[4];
  double w[4];
  taps(ax, o, idx, w);
  return idx[a];
}

// The first output o in [0, out) whose tap a reads an index >= i (out when none).
__device__ __forceinline__ int64_t first_at_least(const Axis& ax, int a, int64_t i) {
  int64_t lo = 0, hi = ax.out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (tap_index(ax, mid, a) < i)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// The outputs whose taps read i: per tap a the range [lo[a], hi[a]); [first, end) their union's hull.
struct Readers {
  int64_t lo[4], hi[4], first, end;
};
__device__ __forceinline__ Readers readers(const Axis& ax, int64_t i) {
  Readers r;
  r.first = ax.out;
  r.end = 0;
  for (int a = 0; a < ax.k; ++a) {
    r.lo[a] = first_at_least(ax, a, i);
    r.hi[a] = first_at_least(ax, a, i + 1);
    if (r.lo[a] < r.hi[a]) {
      r.first = r.lo[a] < r.first ? r.lo[a] : r.first;
      r.end = r.hi[a] > r.end ? r.hi[a] : r.end;
    }
  }
  return r;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    interpolate_forward_kernel(T* y, const T* x, int64_t planes, Axis h, Axis w) {
  const int64_t out_plane = h.out * w.out, total = planes * out_plane;
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    const int64_t p = e / out_plane, oh = e % out_plane / w.out, ow = e % w.out;
    int64_t ih[4], iw[4];
    double wh[4], ww[4];
    taps(h, oh, ih, wh);
    taps(w, ow, iw, ww);
    const T* xp = x + p * h.in * w.in;
    double acc = 0;
    for (int a = 0; a < h.k; ++a) {
      const T* xr = xp + ih[a] * w.in;
      double row = 0;
      for (int b = 0; b < w.k; ++b) row = add(row, mul(ww[b], double(xr[iw[b]])));
      acc = add(acc, mul(wh[a], row));
    }
    y[e] = T(acc);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    interpolate_backward_kernel(T* dx, const T* dy, int64_t planes, Axis h, Axis w) {
  const int64_t in_plane = h.in * w.in, total = planes * in_plane;
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    const int64_t p = e / in_plane, i = e % in_plane / w.in, j = e % w.in;
    const T* dyp = dy + p * h.out * w.out;
    const Readers rh = readers(h, i), rw = readers(w, j);
    double acc = 0;
    for (int64_t oh = rh.first; oh < rh.end; ++oh) {
      int64_t ih[4];
      double wh[4];
      taps(h, oh, ih, wh);
      for (int a = 0; a < h.k; ++a) {
        if (oh < rh.lo[a] || oh >= rh.hi[a]) continue;
        const T* dyr = dyp + oh * w.out;
        double row = 0;
        for (int64_t ow = rw.first; ow < rw.end; ++ow) {
          int64_t iw[4];
          double ww[4];
          taps(w, ow, iw, ww);
          for (int b = 0; b < w.k; ++b)
            if (ow >= rw.lo[b] && ow < rw.hi[b]) row = add(row, mul(ww[b], double(dyr[ow])));
        }
        acc = add(acc, mul(wh[a], row));
      }
    }
    dx[e] = T(acc);
  }
}

}  // namespace

template <class T>
void interpolate_forward(cudaStream_t stream, T* y, const T* x, const InterpGeometry& g, InterpMode mode) {
  const int64_t total = g.planes * g.out_h * g.out_w;
  if (total == 0) return;
  FASTNN_LAUNCH(interpolate_forward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, y, x,
                                               g.planes, make_axis(g.in_h, g.out_h, g.scale_h, g.align_corners, mode),
                                               make_axis(g.in_w, g.out_w, g.scale_w, g.align_corners, mode));
}

template <class T>
void interpolate_backward(cudaStream_t stream, T* dx, const T* dy, const InterpGeometry& g, InterpMode mode) {
  const int64_t total = g.planes * g.in_h * g.in_w;
  if (total == 0) return;
  FASTNN_LAUNCH(interpolate_backward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, dx, dy,
                                                g.planes, make_axis(g.in_h, g.out_h, g.scale_h, g.align_corners, mode),
                                                make_axis(g.in_w, g.out_w, g.scale_w, g.align_corners, mode));
}

template void interpolate_forward<float>(cudaStream_t, float*, const float*, const InterpGeometry&, InterpMode);
template void interpolate_forward<double>(cudaStream_t, double*, const double*, const InterpGeometry&, InterpMode);
template void interpolate_backward<float>(cudaStream_t, float*, const float*, const InterpGeometry&, InterpMode);
template void interpolate_backward<double>(cudaStream_t, double*, const double*, const InterpGeometry&, InterpMode);

}  // namespace fastnn::cuda
