// Linear (1-D), bilinear and bicubic interpolation (F.interpolate), forward and backward, with
// PyTorch's index rules.
//
// Layout: x [P, H, W] -> y [P, OH, OW], P = N * C; 1-D input is H = OH = 1 (the height axis
// then has one tap of weight 1). Per axis (size in -> out, optional scale factor s):
//   scale  = align_corners ? (out > 1 ? (in - 1) / (out - 1) : 0) : (s > 0 ? 1 / s : in / out)
//   src(o) = align_corners ? scale o : scale (o + 0.5) - 0.5   (linear: clamped below at 0)
//   linear: taps i0 = floor(src), i1 = i0 + (i0 < in - 1), weights 1 - l, l with
//           l = clamp(src - i0, 0, 1); out == in without align_corners is the identity.
//   cubic:  i = floor(src), t = src - i; taps i - 1 .. i + 2
//           clamped to [0, in - 1], weights of Keys' cubic convolution with A = -0.75:
//           c(x) = (A + 2) |x|^3 - (A + 3) |x|^2 + 1 (|x| <= 1), A |x|^3 - 5A |x|^2 + 8A |x| - 4A
//           (1 < |x| < 2), at x = t + 1, t, 1 - t, 2 - t.
// forward:  y[p, oh, ow] = sum_a wh[oh, a] sum_b ww[ow, b] x[p, ih[oh, a], iw[ow, b]]
// backward: dx[p, i, j]  = sum over the taps (oh, a) with ih[oh, a] = i and (ow, b) with
//           iw[ow, b] = j of wh[oh, a] ww[ow, b] dy[p, oh, ow].
//
// Algorithm: per axis a tap table (index and weight per output, computed in double) and for
// backward its inverse (the (output, tap) pairs that read each input index, in increasing
// order). The backward is a gather over the inverse tables, so rows of dx split over threads and
// every sum runs in a fixed order: results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

enum class InterpMode { linear, cubic };

// The geometry of one call: ops::interp_check (ops/interpolate.h) checks the arguments and fills it.
struct InterpGeometry {
  int64_t planes, in_h, in_w, out_h, out_w;
  double scale_h, scale_w;  // the scale factors given (<= 0: none, use in / out)
  bool align_corners;
};

// y: [P, OH, OW] (written); x: [P, H, W].
template <class T>
void interpolate_forward(T* y, const T* x, const InterpGeometry& g, InterpMode mode);

// dx: [P, H, W] (written); dy: [P, OH, OW].
template <class T>
void interpolate_backward(T* dx, const T* dy, const InterpGeometry& g, InterpMode mode);

}  // namespace fastnn::cpu
