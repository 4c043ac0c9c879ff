// Batch normalisation and layer normalisation, forward and backward, as PyTorch defines them.
//
// batch_norm: x, y contiguous [N, C, S] (S = H * W, or 1 for [N, C]); statistics per channel c
// over its M = N * S values.
//   training:   mean = sum x / M,  var = sum (x - mean)^2 / M,  invstd = 1 / sqrt(var + eps);
//               running_mean = (1 - momentum) running_mean + momentum mean,
//               running_var  = (1 - momentum) running_var  + momentum var M / (M - 1)  (unbiased),
//               when running statistics are given (momentum = 1 / batches for a cumulative average).
//               M = 0 (an empty batch) leaves the running statistics alone and writes mean =
//               invstd = 0; M = 1 throws std::invalid_argument (PyTorch refuses it too).
//   evaluation: mean = running_mean, invstd = 1 / sqrt(running_var + eps).
//   y = (x - mean) invstd w + b  (w = 1, b = 0 without affine parameters). mean and invstd [C]
//   are outputs in both modes: backward takes them.
// batch_norm backward, with sdy = sum dy and dot = sum (x - mean) dy per channel:
//   dbias = sdy, dweight = dot invstd,
//   training:   dx = (dy - sdy / M - (x - mean) dot invstd^2 / M) invstd w
//   evaluation: dx = dy invstd w  (the statistics are constants).
//
// layer_norm: x, y contiguous [R, D] (the trailing normalized_shape flattened to D), per row:
//   mean = sum x / D, var = sum (x - mean)^2 / D, rstd = 1 / sqrt(var + eps),
//   y = (x - mean) rstd w + b  (w, b [D], optional).
// layer_norm backward, per row with g = dy w:
//   dx = rstd g + b x + c,  b = (sum g mean - sum g x) rstd^3 / D,  c = -b mean - rstd sum g / D;
//   dweight_j = sum_rows dy (x - mean) rstd,  dbias_j = sum_rows dy.
//
// Sums run in double, each one on one thread in a fixed order: batch norm splits channels over
// threads (never a channel's reduction), layer norm splits rows for dx and fixed column blocks
// for dweight/dbias. Results never depend on the thread count. Optional pointers may be null:
// weight, bias, running_mean, running_var, and the backward outputs not wanted. Gradients are
// written, not accumulated.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

// y: [N, C, S]; mean, invstd: [C] (written); running_mean, running_var: [C] (read in evaluation,
// updated in training); x: [N, C, S]; weight, bias: [C].
template <class T>
void batch_norm_forward(T* y, T* mean, T* invstd, T* running_mean, T* running_var, const T* x, const T* weight,
                        const T* bias, int64_t n, int64_t c, int64_t s, bool training, double momentum, double eps);

// dx: [N, C, S]; dweight, dbias: [C]; dy, x: [N, C, S]; mean, invstd: [C] from the forward.
template <class T>
void batch_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* invstd,
                         const T* weight, int64_t n, int64_t c, int64_t s, bool training);

// y: [R, D]; mean, rstd: [R]; x: [R, D]; weight, bias: [D].
template <class T>
void layer_norm_forward(T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias, int64_t rows,
                        int64_t cols, double eps);

// dx: [R, D]; dweight, dbias: [D]; dy, x: [R, D]; mean, rstd: [R] from the forward; weight: [D].
template <class T>
void layer_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* rstd,
                         const T* weight, int64_t rows, int64_t cols);

}  // namespace fastnn::cpu
