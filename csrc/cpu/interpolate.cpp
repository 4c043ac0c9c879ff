// Linear / bilinear / bicubic interpolation forward and backward (formulas, layouts and
// algorithm: interpolate.h). The tap tables of both axes live in one workspace block of the
// calling thread; the worker threads only read them.
#include "cpu/interpolate.h"

#include <algorithm>
#include <cmath>

#include "core/parallel.h"
#include "core/workspace.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunkElements = 16384;

int taps_of(InterpMode mode) { return mode == InterpMode::linear ? 2 : 4; }

double cubic_near(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }        // |x| <= 1
double cubic_far(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }  // 1 < |x| < 2

// One axis: taps per output (index, weight) and, when asked, the inverse lists: start[i] ..
// start[i + 1] index `pairs`, each o * K + a for a tap a of output o that reads input i.
struct Axis {
  int64_t in, out;
  int k;
  int64_t* index;  // [out, K]
  double* weight;  // [out, K]
  int64_t* start;  // [in + 1]
  int64_t* pairs;  // [out * K]
};

size_t axis_words(int64_t in, int64_t out, int k, bool inverse) {
  return size_t(out) * k * 2 + (inverse ? size_t(in) + 1 + size_t(out) * k : 0);
}

Axis build_axis(int64_t*& block, int64_t in, int64_t out, double given_scale, bool align_corners, InterpMode mode,
                bool inverse) {
  Axis ax{in, out, taps_of(mode), nullptr, nullptr, nullptr, nullptr};
  const int k = ax.k;
  ax.index = block;
  block += out * k;
  ax.weight = reinterpret_cast<double*>(block);
  block += out * k;
  double scale;
  if (align_corners) scale = out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  else scale = given_scale > 0 ? 1.0 / given_scale : double(in) / double(out);
  for (int64_t o = 0; o < out; ++o) {
    int64_t* idx = ax.index + o * k;
    double* w = ax.weight + o * k;
    double src = align_corners ? scale * double(o) : scale * (double(o) + 0.5) - 0.5;
    if (mode == InterpMode::linear) {
      if (in == out && !align_corners) {
        idx[0] = idx[1] = o;
        w[0] = 1.0;
        w[1] = 0.0;
        continue;
      }
      if (src < 0) src = 0;
      const int64_t i0 = std::min<int64_t>(static_cast<int64_t>(src), in - 1);
      const double l = std::min(std::max(src - double(i0), 0.0), 1.0);
      idx[0] = i0;
      idx[1] = i0 + (i0 < in - 1 ? 1 : 0);
      w[0] = 1.0 - l;
      w[1] = l;
    } else {
      const int64_t i = static_cast<int64_t>(std::floor(src));
      const double t = src - double(i), a = -0.75;
      w[0] = cubic_far(t + 1.0, a);
      w[1] = cubic_near(t, a);
      w[2] = cubic_near(1.0 - t, a);
      w[3] = cubic_far(2.0 - t, a);
      for (int j = 0; j < 4; ++j) idx[j] = std::min<int64_t>(std::max<int64_t>(i - 1 + j, 0), in - 1);
    }
  }
  if (!inverse) return ax;
  ax.start = block;
  block += in + 1;
  ax.pairs = block;
  block += out * k;
  std::fill(ax.start, ax.start + in + 1, 0);
  for (int64_t t = 0; t < out * k; ++t) ++ax.start[ax.index[t] + 1];
  for (int64_t i = 0; i < in; ++i) ax.start[i + 1] += ax.start[i];
  // Counting sort, stable in (o, a): start[i] is i's cursor, then shifted back by one.
  for (int64_t t = 0; t < out * k; ++t) ax.pairs[ax.start[ax.index[t]]++] = t;
  for (int64_t i = in; i > 0; --i) ax.start[i] = ax.start[i - 1];
  ax.start[0] = 0;
  return ax;
}

struct Axes {
  Axis h, w;
};

Axes build_axes(const InterpGeometry& g, InterpMode mode, bool inverse) {
  const int k = taps_of(mode);
  int64_t* block = workspace_array<int64_t>(
      WorkspaceSlot::scratch0, axis_words(g.in_h, g.out_h, k, inverse) + axis_words(g.in_w, g.out_w, k, inverse));
  // A 1-D input (H = OH = 1) needs no special case: its height taps are weight 1 on row 0.
  Axis h = build_axis(block, g.in_h, g.out_h, g.scale_h, g.align_corners, mode, inverse);
  Axis w = build_axis(block, g.in_w, g.out_w, g.scale_w, g.align_corners, mode, inverse);
  return {h, w};
}

}  // namespace

template <class T>
void interpolate_forward(T* y, const T* x, const InterpGeometry& g, InterpMode mode) {
  const int64_t rows = g.planes * g.out_h, width = g.out_w;
  if (rows == 0) return;
  const Axes ax = build_axes(g, mode, false);
  const int k = ax.h.k;
  const int64_t in_plane = g.in_h * g.in_w;
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / (width * k)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t p = r / g.out_h, oh = r % g.out_h;
      const T* xp = x + p * in_plane;
      const int64_t* ih = ax.h.index + oh * k;
      const double* wh = ax.h.weight + oh * k;
      T* yr = y + r * width;
      for (int64_t ow = 0; ow < width; ++ow) {
        const int64_t* iw = ax.w.index + ow * k;
        const double* ww = ax.w.weight + ow * k;
        double acc = 0;
        for (int a = 0; a < k; ++a) {
          const T* xr = xp + ih[a] * g.in_w;
          double row = 0;
          for (int b = 0; b < k; ++b) row += ww[b] * double(xr[iw[b]]);
          acc += wh[a] * row;
        }
        yr[ow] = T(acc);
      }
    }
  });
}

template <class T>
void interpolate_backward(T* dx, const T* dy, const InterpGeometry& g, InterpMode mode) {
  const int64_t rows = g.planes * g.in_h, width = g.in_w;
  if (rows == 0) return;
  const Axes ax = build_axes(g, mode, true);
  const int k = ax.h.k;
  const int64_t out_plane = g.out_h * g.out_w;
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / (width * k * k)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t p = r / g.in_h, i = r % g.in_h;
      const T* dyp = dy + p * out_plane;
      T* dxr = dx + r * width;
      for (int64_t j = 0; j < width; ++j) {
        double acc = 0;
        for (int64_t u = ax.h.start[i]; u < ax.h.start[i + 1]; ++u) {
          const int64_t th = ax.h.pairs[u], oh = th / k;
          const double wh = ax.h.weight[th];
          const T* dyr = dyp + oh * g.out_w;
          double row = 0;
          for (int64_t v = ax.w.start[j]; v < ax.w.start[j + 1]; ++v) {
            const int64_t tw = ax.w.pairs[v];
            row += ax.w.weight[tw] * double(dyr[tw / k]);
          }
          acc += wh * row;
        }
        dxr[j] = T(acc);
      }
    }
  });
}

template void interpolate_forward<float>(float*, const float*, const InterpGeometry&, InterpMode);
template void interpolate_forward<double>(double*, const double*, const InterpGeometry&, InterpMode);
template void interpolate_backward<float>(float*, const float*, const InterpGeometry&, InterpMode);
template void interpolate_backward<double>(double*, const double*, const InterpGeometry&, InterpMode);

}  // namespace fastnn::cpu
