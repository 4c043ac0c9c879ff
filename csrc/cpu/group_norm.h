// Group normalisation (GroupNorm; InstanceNorm is the case G = C), forward and backward.
//
// Layout: x, y [N, C, S] contiguous (S = the spatial size, 1 for [N, C]); G groups of C / G
// channels; a row (n, g) holds the D = (C / G) S values of its channels. Per row:
//   mean = sum x / D,  var = sum (x - mean)^2 / D,  rstd = 1 / sqrt(var + eps),
//   y[n, c, s] = (x - mean) rstd w[c] + b[c]   (w = 1, b = 0 without affine parameters).
// Backward, with xhat = (x - mean) rstd and g = dy w[c]:
//   dx = layer norm's input gradient of the row with upstream gradient g (no row weight),
//   dweight[c] = sum_{n, s} dy xhat,  dbias[c] = sum_{n, s} dy.
//
// Algorithm: the rows are layer-norm rows, so the statistics and dx run through the layer-norm
// kernels of norm.h (two-pass sums in double, rows split over threads); the per-channel affine
// step and the parameter gradients (one channel's sum on one thread, in order of n) are here.
// Results never depend on the thread count. weight, bias, dweight, dbias may be null.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

// x as [N, C, S] in `groups` groups; ops::group_norm_forward_check (ops/group_norm.h) checks and fills it.
struct GroupNormGeometry {
  int64_t n, c, s, groups;
};

// y: [N, C, S]; mean, rstd: [N, G] (written); x: [N, C, S]; weight, bias: [C].
template <class T>
void group_norm_forward(T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        const GroupNormGeometry& g, double eps);

// dx: [N, C, S]; dweight, dbias: [C] (written, null when not wanted); dy, x: [N, C, S]; mean,
// rstd: [N, G] from the forward; weight: [C].
template <class T>
void group_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* rstd,
                         const T* weight, const GroupNormGeometry& g);

}  // namespace fastnn::cpu
