// Pooling and nearest upsampling (formulas and layouts: pool.h). One plane per task: planes go
// to threads in contiguous chunks and each plane is computed start to end by one thread, so no
// result depends on the thread count. Max-pool windows that lie wholly inside the input run
// through branch-free row loops specialised for the common 2x2 and 3x3 kernels (see
// max_pool_rows); the border and every other window shape take the general scan. Window
// geometry is computed in 128-bit integers and clipped to the input before any loop, so no
// argument the bindings accept overflows, and the time a window takes is bounded by the input,
// never by the kernel size or the padding (a 2^62 kernel costs what a kernel the input's size does).
#include "cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/pool_window.h"

namespace fastnn::cpu {

namespace {

// Below this many elements per thread, waking another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 16384;

int64_t planes_per_chunk(int64_t plane_size) { return std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, plane_size)); }

using namespace pool_window;

// The running-maximum step of PyTorch's scan: v replaces m when it is greater or NaN.
template <class T>
inline bool replaces(T v, T m) {
  return v > m || std::isnan(v);
}

// ------------------------------------------------------------------------------------ max pool
// One output of the general scan: rows ih0, ih0 + dh, ... below ih1 (already clipped to the
// input), columns alike; the index starts at the first element, as PyTorch's does.
template <class T>
inline void max_window(T* y, int64_t* index, const T* plane, int64_t in_w, int64_t ih0, int64_t ih1, int64_t dh,
                       int64_t iw0, int64_t iw1, int64_t dw) {
  T best = -std::numeric_limits<T>::infinity();
  int64_t at = ih0 * in_w + iw0;
  // Counted loops: ih += dh could overflow for a dilation near INT64_MAX.
  const int64_t rows = ih0 < ih1 ? (ih1 - ih0 - 1) / dh + 1 : 0, cols = iw0 < iw1 ? (iw1 - iw0 - 1) / dw + 1 : 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t ih = ih0 + i * dh, iw = iw0 + j * dw;
      const T v = plane[ih * in_w + iw];
      if (replaces(v, best)) {
        best = v;
        at = ih * in_w + iw;
      }
    }
  *y = best;
  *index = at;
}

// `count` outputs of one output row whose K x K windows (dilation 1) lie inside the input: window
// j covers rows ih0 .. ih0 + K - 1 and columns iw0 + j S .. iw0 + j S + K - 1. The scan starts
// from the first element instead of -inf (same value and index: -inf replaces nothing) and
// selects without branches, so the compiler can vectorise across outputs.
template <class T, int K, int S>
void max_pool_row(T* y, int64_t* index, const T* plane, int64_t in_w, int64_t ih0, int64_t iw0, int64_t count) {
  const T* first = plane + ih0 * in_w + iw0;
  const int64_t base = ih0 * in_w + iw0;
  for (int64_t j = 0; j < count; ++j) {
    const T* window = first + j * S;
    T best = window[0];
    int64_t at = 0;
    for (int a = 0; a < K; ++a)
      for (int b = 0; b < K; ++b) {
        if (a == 0 && b == 0) continue;
        const T v = window[a * in_w + b];
        const bool take = replaces(v, best);
        best = take ? v : best;
        at = take ? a * in_w + b : at;
      }
    y[j] = best;
    index[j] = base + j * S + at;
  }
}

// Lane types for max_pool_row_lanes: 16-byte GCC vectors, the baseline ISA's registers (wider
// ones get their comparisons lowered lane by lane), comparison masks of the same lane width and
// int64 index lanes.
template <class T>
struct Lanes;
template <>
struct Lanes<float> {
  typedef float V __attribute__((vector_size(16)));
  typedef int32_t M __attribute__((vector_size(16)));
  typedef int64_t I __attribute__((vector_size(32)));
  static constexpr int width = 4;
};
template <>
struct Lanes<double> {
  typedef double V __attribute__((vector_size(16)));
  typedef int64_t M __attribute__((vector_size(16)));
  typedef int64_t I __attribute__((vector_size(16)));
  static constexpr int width = 2;
};

// max_pool_row on lanes: `width` windows at a time, the scan's running-maximum step a lane-wise
// compare and blend, the winner's offset in its window (a W + b) blended alongside. Branch-free:
// the scalar loop's data-dependent branches mispredict on every other element of random data.
// Lane l of column b is x[S l + b]: a plain load for stride 1; for stride 2 the even lanes of
// the load at b (b = 0) or the odd lanes of the load at b - 1 (b > 0), which never reads past the
// last window. A row shorter than one block takes the scalar loop.
template <class T, int K, int S>
void max_pool_row_lanes(T* y, int64_t* index, const T* plane, int64_t in_w, int64_t ih0, int64_t iw0, int64_t count) {
  static_assert(S == 1 || S == 2, "lanes are gathered for strides 1 and 2");
  using V = typename Lanes<T>::V;
  using M = typename Lanes<T>::M;
  using I = typename Lanes<T>::I;
  constexpr int L = Lanes<T>::width;
  if (count < L) return max_pool_row<T, K, S>(y, index, plane, in_w, ih0, iw0, count);
  auto load = [](const T* p) __attribute__((always_inline)) {
    V v;
    __builtin_memcpy(&v, p, sizeof(V));
    return v;
  };
  auto column = [&](const T* p, int b) __attribute__((always_inline)) {
    if constexpr (S == 1) {
      return load(p + b);
    } else {
      const T* q = b == 0 ? p : p + b - 1;
      const V lo = load(q), hi = load(q + L);
      if constexpr (L == 4) {
        return b == 0 ? __builtin_shufflevector(lo, hi, 0, 2, 4, 6) : __builtin_shufflevector(lo, hi, 1, 3, 5, 7);
      } else {
        return b == 0 ? __builtin_shufflevector(lo, hi, 0, 2) : __builtin_shufflevector(lo, hi, 1, 3);
      }
    }
  };
  // Bitwise blends on the mask lanes: a vector ?: with a float result is lowered lane by lane.
  auto blend = [](M mask, V yes, V no) __attribute__((always_inline)) {
    return reinterpret_cast<V>((reinterpret_cast<M>(yes) & mask) | (reinterpret_cast<M>(no) & ~mask));
  };
  const T* first = plane + ih0 * in_w + iw0;
  const int64_t base = ih0 * in_w + iw0;
  I lane_offset = {};  // S l: the offset of lane l's window from the block's first window
  for (int l = 0; l < L; ++l) lane_offset[l] = S * l;
  // Full blocks, then one block ending at `count` that overlaps the previous one (it rewrites
  // the same values), so no output of a long row takes the scalar loop.
  for (int64_t j = 0;; j = std::min(j + L, count - L)) {
    const T* p = first + S * j;
    V best = column(p, 0);
    M at = M{};
    for (int a = 0; a < K; ++a)
      for (int b = 0; b < K; ++b) {
        if (a == 0 && b == 0) continue;
        const V v = column(p + a * in_w, b);
        const M take = (v > best) | (v != v);
        best = blend(take, v, best);
        at = (take & static_cast<decltype(at[0] + 0)>(a * in_w + b)) | (~take & at);
      }
    const I flat = __builtin_convertvector(at, I) + lane_offset + (base + S * j);
    __builtin_memcpy(y + j, &best, sizeof(V));
    __builtin_memcpy(index + j, &flat, sizeof(I));
    if (j + L >= count) break;
  }
}

template <class T>
using MaxPoolRow = void (*)(T*, int64_t*, const T*, int64_t, int64_t, int64_t, int64_t);

// The specialised row loop for this window, or null.
template <class T>
MaxPoolRow<T> max_pool_row_for(const PoolWindow& w, int64_t in_w) {
  // Window offsets (up to 2 W + 2) live in lanes of T's width: int32 for float.
  if (in_w > (int64_t(1) << 29)) return nullptr;
  if (w.dilation_h != 1 || w.dilation_w != 1 || w.kernel_h != w.kernel_w || w.stride_h != w.stride_w) return nullptr;
  if (w.kernel_h == 2 && w.stride_h == 2) return max_pool_row_lanes<T, 2, 2>;
  if (w.kernel_h == 3 && w.stride_h == 1) return max_pool_row_lanes<T, 3, 1>;
  if (w.kernel_h == 3 && w.stride_h == 2) return max_pool_row_lanes<T, 3, 2>;
  return nullptr;
}

// [lo, hi): the outputs along one axis whose windows lie wholly inside an input of size `in`.
void inside_range(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, int64_t* lo,
                  int64_t* hi) {
  const Wide span = Wide(dilation) * (kernel - 1);
  *lo = clamp_to((Wide(pad) + stride - 1) / stride, 0, out);
  *hi = clamp_to(floor_div(Wide(in) - 1 - span + pad, stride) + 1, *lo, out);
}

template <class T>
void max_pool_plane(T* y, int64_t* index, const T* plane, const PlaneShape& s, const PoolWindow& w, MaxPoolRow<T> row,
                    int64_t ow_lo, int64_t ow_hi, int64_t oh_lo, int64_t oh_hi) {
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    const AxisTaps rows = axis_taps(oh, s.in_h, w.kernel_h, w.stride_h, w.pad_h, w.dilation_h);
    T* y_row = y + oh * s.out_w;
    int64_t* index_row = index + oh * s.out_w;
    const bool fast_row = row != nullptr && oh >= oh_lo && oh < oh_hi;
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      if (fast_row && ow == ow_lo) {
        row(y_row + ow_lo, index_row + ow_lo, plane, s.in_w, rows.first, ow_lo * w.stride_w - w.pad_w, ow_hi - ow_lo);
        ow = ow_hi - 1;
        continue;
      }
      const AxisTaps cols = axis_taps(ow, s.in_w, w.kernel_w, w.stride_w, w.pad_w, w.dilation_w);
      max_window(y_row + ow, index_row + ow, plane, s.in_w, rows.first, rows.end, w.dilation_h, cols.first, cols.end,
                 w.dilation_w);
    }
  }
}

// ----------------------------------------------------------------------------------- upsample
// The source column of every output column, in the calling thread's scratch workspace (read
// by all workers; nothing else asks for that slot during the call).
const int64_t* nearest_columns(const PlaneShape& s, double scale_w) {
  int64_t* columns = workspace_array<int64_t>(WorkspaceSlot::scratch0, static_cast<size_t>(s.out_w));
  for (int64_t ow = 0; ow < s.out_w; ++ow) columns[ow] = nearest_source(ow, s.in_w, s.out_w, scale_w);
  return columns;
}

}  // namespace

template <class T>
void max_pool2d_forward(T* y, int64_t* indices, const T* x, const PlaneShape& s, const PoolWindow& w) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  const MaxPoolRow<T> row = max_pool_row_for<T>(w, s.in_w);
  int64_t oh_lo, oh_hi, ow_lo, ow_hi;
  inside_range(s.in_h, s.out_h, w.kernel_h, w.stride_h, w.pad_h, w.dilation_h, &oh_lo, &oh_hi);
  inside_range(s.in_w, s.out_w, w.kernel_w, w.stride_w, w.pad_w, w.dilation_w, &ow_lo, &ow_hi);
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      max_pool_plane(y + p * out_size, indices + p * out_size, x + p * in_size, s, w, row, ow_lo, ow_hi, oh_lo, oh_hi);
  });
}

template <class T>
void max_pool2d_backward(T* dx, const T* dy, const int64_t* indices, const PlaneShape& s) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* plane = dx + p * in_size;
      const T* g = dy + p * out_size;
      const int64_t* index = indices + p * out_size;
      std::fill(plane, plane + in_size, T(0));
      for (int64_t o = 0; o < out_size; ++o) {
        const int64_t i = index[o];
        if (i >= 0 && i < in_size) plane[i] += g[o];
      }
    }
  });
}

template <class T>
void avg_pool2d_forward(T* y, const T* x, const PlaneShape& s, const PoolWindow& w, bool count_include_pad,
                        int64_t divisor_override) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* plane = x + p * in_size;
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const AvgWindow a = avg_window(s, w, oh, ow, count_include_pad, divisor_override);
          T sum = 0;
          for (int64_t ih = a.ih0; ih < a.ih1; ++ih)
            for (int64_t iw = a.iw0; iw < a.iw1; ++iw) sum += plane[ih * s.in_w + iw];
          y[p * out_size + oh * s.out_w + ow] = a.empty() ? T(0) : sum / T(a.divisor);
        }
    }
  });
}

template <class T>
void avg_pool2d_backward(T* dx, const T* dy, const PlaneShape& s, const PoolWindow& w, bool count_include_pad,
                         int64_t divisor_override) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* plane = dx + p * in_size;
      std::fill(plane, plane + in_size, T(0));
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const AvgWindow a = avg_window(s, w, oh, ow, count_include_pad, divisor_override);
          if (a.empty()) continue;
          const T share = dy[p * out_size + oh * s.out_w + ow] / T(a.divisor);
          for (int64_t ih = a.ih0; ih < a.ih1; ++ih)
            for (int64_t iw = a.iw0; iw < a.iw1; ++iw) plane[ih * s.in_w + iw] += share;
        }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const PlaneShape& s) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* plane = x + p * in_size;
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const int64_t ih0 = adaptive_start(oh, s.out_h, s.in_h), ih1 = adaptive_end(oh, s.out_h, s.in_h);
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t iw0 = adaptive_start(ow, s.out_w, s.in_w), iw1 = adaptive_end(ow, s.out_w, s.in_w);
          T sum = 0;
          for (int64_t ih = ih0; ih < ih1; ++ih)
            for (int64_t iw = iw0; iw < iw1; ++iw) sum += plane[ih * s.in_w + iw];
          y[p * out_size + oh * s.out_w + ow] = sum / T(ih1 - ih0) / T(iw1 - iw0);
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const PlaneShape& s) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  parallel_for(s.planes, planes_per_chunk(in_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* plane = dx + p * in_size;
      std::fill(plane, plane + in_size, T(0));
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const int64_t ih0 = adaptive_start(oh, s.out_h, s.in_h), ih1 = adaptive_end(oh, s.out_h, s.in_h);
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t iw0 = adaptive_start(ow, s.out_w, s.in_w), iw1 = adaptive_end(ow, s.out_w, s.in_w);
          const T share = dy[p * out_size + oh * s.out_w + ow] / T(ih1 - ih0) / T(iw1 - iw0);
          for (int64_t ih = ih0; ih < ih1; ++ih)
            for (int64_t iw = iw0; iw < iw1; ++iw) plane[ih * s.in_w + iw] += share;
        }
      }
    }
  });
}

template <class T>
void upsample_nearest2d_forward(T* y, const T* x, const PlaneShape& s, double scale_h, double scale_w) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  const int64_t* columns = nearest_columns(s, scale_w);
  parallel_for(s.planes, planes_per_chunk(out_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const T* source = x + p * in_size + nearest_source(oh, s.in_h, s.out_h, scale_h) * s.in_w;
        T* row = y + p * out_size + oh * s.out_w;
        for (int64_t ow = 0; ow < s.out_w; ++ow) row[ow] = source[columns[ow]];
      }
  });
}

template <class T>
void upsample_nearest2d_backward(T* dx, const T* dy, const PlaneShape& s, double scale_h, double scale_w) {
  const int64_t in_size = s.in_h * s.in_w, out_size = s.out_h * s.out_w;
  const int64_t* columns = nearest_columns(s, scale_w);
  parallel_for(s.planes, planes_per_chunk(out_size), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* plane = dx + p * in_size;
      std::fill(plane, plane + in_size, T(0));
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        T* target = plane + nearest_source(oh, s.in_h, s.out_h, scale_h) * s.in_w;
        const T* row = dy + p * out_size + oh * s.out_w;
        for (int64_t ow = 0; ow < s.out_w; ++ow) target[columns[ow]] += row[ow];
      }
    }
  });
}

#define FASTNN_POOL_INSTANTIATE(T)                                                                                  \
  template void max_pool2d_forward<T>(T*, int64_t*, const T*, const PlaneShape&, const PoolWindow&);                \
  template void max_pool2d_backward<T>(T*, const T*, const int64_t*, const PlaneShape&);                         \
  template void avg_pool2d_forward<T>(T*, const T*, const PlaneShape&, const PoolWindow&, bool, int64_t);           \
  template void avg_pool2d_backward<T>(T*, const T*, const PlaneShape&, const PoolWindow&, bool, int64_t);          \
  template void adaptive_avg_pool2d_forward<T>(T*, const T*, const PlaneShape&);                                    \
  template void adaptive_avg_pool2d_backward<T>(T*, const T*, const PlaneShape&);                                   \
  template void upsample_nearest2d_forward<T>(T*, const T*, const PlaneShape&, double, double);                     \
  template void upsample_nearest2d_backward<T>(T*, const T*, const PlaneShape&, double, double);
FASTNN_POOL_INSTANTIATE(float)
FASTNN_POOL_INSTANTIATE(double)
#undef FASTNN_POOL_INSTANTIATE

}  // namespace fastnn::cpu
