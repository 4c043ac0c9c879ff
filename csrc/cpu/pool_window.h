// The window arithmetic of pooling and nearest upsampling, shared by the CPU kernels
// (cpu/pool.cpp) and the CUDA kernels (cuda/pool.cu, also built through the emulator), so that
// both clip windows, count divisors and pick sources with the same operations. Host and device
// code. Products and sums of int64 sizes, strides and paddings are taken in 128 bits (Wide), so
// extreme kernels, strides and dilations stay in the input instead of overflowing.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "cpu/pool.h"

namespace fastnn::cpu::pool_window {

using Wide = __int128;

// floor(a / b) for b > 0 and any sign of a.
FASTNN_HOST_DEVICE inline Wide floor_div(Wide a, Wide b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
FASTNN_HOST_DEVICE inline Wide wide_min(Wide a, Wide b) { return a < b ? a : b; }

// v clamped into [lo, hi], as int64.
FASTNN_HOST_DEVICE inline int64_t clamp_to(Wide v, int64_t lo, int64_t hi) {
  return int64_t(v < lo ? Wide(lo) : v > hi ? Wide(hi) : v);
}

// The taps o * stride - pad + dilation * i (i < kernel) of output o's window along one axis that
// fall inside [0, in): first, first + dilation, ... below end (first >= end when none does).
struct AxisTaps {
  int64_t first, end;
};
FASTNN_HOST_DEVICE inline AxisTaps axis_taps(int64_t o, int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                                             int64_t dilation) {
  const Wide start = Wide(o) * stride - pad;
  Wide first = start;
  if (first < 0) first += (-first + dilation - 1) / dilation * dilation;  // the first tap at or after 0
  return {clamp_to(first, 0, in), clamp_to(start + Wide(dilation) * (kernel - 1) + 1, 0, in)};
}

// avg_pool2d along one axis: the window [begin, end) clipped to the input, and its length
// clipped to the padded input [-pad, in + pad).
struct AvgAxis {
  int64_t begin, end;
  double padded_length;
};
FASTNN_HOST_DEVICE inline AvgAxis avg_axis(int64_t o, int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  const Wide start = Wide(o) * stride - pad;
  const Wide padded_end = wide_min(start + kernel, Wide(in) + pad);
  return {clamp_to(start, 0, in), clamp_to(padded_end, 0, in), double(padded_end - start)};
}

// The clipped window of output (oh, ow) and its divisor, PyTorch's avg_pool2d rules. The
// divisor is a double: the padded window of a huge kernel has up to ~2^126 elements, which no
// int64 holds and float32 still does (PyTorch's int64 product overflows there).
struct AvgWindow {
  int64_t ih0, ih1, iw0, iw1;
  double divisor;
  FASTNN_HOST_DEVICE bool empty() const { return ih0 >= ih1 || iw0 >= iw1; }
};
FASTNN_HOST_DEVICE inline AvgWindow avg_window(const PlaneShape& s, const PoolWindow& w, int64_t oh, int64_t ow,
                                               bool count_include_pad, int64_t divisor_override) {
  const AvgAxis rows = avg_axis(oh, s.in_h, w.kernel_h, w.stride_h, w.pad_h);
  const AvgAxis cols = avg_axis(ow, s.in_w, w.kernel_w, w.stride_w, w.pad_w);
  AvgWindow a{rows.begin, rows.end, cols.begin, cols.end, 0.0};
  a.divisor = divisor_override != 0 ? double(divisor_override)
              : count_include_pad   ? rows.padded_length * cols.padded_length
                                    : double(a.ih1 - a.ih0) * double(a.iw1 - a.iw0);
  return a;
}

// PyTorch's adaptive pooling bounds: [start, end) of output a of b over an input of size c.
FASTNN_HOST_DEVICE inline int64_t adaptive_start(int64_t a, int64_t b, int64_t c) { return int64_t(Wide(a) * c / b); }
FASTNN_HOST_DEVICE inline int64_t adaptive_end(int64_t a, int64_t b, int64_t c) {
  return int64_t(1 + ((Wide(a) + 1) * c - 1) / b);
}

// PyTorch's nearest source index (upsample_nearest2d): exact shortcuts for scale 1 and 2, else
// floor(float(dst) * scale) in single precision, clipped to the input. The clip happens in
// float: a tiny scale factor makes 1 / scale infinite (dst * inf, or NaN for dst = 0), which
// PyTorch's cast to int64 turns into INT64_MIN; here it is the last input element (0 for dst 0).
FASTNN_HOST_DEVICE inline int64_t nearest_source(int64_t dst, int64_t in, int64_t out, double scale_factor) {
  if (out == in || dst == 0) return dst;
  if (out - in == in) return dst >> 1;
  const float scale = scale_factor > 0 ? float(1.0 / scale_factor) : float(in) / float(out);
  const float source = floorf(float(dst) * scale);
  // A float below float(in - 1), the float nearest to in - 1, is at most in - 1.
  if (!(source < float(in - 1))) return in - 1;
  const int64_t s = static_cast<int64_t>(source);
  return s < in - 1 ? s : in - 1;
}

}  // namespace fastnn::cpu::pool_window
