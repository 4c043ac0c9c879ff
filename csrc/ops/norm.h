// Batch and layer normalisation (cpu/norm.h). x and every per-channel (batch norm) or
// per-feature (layer norm) array are float32/float64 of one dtype; running statistics are
// updated in place (the adapter takes them as they are), weight and bias are optional.
//   batch_norm: x [N, C, ...]; weight, bias, running_mean, running_var, mean, invstd [C].
//   layer_norm: x [..., *normalized_shape]; weight, bias normalized_shape; mean, rstd the
//               leading shape x.shape[:-len(normalized_shape)].
// grad_out has x's shape and dtype; the outputs have x's shape (out may be x itself).
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

// x as [N, C, S] (S = the product of the dimensions after C).
struct ChannelSizes {
  int64_t n, c, s;
};

ChannelSizes batch_norm_forward_check(const Array& x, const Array* weight, const Array* bias,
                                      const Array* running_mean, const Array* running_var, bool training, double eps);
ChannelSizes batch_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean, const Array& invstd,
                                       const Array* weight);

// x as [rows, cols] (cols = the product of normalized_shape); `leading` is the shape of mean/rstd.
struct RowSizes {
  int64_t rows = 1, cols = 1;
  Shape leading;
};

RowSizes layer_norm_forward_check(const Array& x, const Shape& normalized_shape, const Array* weight,
                                  const Array* bias, double eps);
RowSizes layer_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean, const Array& rstd,
                                   const Shape& normalized_shape, const Array* weight);

}  // namespace fastnn::ops
