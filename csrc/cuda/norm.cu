// Batch and layer normalisation on CUDA                                  (contract: norm.h)
//
// Formulas (cpu/norm.h):
//   batch_norm, per channel c over its M = N S values:
//     training   mean = sum x / M, var = sum (x - mean)^2 / M, invstd = 1 / sqrt(var + eps),
//                running_mean = (1 - momentum) running_mean + momentum mean,
//                running_var = (1 - momentum) running_var + momentum var M / (M - 1);
//     evaluation mean = running_mean, invstd = 1 / sqrt(running_var + eps);
//     y = x a + b with a = invstd w, b = bias - mean a;
//     backward, sdy = sum dy, dot = sum (x - mean) dy: dbias = sdy, dweight = dot invstd,
//     dx = dy a + x b' + d (training b' = -dot invstd^2 a / M, d = -(sdy / M) a - mean b';
//     evaluation b' = d = 0).
//   layer_norm, per row r of D values: mean, rstd = 1 / sqrt(var + eps), y = (x rstd - mean rstd) w + b;
//     backward with g = dy w: dx = rstd g + b x + c, b = (sum g mean - sum g x) rstd^3 / D,
//     c = -b mean - rstd sum g / D; dweight_j = sum_r dy (x - mean) rstd, dbias_j = sum_r dy.
//
// Layouts: batch norm x, y, dy, dx contiguous [N, C, S], per-channel arrays [C]; layer norm
// [R, D] rows, mean/rstd [R], weight/bias/dweight/dbias [D].
//
// Algorithm (every sum in double and in a fixed order; no atomics; bitwise repeatable):
// - statistics and backward sums of a channel / row: the two stages of segment_sums.cuh (chunks
//   of >= 2048 elements, at most 256 per segment, one block each, then the chunks in order), two
//   passes for the statistics (the mean first, then the squared deviations from it);
// - one thread per channel / row turns the totals into the statistics and the per-channel
//   (per-row) coefficients of the elementwise pass, rounded to T as the CPU kernel rounds them;
// - the elementwise pass: one thread per element, a grid-stride loop. It runs last, so y may be x;
// - layer norm's dweight/dbias: one thread per column sums a chunk of >= 32 rows (at most 256
//   chunks) in order into a workspace, then one thread per column adds the chunks in order.
#include "cuda/norm.h"

#include <stdexcept>

#include "cuda/launch.cuh"
#include "cuda/math.cuh"
#include "cuda/segment_sums.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

using segment::blocks_for;
using segment::kThreads;

constexpr int64_t kMinColumnChunkRows = 32;
constexpr int64_t kMaxColumnChunks = 256;

// Temporary device memory: `doubles` doubles, then `values` T's.
template <class T>
struct Scratch {
  Workspace memory;
  int64_t doubles;
  Scratch(int64_t doubles, int64_t values, cudaStream_t stream)
      : memory(size_t(doubles) * sizeof(double) + size_t(values) * sizeof(T), stream), doubles(doubles) {}
  double* d() const { return memory.as<double>(); }
  T* t() const { return reinterpret_cast<T*>(memory.as<double>() + doubles); }
};

// ----------------------------------------------------------------------------------- batch norm

// Per channel: mean, invstd, the running statistics, and coef = {a [C], b [C]} of y = x a + b.
template <class T>
__global__ void __launch_bounds__(kThreads)
    batch_norm_statistics_kernel(T* mean, T* invstd, T* running_mean, T* running_var, T* coef, const double* moments,
                                 const T* weight, const T* bias, int64_t c, int64_t count, bool training,
                                 double momentum, double eps) {
  FASTNN_GRID_STRIDE(k, c, kThreads) {
    double m, inv;
    if (!training) {
      m = double(running_mean[k]);
      inv = 1.0 / math::sqrt(double(running_var[k]) + eps);
    } else if (count == 0) {  // an empty batch: no statistics, the running ones stay (cpu/norm.cpp)
      m = inv = 0.0;
    } else {
      m = moments[k];
      const double var_sum = moments[c + k];
      inv = 1.0 / math::sqrt(var_sum / double(count) + eps);
      if (running_mean) running_mean[k] = T(momentum * m + (1.0 - momentum) * double(running_mean[k]));
      if (running_var)
        running_var[k] = T(momentum * (var_sum / double(count - 1)) + (1.0 - momentum) * double(running_var[k]));
    }
    mean[k] = T(m);
    invstd[k] = T(inv);
    const double scale = inv * (weight ? double(weight[k]) : 1.0);
    coef[k] = T(scale);
    coef[c + k] = T((bias ? double(bias[k]) : 0.0) - m * scale);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    channel_affine_kernel(T* y, const T* x, const T* coef, int64_t total, int64_t c, int64_t s) {
  FASTNN_GRID_STRIDE(i, total, kThreads) {
    const int64_t k = (i / s) % c;
    y[i] = x[i] * coef[k] + coef[c + k];
  }
}

// acc += {dy, (x - mean) dy} over a channel.
template <class T>
struct BatchNormBackwardTerms {
  const T* dy;
  const T* x;
  const T* mean;
  segment::ChannelIndex at;
  __device__ __forceinline__ void operator()(double* acc, int64_t k, int64_t i) const {
    const int64_t j = at(k, i);
    const double g = double(dy[j]);
    acc[0] += g;
    acc[1] += (double(x[j]) - double(mean[k])) * g;
  }
};

// Per channel: dbias, dweight, and coef = {a, b, d} [3C] of dx = dy a + x b + d (coef null: no dx).
template <class T>
__global__ void __launch_bounds__(kThreads)
    batch_norm_backward_coefficients_kernel(T* dweight, T* dbias, T* coef, const double* partial, int64_t parts,
                                            const T* mean, const T* invstd, const T* weight, int64_t c, int64_t count,
                                            bool training) {
  FASTNN_GRID_STRIDE(k, c, kThreads) {
    const double m = double(mean[k]), inv = double(invstd[k]), w = weight ? double(weight[k]) : 1.0;
    const double sum_dy = partial ? segment::segment_total<2>(partial, k, parts, 0) : 0.0;
    const double dot = partial ? segment::segment_total<2>(partial, k, parts, 1) : 0.0;
    if (dbias) dbias[k] = T(sum_dy);
    if (dweight) dweight[k] = T(dot * inv);
    if (!coef) continue;
    const double a = inv * w;
    const double b = training ? -dot * inv * inv * a / double(count) : 0.0;
    const double d = training ? -(sum_dy / double(count)) * a - m * b : 0.0;
    coef[k] = T(a);
    coef[c + k] = T(b);
    coef[2 * c + k] = T(d);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    channel_affine_backward_kernel(T* dx, const T* dy, const T* x, const T* coef, int64_t total, int64_t c,
                                   int64_t s) {
  FASTNN_GRID_STRIDE(i, total, kThreads) {
    const int64_t k = (i / s) % c;
    dx[i] = dy[i] * coef[k] + (x[i] * coef[c + k] + coef[2 * c + k]);
  }
}

// ----------------------------------------------------------------------------------- layer norm

// Per row: mean, rstd, and coef = {rstd, -mean rstd} [2R] of x rstd - mean rstd.
template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_statistics_kernel(T* mean, T* rstd, T* coef, const double* moments, int64_t rows, int64_t cols,
                                 double eps) {
  FASTNN_GRID_STRIDE(r, rows, kThreads) {
    const double m = moments[r];
    const double inv = 1.0 / math::sqrt(moments[rows + r] / double(cols) + eps);
    mean[r] = T(m);
    rstd[r] = T(inv);
    coef[r] = T(inv);
    coef[rows + r] = T(-m * inv);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_affine_kernel(T* y, const T* x, const T* coef, const T* weight, const T* bias, int64_t rows,
                             int64_t cols) {
  FASTNN_GRID_STRIDE(i, rows * cols, kThreads) {
    const int64_t r = i / cols, j = i - r * cols;
    T v = x[i] * coef[r] + coef[rows + r];
    if (weight) v *= weight[j];
    if (bias) v += bias[j];
    y[i] = v;
  }
}

// acc += {g, g x} over a row, g = dy w.
template <class T>
struct LayerNormBackwardTerms {
  const T* dy;
  const T* x;
  const T* weight;
  int64_t cols;
  __device__ __forceinline__ void operator()(double* acc, int64_t r, int64_t i) const {
    const int64_t j = r * cols + i;
    const double g = double(dy[j]) * (weight ? double(weight[i]) : 1.0);
    acc[0] += g;
    acc[1] += g * double(x[j]);
  }
};

// Per row: coef = {rstd, b, c} [3R] of dx = rstd g + b x + c.
template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_backward_coefficients_kernel(T* coef, const double* partial, int64_t parts, const T* mean,
                                            const T* rstd, int64_t rows, int64_t cols) {
  FASTNN_GRID_STRIDE(r, rows, kThreads) {
    const double m = double(mean[r]), inv = double(rstd[r]);
    const double sum_g = segment::segment_total<2>(partial, r, parts, 0);
    const double sum_gx = segment::segment_total<2>(partial, r, parts, 1);
    const double b = (sum_g * m - sum_gx) * inv * inv * inv / double(cols);
    const double c = -b * m - inv * sum_g / double(cols);
    coef[r] = T(inv);
    coef[rows + r] = T(b);
    coef[2 * rows + r] = T(c);
  }
}

// dx may be dy: each element is read and written by one thread.
template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_backward_input_kernel(T* dx, const T* dy, const T* x, const T* coef, const T* weight, int64_t rows,
                                     int64_t cols) {
  FASTNN_GRID_STRIDE(i, rows * cols, kThreads) {
    const int64_t r = i / cols, j = i - r * cols;
    const T g = weight ? dy[i] * weight[j] : dy[i];
    dx[i] = coef[r] * g + coef[rows + r] * x[i] + coef[2 * rows + r];
  }
}

// partial [chunks, D, 2]: chunk h of `chunk_rows` rows, column j: {sum dy (x - mean) rstd, sum dy}.
// grid (ceil(D / kThreads), chunks).
template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_column_partials_kernel(double* partial, const T* dy, const T* x, const T* mean, const T* rstd,
                                      int64_t rows, int64_t cols, int64_t chunk_rows) {
  const int64_t j = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (j >= cols) return;
  const int64_t h = blockIdx.y, begin = h * chunk_rows;
  const int64_t end = begin + chunk_rows < rows ? begin + chunk_rows : rows;
  double sw = 0.0, sb = 0.0;
  for (int64_t r = begin; r < end; ++r) {
    const double m = double(mean[r]), inv = double(rstd[r]);
    const double g = double(dy[r * cols + j]);
    sw += g * (double(x[r * cols + j]) - m) * inv;
    sb += g;
  }
  partial[(h * cols + j) * 2] = sw;
  partial[(h * cols + j) * 2 + 1] = sb;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    layer_norm_columns_kernel(T* dweight, T* dbias, const double* partial, int64_t cols, int64_t chunks) {
  FASTNN_GRID_STRIDE(j, cols, kThreads) {
    double sw = 0.0, sb = 0.0;
    for (int64_t h = 0; h < chunks; ++h) {
      sw += partial[(h * cols + j) * 2];
      sb += partial[(h * cols + j) * 2 + 1];
    }
    if (dweight) dweight[j] = T(sw);
    if (dbias) dbias[j] = T(sb);
  }
}

}  // namespace

// ------------------------------------------------------------------------------------- launchers

template <class T>
void batch_norm_forward(cudaStream_t stream, T* y, T* mean, T* invstd, T* running_mean, T* running_var, const T* x,
                        const T* weight, const T* bias, int64_t n, int64_t c, int64_t s, bool training,
                        double momentum, double eps) {
  const int64_t count = n * s;
  if (training && count == 1)  // the CPU kernel's rule and message
    throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got N * H * W = 1");
  if (c == 0) return;
  const bool batch_stats = training && count > 0;
  const Scratch<T> scratch(batch_stats ? segment::moments_workspace(c, count) : 0, 2 * c, stream);
  if (batch_stats) segment::moments(stream, scratch.d(), x, segment::ChannelIndex{c, s}, c, count);
  FASTNN_LAUNCH(batch_norm_statistics_kernel<T>)(dim3(blocks_for(c)), dim3(kThreads), 0, stream, mean, invstd,
                                                 running_mean, running_var, scratch.t(),
                                                 batch_stats ? scratch.d() : nullptr, weight, bias, c, count,
                                                 training, momentum, eps);
  if (count > 0)
    FASTNN_LAUNCH(channel_affine_kernel<T>)(dim3(blocks_for(count * c)), dim3(kThreads), 0, stream, y, x,
                                            scratch.t(), count * c, c, s);
}

template <class T>
void batch_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* invstd, const T* weight, int64_t n, int64_t c, int64_t s, bool training) {
  const int64_t count = n * s;
  if (c == 0 || (!dx && !dweight && !dbias)) return;
  const bool need_sums = dweight || dbias || (dx && training);
  const segment::Split split = segment::split_for(count);
  const int64_t partials = need_sums ? 2 * c * split.parts : 0;
  const Scratch<T> scratch(partials, dx ? 3 * c : 0, stream);
  if (need_sums)
    segment::partial_sums<2>(stream, scratch.d(), BatchNormBackwardTerms<T>{dy, x, mean, {c, s}}, c, count, split);
  FASTNN_LAUNCH(batch_norm_backward_coefficients_kernel<T>)(
      dim3(blocks_for(c)), dim3(kThreads), 0, stream, dweight, dbias, dx ? scratch.t() : nullptr,
      need_sums ? scratch.d() : nullptr, split.parts, mean, invstd, weight, c, count, training);
  if (dx && count > 0)
    FASTNN_LAUNCH(channel_affine_backward_kernel<T>)(dim3(blocks_for(count * c)), dim3(kThreads), 0, stream, dx, dy, x,
                                                     scratch.t(), count * c, c, s);
}

template <class T>
void layer_norm_forward(cudaStream_t stream, T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        int64_t rows, int64_t cols, double eps) {
  if (rows == 0) return;
  const Scratch<T> scratch(segment::moments_workspace(rows, cols), 2 * rows, stream);
  segment::moments(stream, scratch.d(), x, segment::RowIndex{cols}, rows, cols);
  FASTNN_LAUNCH(layer_norm_statistics_kernel<T>)(dim3(blocks_for(rows)), dim3(kThreads), 0, stream, mean, rstd,
                                                 scratch.t(), scratch.d(), rows, cols, eps);
  if (cols > 0)
    FASTNN_LAUNCH(layer_norm_affine_kernel<T>)(dim3(blocks_for(rows * cols)), dim3(kThreads), 0, stream, y, x,
                                               scratch.t(), weight, bias, rows, cols);
}

template <class T>
void layer_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* rstd, const T* weight, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  // The parameter gradients first: with dx == dy (group norm) they would read the overwritten dy.
  if (dweight || dbias) {
    int64_t chunk_rows = (rows + kMaxColumnChunks - 1) / kMaxColumnChunks;
    if (chunk_rows < kMinColumnChunkRows) chunk_rows = kMinColumnChunkRows;
    const int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
    const Workspace partial(size_t(chunks * cols * 2) * sizeof(double), stream);
    if (chunks > 0)
      FASTNN_LAUNCH(layer_norm_column_partials_kernel<T>)(
          dim3(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(chunks)),
          dim3(kThreads), 0, stream, partial.as<double>(), dy, x, mean, rstd, rows, cols, chunk_rows);
    FASTNN_LAUNCH(layer_norm_columns_kernel<T>)(dim3(blocks_for(cols)), dim3(kThreads), 0, stream, dweight, dbias,
                                                partial.as<double>(), cols, chunks);
  }
  if (!dx || rows == 0) return;
  const segment::Split split = segment::split_for(cols);
  const Scratch<T> scratch(2 * rows * split.parts, 3 * rows, stream);
  segment::partial_sums<2>(stream, scratch.d(), LayerNormBackwardTerms<T>{dy, x, weight, cols}, rows, cols, split);
  FASTNN_LAUNCH(layer_norm_backward_coefficients_kernel<T>)(dim3(blocks_for(rows)), dim3(kThreads), 0, stream,
                                                            scratch.t(), scratch.d(), split.parts, mean, rstd, rows,
                                                            cols);
  FASTNN_LAUNCH(layer_norm_backward_input_kernel<T>)(dim3(blocks_for(rows * cols)), dim3(kThreads), 0, stream, dx, dy,
                                                     x, scratch.t(), weight, rows, cols);
}


#define FASTNN_INSTANTIATE(T)                                                                                        \
  template void batch_norm_forward<T>(cudaStream_t, T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t,       \
                                      int64_t, int64_t, bool, double, double);                                       \
  template void batch_norm_backward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*, const T*, const T*,   \
                                       int64_t, int64_t, int64_t, bool);                                             \
  template void layer_norm_forward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t,      \
                                      double);                                                                       \
  template void layer_norm_backward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*, const T*, const T*,   \
                                       int64_t, int64_t);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cuda
