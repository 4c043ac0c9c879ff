// Pooling and nearest upsampling on CUDA                           (contract: pool.h)
//
// Formulas (cpu/pool.h), per plane p of [planes, H, W] -> [planes, OH, OW]:
//   max_pool2d   y[oh, ow] = max over the window's taps inside the input, scanned row by row
//                from -inf, a value replacing the maximum when greater or NaN (ties keep the
//                first, NaN propagates); indices = ih * W + iw of the winner.
//                dx[i] = sum over outputs o in row-major order with indices[o] = i of dy[o].
//   avg_pool2d   y = (sum over the clipped window) / divisor;  dx[i] = sum over the windows o
//                covering i, in row-major order of o, of dy[o] / divisor(o).
//   adaptive     windows [floor(o H / OH), ceil((o + 1) H / OH)); y = sum / rows / cols.
//   upsample     y[oh, ow] = x[src_h(oh), src_w(ow)];  dx[i] = sum over outputs with source i.
//
// Layouts: x, dx [planes, H, W]; y, dy, indices (int64) [planes, OH, OW]; contiguous.
//
// Algorithms: every forward is one thread per output element, its window scanned as the CPU
// kernel's general loop scans it (the same operations in the same order: the same bits). The
// backward kernels gather, one thread per dx element, with no atomics:
//   avg / adaptive: the outputs whose windows cover (ih, iw) form a rectangle of output rows
//     and columns (bounds from the window arithmetic); visited in row-major order.
//   upsample: src is non-decreasing in dst, so the outputs reading ih are a range of rows found
//     by binary search (columns alike).
//   max_pool2d: the backward has no window (only indices), so it goes by ownership: warp w of a
//     block takes one plane, lane l owns the slice [l size / 32, (l + 1) size / 32) of its dx
//     plane, zeroes it, then walks all the plane's indices in order (the same address for the
//     whole warp: one broadcast load) adding dy[o] where indices[o] falls in its slice. Indices
//     outside the plane contribute nothing, as on the CPU.
// 256 threads per block, grid-stride loops past kMaxGridBlocks blocks. Window geometry is computed
// in 128-bit integers as on the CPU, so extreme kernels, strides and dilations stay in the input.
#include <cmath>

#include "cpu/pool_window.h"
#include "cuda/launch.cuh"
#include "cuda/math.cuh"
#include "cuda/pool.h"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;

// ------------------------------------------------------------------------------ window geometry
// The CPU kernel's arithmetic (cpu/pool_window.h), on the device.
using namespace cpu::pool_window;

template <class T>
__device__ __forceinline__ bool is_nan(T v) {
  return v != v;
}

// The outputs [lo, hi) along one axis whose avg windows [o stride - pad, o stride - pad + kernel)
// contain i (i inside the input, so the clip to the padded input never excludes it).
struct Range {
  int64_t lo, hi;
};
__device__ __forceinline__ Range covering(int64_t i, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  const Wide top = Wide(i) + pad;  // o stride <= top and o stride > top - kernel
  return {clamp_to(floor_div(top - kernel, stride) + 1, 0, out), clamp_to(floor_div(top, stride) + 1, 0, out)};
}

// The outputs [lo, hi) of b whose adaptive windows over c contain i: start(o) <= i < end(o).
__device__ __forceinline__ Range adaptive_covering(int64_t i, int64_t b, int64_t c) {
  int64_t lo = int64_t(Wide(i) * b / c), hi = int64_t(((Wide(i) + 1) * b - 1) / c) + 1;
  lo = lo < 0 ? 0 : lo;
  hi = hi > b ? b : hi;
  while (lo < hi && adaptive_end(lo, b, c) <= i) ++lo;  // the bounds are exact; these guard them
  while (hi > lo && adaptive_start(hi - 1, b, c) > i) --hi;
  return {lo, hi};
}

// The first dst in [0, out) whose source is >= i (out when none): src is non-decreasing.
__device__ __forceinline__ int64_t first_reading(int64_t i, int64_t in, int64_t out, double scale_factor) {
  int64_t lo = 0, hi = out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (nearest_source(mid, in, out, scale_factor) < i)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// ------------------------------------------------------------------------------------- kernels
template <class T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_forward_kernel(T* y, int64_t* indices, const T* x, PlaneShape s, PoolWindow w) {
  const int64_t out_size = s.out_h * s.out_w, total = s.planes * out_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / out_size, oh = e % out_size / s.out_w, ow = e % s.out_w;
    const T* plane = x + p * s.in_h * s.in_w;
    const AxisTaps rows = axis_taps(oh, s.in_h, w.kernel_h, w.stride_h, w.pad_h, w.dilation_h);
    const AxisTaps cols = axis_taps(ow, s.in_w, w.kernel_w, w.stride_w, w.pad_w, w.dilation_w);
    T best = math::minus_infinity<T>();
    int64_t at = rows.first * s.in_w + cols.first;
    const int64_t nr = rows.first < rows.end ? (rows.end - rows.first - 1) / w.dilation_h + 1 : 0;
    const int64_t nc = cols.first < cols.end ? (cols.end - cols.first - 1) / w.dilation_w + 1 : 0;
    for (int64_t i = 0; i < nr; ++i)
      for (int64_t j = 0; j < nc; ++j) {
        const int64_t flat = (rows.first + i * w.dilation_h) * s.in_w + cols.first + j * w.dilation_w;
        const T v = plane[flat];
        if (v > best || is_nan(v)) {
          best = v;
          at = flat;
        }
      }
    y[e] = best;
    indices[e] = at;
  }
}

// Warp w of the block takes planes blockIdx.x * 8 + w, + gridDim.x * 8, ...; lane l owns its
// slice of dx (see the header).
template <class T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_backward_kernel(T* dx, const T* dy, const int64_t* indices, PlaneShape s) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  const int64_t warps = int64_t(gridDim.x) * (kThreads / kWarp);
  const int lane = int(threadIdx.x) % kWarp;
  const int64_t first = in_size * lane / kWarp, end = in_size * (lane + 1) / kWarp;
  for (int64_t p = int64_t(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp; p < s.planes; p += warps) {
    T* plane = dx + p * in_size;
    const T* g = dy + p * out_size;
    const int64_t* index = indices + p * out_size;
    for (int64_t i = first; i < end; ++i) plane[i] = T(0);
    if (first == end) continue;
    for (int64_t o = 0; o < out_size; ++o) {
      const int64_t i = index[o];
      if (i >= first && i < end) plane[i] += g[o];
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) avg_pool2d_forward_kernel(T* y, const T* x, PlaneShape s, PoolWindow w,
                                                                      bool count_include_pad, int64_t divisor_override) {
  const int64_t out_size = s.out_h * s.out_w, total = s.planes * out_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / out_size, oh = e % out_size / s.out_w, ow = e % s.out_w;
    const T* plane = x + p * s.in_h * s.in_w;
    const AvgWindow a = avg_window(s, w, oh, ow, count_include_pad, divisor_override);
    T sum = 0;
    for (int64_t ih = a.ih0; ih < a.ih1; ++ih)
      for (int64_t iw = a.iw0; iw < a.iw1; ++iw) sum += plane[ih * s.in_w + iw];
    y[e] = a.empty() ? T(0) : sum / T(a.divisor);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    avg_pool2d_backward_kernel(T* dx, const T* dy, PlaneShape s, PoolWindow w, bool count_include_pad,
                               int64_t divisor_override) {
  const int64_t in_size = s.in_h * s.in_w, total = s.planes * in_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / in_size, ih = e % in_size / s.in_w, iw = e % s.in_w;
    const T* g = dy + p * s.out_h * s.out_w;
    const Range rows = covering(ih, s.out_h, w.kernel_h, w.stride_h, w.pad_h);
    const Range cols = covering(iw, s.out_w, w.kernel_w, w.stride_w, w.pad_w);
    T acc = 0;
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
      for (int64_t ow = cols.lo; ow < cols.hi; ++ow) {
        const AvgWindow a = avg_window(s, w, oh, ow, count_include_pad, divisor_override);
        acc += g[oh * s.out_w + ow] / T(a.divisor);
      }
    dx[e] = acc;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) adaptive_avg_pool2d_forward_kernel(T* y, const T* x, PlaneShape s) {
  const int64_t out_size = s.out_h * s.out_w, total = s.planes * out_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / out_size, oh = e % out_size / s.out_w, ow = e % s.out_w;
    const T* plane = x + p * s.in_h * s.in_w;
    const int64_t ih0 = adaptive_start(oh, s.out_h, s.in_h), ih1 = adaptive_end(oh, s.out_h, s.in_h);
    const int64_t iw0 = adaptive_start(ow, s.out_w, s.in_w), iw1 = adaptive_end(ow, s.out_w, s.in_w);
    T sum = 0;
    for (int64_t ih = ih0; ih < ih1; ++ih)
      for (int64_t iw = iw0; iw < iw1; ++iw) sum += plane[ih * s.in_w + iw];
    y[e] = sum / T(ih1 - ih0) / T(iw1 - iw0);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) adaptive_avg_pool2d_backward_kernel(T* dx, const T* dy, PlaneShape s) {
  const int64_t in_size = s.in_h * s.in_w, total = s.planes * in_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / in_size, ih = e % in_size / s.in_w, iw = e % s.in_w;
    const T* g = dy + p * s.out_h * s.out_w;
    const Range rows = adaptive_covering(ih, s.out_h, s.in_h), cols = adaptive_covering(iw, s.out_w, s.in_w);
    T acc = 0;
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
      const T n_rows = T(adaptive_end(oh, s.out_h, s.in_h) - adaptive_start(oh, s.out_h, s.in_h));
      for (int64_t ow = cols.lo; ow < cols.hi; ++ow) {
        const T n_cols = T(adaptive_end(ow, s.out_w, s.in_w) - adaptive_start(ow, s.out_w, s.in_w));
        acc += g[oh * s.out_w + ow] / n_rows / n_cols;
      }
    }
    dx[e] = acc;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    upsample_nearest2d_forward_kernel(T* y, const T* x, PlaneShape s, double scale_h, double scale_w) {
  const int64_t out_size = s.out_h * s.out_w, total = s.planes * out_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / out_size, oh = e % out_size / s.out_w, ow = e % s.out_w;
    const int64_t ih = nearest_source(oh, s.in_h, s.out_h, scale_h), iw = nearest_source(ow, s.in_w, s.out_w, scale_w);
    y[e] = x[p * s.in_h * s.in_w + ih * s.in_w + iw];
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    upsample_nearest2d_backward_kernel(T* dx, const T* dy, PlaneShape s, double scale_h, double scale_w) {
  const int64_t in_size = s.in_h * s.in_w, total = s.planes * in_size;
  FASTNN_GRID_STRIDE(e, total, kThreads) {
    const int64_t p = e / in_size, ih = e % in_size / s.in_w, iw = e % s.in_w;
    const T* g = dy + p * s.out_h * s.out_w;
    const int64_t oh0 = first_reading(ih, s.in_h, s.out_h, scale_h), oh1 = first_reading(ih + 1, s.in_h, s.out_h, scale_h);
    const int64_t ow0 = first_reading(iw, s.in_w, s.out_w, scale_w), ow1 = first_reading(iw + 1, s.in_w, s.out_w, scale_w);
    T acc = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) acc += g[oh * s.out_w + ow];
    dx[e] = acc;
  }
}


}  // namespace

// ------------------------------------------------------------------------------------ launchers
template <class T>
void max_pool2d_forward(cudaStream_t stream, T* y, int64_t* indices, const T* x, const PlaneShape& s,
                        const PoolWindow& w) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  if (n == 0) return;
  FASTNN_LAUNCH(max_pool2d_forward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, y, indices, x,
                                              s, w);
}

template <class T>
void max_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const int64_t* indices, const PlaneShape& s) {
  if (s.planes * s.in_h * s.in_w == 0) return;
  // One warp per plane: planes * 32 threads.
  FASTNN_LAUNCH(max_pool2d_backward_kernel<T>)(grid_stride_blocks(s.planes * kWarp, kThreads), dim3(kThreads), 0,
                                               stream, dx, dy, indices, s);
}

template <class T>
void avg_pool2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s, const PoolWindow& w,
                        bool count_include_pad, int64_t divisor_override) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  if (n == 0) return;
  FASTNN_LAUNCH(avg_pool2d_forward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, y, x, s, w,
                                              count_include_pad, divisor_override);
}

template <class T>
void avg_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s, const PoolWindow& w,
                         bool count_include_pad, int64_t divisor_override) {
  const int64_t n = s.planes * s.in_h * s.in_w;
  if (n == 0) return;
  FASTNN_LAUNCH(avg_pool2d_backward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, dx, dy, s, w,
                                               count_include_pad, divisor_override);
}

template <class T>
void adaptive_avg_pool2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  if (n == 0) return;
  FASTNN_LAUNCH(adaptive_avg_pool2d_forward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, y, x,
                                                       s);
}

template <class T>
void adaptive_avg_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s) {
  const int64_t n = s.planes * s.in_h * s.in_w;
  if (n == 0) return;
  FASTNN_LAUNCH(adaptive_avg_pool2d_backward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, dx,
                                                        dy, s);
}

template <class T>
void upsample_nearest2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s, double scale_h,
                                double scale_w) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  if (n == 0) return;
  FASTNN_LAUNCH(upsample_nearest2d_forward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, y, x,
                                                      s, scale_h, scale_w);
}

template <class T>
void upsample_nearest2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s, double scale_h,
                                 double scale_w) {
  const int64_t n = s.planes * s.in_h * s.in_w;
  if (n == 0) return;
  FASTNN_LAUNCH(upsample_nearest2d_backward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, dx,
                                                       dy, s, scale_h, scale_w);
}

#define FASTNN_POOL_INSTANTIATE(T)                                                                                 \
  template void max_pool2d_forward<T>(cudaStream_t, T*, int64_t*, const T*, const PlaneShape&, const PoolWindow&); \
  template void max_pool2d_backward<T>(cudaStream_t, T*, const T*, const int64_t*, const PlaneShape&);             \
  template void avg_pool2d_forward<T>(cudaStream_t, T*, const T*, const PlaneShape&, const PoolWindow&, bool,      \
                                      int64_t);                                                                    \
  template void avg_pool2d_backward<T>(cudaStream_t, T*, const T*, const PlaneShape&, const PoolWindow&, bool,     \
                                       int64_t);                                                                   \
  template void adaptive_avg_pool2d_forward<T>(cudaStream_t, T*, const T*, const PlaneShape&);                     \
  template void adaptive_avg_pool2d_backward<T>(cudaStream_t, T*, const T*, const PlaneShape&);                    \
  template void upsample_nearest2d_forward<T>(cudaStream_t, T*, const T*, const PlaneShape&, double, double);      \
  template void upsample_nearest2d_backward<T>(cudaStream_t, T*, const T*, const PlaneShape&, double, double);
FASTNN_POOL_INSTANTIATE(float)
FASTNN_POOL_INSTANTIATE(double)
#undef FASTNN_POOL_INSTANTIATE

}  // namespace fastnn::cuda
