// Group normalisation on CUDA                                   (contract: group_norm.h)
//
// Formulas (cpu/group_norm.h): a row (n, g) holds the D = (C / G) S values of its channels;
//   mean, rstd per row, y[n, c, s] = (x - mean) rstd w[c] + b[c];
//   backward with g = dy w[c]: dx = layer norm's input gradient of the row for upstream g,
//   dweight[c] = sum_{n, s} dy (x - mean) rstd, dbias[c] = sum_{n, s} dy.
//
// Layout: x, y, dy, dx contiguous [N, C, S]; mean, rstd [N, G]; weight, bias, dweight, dbias [C].
//
// Algorithm, as the CPU kernel's: the rows are layer-norm rows, so the statistics and dx run
// through the layer-norm kernels of norm.cu (two-stage fixed-order sums in double); the per-channel
// affine step and the upstream scaling dx = dy w[c] are elementwise passes (one thread per element,
// a grid-stride loop); the parameter gradients are per-channel segments of segment_sums.cuh
// (chunks of one channel's N S values over blocks, then the chunks in order). No atomics: the
// results are bitwise repeatable.
#include "cuda/group_norm.h"

#include "cuda/launch.cuh"
#include "cuda/norm.h"
#include "cuda/segment_sums.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

using segment::blocks_for;
using segment::kThreads;

// y = y w[c] + b[c] (w = 1, b = 0 where absent).
template <class T>
__global__ void __launch_bounds__(kThreads)
    channel_scale_shift_kernel(T* y, const T* weight, const T* bias, int64_t total, int64_t c, int64_t s) {
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < total; i += int64_t(gridDim.x) * kThreads) {
    const int64_t k = (i / s) % c;
    y[i] = y[i] * (weight ? weight[k] : T(1)) + (bias ? bias[k] : T(0));
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    channel_scale_kernel(T* dx, const T* dy, const T* weight, int64_t total, int64_t c, int64_t s) {
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < total; i += int64_t(gridDim.x) * kThreads)
    dx[i] = dy[i] * weight[(i / s) % c];
}

// acc += {dy (x - mean) rstd, dy} over channel k's N S values (their row's mean and rstd).
template <class T>
struct GroupNormParameterTerms {
  const T* dy;
  const T* x;
  const T* mean;
  const T* rstd;
  segment::ChannelIndex at;
  int64_t groups, per_group;
  __device__ __forceinline__ void operator()(double* acc, int64_t k, int64_t i) const {
    const int64_t j = at(k, i), row = (i / at.s) * groups + k / per_group;
    const double g = double(dy[j]);
    acc[0] += g * (double(x[j]) - double(mean[row])) * double(rstd[row]);
    acc[1] += g;
  }
};

template <class T>
__global__ void __launch_bounds__(kThreads)
    group_norm_parameters_kernel(T* dweight, T* dbias, const double* partial, int64_t c, int64_t parts) {
  for (int64_t k = int64_t(blockIdx.x) * kThreads + threadIdx.x; k < c; k += int64_t(gridDim.x) * kThreads) {
    if (dweight) dweight[k] = T(segment::segment_total<2>(partial, k, parts, 0));
    if (dbias) dbias[k] = T(segment::segment_total<2>(partial, k, parts, 1));
  }
}

}  // namespace

template <class T>
void group_norm_forward(cudaStream_t stream, T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        const cpu::GroupNormGeometry& g, double eps) {
  const int64_t rows = g.n * g.groups, cols = (g.c / g.groups) * g.s;
  if (rows * cols == 0) return;
  layer_norm_forward<T>(stream, y, mean, rstd, x, nullptr, nullptr, rows, cols, eps);
  if (!weight && !bias) return;
  FASTNN_LAUNCH(channel_scale_shift_kernel<T>)(dim3(blocks_for(rows * cols)), dim3(kThreads), 0, stream, y, weight,
                                               bias, rows * cols, g.c, g.s);
}

template <class T>
void group_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* rstd, const T* weight, const cpu::GroupNormGeometry& g) {
  const int64_t per_group = g.c / g.groups, rows = g.n * g.groups, cols = per_group * g.s;
  if ((dweight || dbias) && g.c > 0) {
    const int64_t count = g.n * g.s;
    const segment::Split split = segment::split_for(count);
    const Workspace partial(size_t(2 * g.c * split.parts) * sizeof(double), stream);
    segment::partial_sums<2>(stream, partial.as<double>(),
                             GroupNormParameterTerms<T>{dy, x, mean, rstd, {g.c, g.s}, g.groups, per_group}, g.c,
                             count, split);
    FASTNN_LAUNCH(group_norm_parameters_kernel<T>)(dim3(blocks_for(g.c)), dim3(kThreads), 0, stream, dweight, dbias,
                                                   partial.as<double>(), g.c, split.parts);
  }
  if (!dx || rows * cols == 0) return;
  const T* upstream = dy;
  if (weight) {
    // dx = dy w[c] first; the layer-norm backward reads it as its upstream gradient (dx may be dy there).
    FASTNN_LAUNCH(channel_scale_kernel<T>)(dim3(blocks_for(rows * cols)), dim3(kThreads), 0, stream, dx, dy, weight,
                                           rows * cols, g.c, g.s);
    upstream = dx;
  }
  layer_norm_backward<T>(stream, dx, nullptr, nullptr, upstream, x, mean, rstd, nullptr, rows, cols);
}

#define FASTNN_INSTANTIATE(T)                                                                                      \
  template void group_norm_forward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*,                      \
                                      const cpu::GroupNormGeometry&, double);                                      \
  template void group_norm_backward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*, const T*, const T*, \
                                       const cpu::GroupNormGeometry&);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cuda
