// Softmax, log-softmax and the fused cross-entropy on CUDA          (contract: softmax_loss.h)
//
// Formulas (cpu/softmax_loss.h has the full cross-entropy ones):
//   softmax      y = exp(x - m) / s,  m = max(x), s = sum(exp(x - m))   log: y = (x - m) - log(s)
//   backward     softmax: dx = y (dy - sum(dy y))                     log: dx = dy - exp(y) sum(dy)
//   cross-entropy on logits [N, C]: lp = log_softmax(logits) (saved), per row i the terms
//     w_t (-lp_t), sum_c w_c (-lp_c), w_t, [t != ignore_index], reduced over rows for mean/sum;
//     backward dx = (a_i + b_i W) exp(lp) - b_i w - a_i [c == t_i];
//   probability targets q: l_i = -sum_c w_c q'_c lp_c, q' = (1 - eps) q + eps / C,
//     backward dx = s_i (sum_k w_k q'_k) exp(lp) - s_i w q'.
//
// Layouts: softmax runs on a contiguous array viewed as [outer, dim, inner]; logits, log_probs,
// probability targets and grad_logits are row-major [N, C]; target indices int64 [N].
//
// Algorithms, all deterministic (fixed-order trees, no floating-point atomics):
// - inner == 1 (rows): one block of kThreads per row (a grid-stride loop over rows past
//   kMaxBlocks); thread t reads elements t, t + kThreads, ...; max and sums combined by
//   block_reduce. Cross-entropy's row terms are summed in double.
// - inner > 1 (lanes): one thread per (outer, lane) column, walking dim serially; grid
//   (ceil(inner / kThreads), min(outer, kMaxBlocks)), a grid-stride loop over outer.
// - the loss of 'mean' / 'sum' is a second kernel, one block that sums the row terms (thread t:
//   rows t, t + kThreads, ... in order, then the tree), in double. The backward's denominators
//   (summed target weights, counted rows, summed class weights) are one block likewise.
#include "cuda/softmax_loss.h"

#include "cuda/block_reduce.cuh"
#include "cuda/launch.cuh"
#include "cuda/math.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

using cpu::CrossEntropyOptions;
using cpu::Reduction;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

unsigned blocks_for(int64_t rows) { return static_cast<unsigned>(rows < kMaxBlocks ? rows : kMaxBlocks); }

template <class T>
__device__ __forceinline__ T class_weight(const T* weight, int64_t c) {
  return weight ? weight[c] : T(1);
}

// ---------------------------------------------------------------------------------- softmax

// (log_)softmax of one row of `dim` elements by the whole block; y must not alias x.
template <class T>
__device__ __forceinline__ void softmax_row(T* y, const T* x, int64_t dim, bool log, T* buffer) {
  T m = x[0];
  for (int64_t j = threadIdx.x; j < dim; j += kThreads) m = math::max_nan(m, x[j]);
  m = block_reduce<kThreads>(m, buffer, MaxOp{});
  T s = 0;
  for (int64_t j = threadIdx.x; j < dim; j += kThreads) s += math::exp(x[j] - m);
  s = block_reduce<kThreads>(s, buffer, SumOp{});
  if (log) {
    const T log_s = math::log(s);
    for (int64_t j = threadIdx.x; j < dim; j += kThreads) y[j] = (x[j] - m) - log_s;
  } else {
    for (int64_t j = threadIdx.x; j < dim; j += kThreads) y[j] = math::exp(x[j] - m) / s;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) softmax_rows_kernel(T* y, const T* x, int64_t rows, int64_t dim, bool log) {
  FASTNN_SHARED(T, buffer, [kThreads]);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) softmax_row(y + r * dim, x + r * dim, dim, log, buffer);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    softmax_lanes_kernel(T* y, const T* x, int64_t outer, int64_t dim, int64_t inner, bool log) {
  const int64_t l = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (l >= inner) return;
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    const T* xo = x + o * dim * inner + l;
    T* yo = y + o * dim * inner + l;
    T m = xo[0];
    for (int64_t d = 1; d < dim; ++d) m = math::max_nan(m, xo[d * inner]);
    T s = 0;
    for (int64_t d = 0; d < dim; ++d) s += math::exp(xo[d * inner] - m);
    if (log) {
      const T log_s = math::log(s);
      for (int64_t d = 0; d < dim; ++d) yo[d * inner] = (xo[d * inner] - m) - log_s;
    } else {
      for (int64_t d = 0; d < dim; ++d) yo[d * inner] = math::exp(xo[d * inner] - m) / s;
    }
  }
}

// dx may be dy: a thread writes only the elements it alone read, after the row's reduction.
template <class T>
__global__ void __launch_bounds__(kThreads)
    softmax_backward_rows_kernel(T* dx, const T* dy, const T* y, int64_t rows, int64_t dim, bool log) {
  FASTNN_SHARED(T, buffer, [kThreads]);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* dyr = dy + r * dim;
    const T* yr = y + r * dim;
    T* dxr = dx + r * dim;
    T s = 0;
    for (int64_t j = threadIdx.x; j < dim; j += kThreads) s += log ? dyr[j] : dyr[j] * yr[j];
    s = block_reduce<kThreads>(s, buffer, SumOp{});
    for (int64_t j = threadIdx.x; j < dim; j += kThreads)
      dxr[j] = log ? dyr[j] - math::exp(yr[j]) * s : yr[j] * (dyr[j] - s);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    softmax_backward_lanes_kernel(T* dx, const T* dy, const T* y, int64_t outer, int64_t dim, int64_t inner, bool log) {
  const int64_t l = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (l >= inner) return;
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    const int64_t at = o * dim * inner + l;
    T s = 0;
    for (int64_t d = 0; d < dim; ++d) s += log ? dy[at + d * inner] : dy[at + d * inner] * y[at + d * inner];
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t i = at + d * inner;
      dx[i] = log ? dy[i] - math::exp(y[i]) * s : y[i] * (dy[i] - s);
    }
  }
}

dim3 lanes_grid(int64_t outer, int64_t inner) {
  return dim3(static_cast<unsigned>((inner + kThreads - 1) / kThreads), blocks_for(outer));
}

// ---------------------------------------------------------------------- cross-entropy, classes

// Per row: log_probs, then the row terms {w_t (-lp_t), sum_c w_c (-lp_c), w_t, counted} (all 0
// for an ignored row) into terms[4 i ...] (mean, sum) or the row's loss (none).
template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_rows_kernel(T* loss_rows, double* terms, T* log_probs, const T* logits, const int64_t* target,
                              int64_t n, int64_t c, const T* weight, int64_t ignore_index, double eps) {
  FASTNN_SHARED(T, buffer, [kThreads]);
  FASTNN_SHARED(double, dbuffer, [kThreads]);
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    T* lp = log_probs + i * c;
    softmax_row(lp, logits + i * c, c, true, buffer);
    const int64_t cls = target[i];
    const bool ignored = cls == ignore_index;
    double smooth = 0.0;
    if (eps > 0.0 && !ignored) {  // the same for the whole block: the barriers inside are uniform
      for (int64_t j = threadIdx.x; j < c; j += kThreads) smooth -= double(class_weight(weight, j)) * lp[j];
      smooth = block_reduce<kThreads>(smooth, dbuffer, SumOp{});
    } else {
      __syncthreads();  // lp[cls], read below, was written by another thread
    }
    if (threadIdx.x == 0) {
      const double w = ignored ? 0.0 : double(class_weight(weight, cls));
      const double nll = ignored ? 0.0 : -w * double(lp[cls]);
      if (terms) {
        double* t = terms + 4 * i;
        t[0] = nll;
        t[1] = smooth;
        t[2] = w;
        t[3] = ignored ? 0.0 : 1.0;
      } else {
        loss_rows[i] = T((1.0 - eps) * nll + eps / double(c) * smooth);
      }
    }
  }
}

// The column sums of terms [n, K] (double), thread t summing rows t, t + kThreads, ... in order,
// then the tree; returned to every thread of the (single) block.
template <int K>
__device__ __forceinline__ void sum_rows(double (&sums)[K], const double* terms, int64_t n, double* buffer) {
  double a[K] = {};
  for (int64_t i = threadIdx.x; i < n; i += kThreads)
    FASTNN_UNROLL
    for (int k = 0; k < K; ++k) a[k] += terms[K * i + k];
  for (int k = 0; k < K; ++k) sums[k] = block_reduce<kThreads>(a[k], buffer, SumOp{});
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_total_kernel(T* loss, const double* terms, int64_t n, int64_t c, double eps, bool mean,
                               bool weighted) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  double s[4];
  sum_rows(s, terms, n, buffer);
  if (threadIdx.x != 0) return;
  double total;
  if (!mean) {
    total = (1.0 - eps) * s[0] + eps / double(c) * s[1];
  } else {
    total = (1.0 - eps) * s[0] / s[2];
    if (eps > 0.0) total += eps / double(c) * s[1] / (weighted ? s[2] : s[3]);
  }
  loss[0] = T(total);
}

// sums = {nll denominator, smoothing denominator, sum of the class weights} of the backward.
template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_backward_sums_kernel(double* sums, const int64_t* target, int64_t n, int64_t c, const T* weight,
                                       int64_t ignore_index, bool mean) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  double target_weights = 0.0, counted = 0.0, class_weights = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads)
    if (target[i] != ignore_index) {
      target_weights += double(class_weight(weight, target[i]));
      counted += 1.0;
    }
  if (weight)
    for (int64_t j = threadIdx.x; j < c; j += kThreads) class_weights += double(weight[j]);
  target_weights = block_reduce<kThreads>(target_weights, buffer, SumOp{});
  counted = block_reduce<kThreads>(counted, buffer, SumOp{});
  class_weights = block_reduce<kThreads>(class_weights, buffer, SumOp{});
  if (threadIdx.x != 0) return;
  sums[0] = mean ? target_weights : 1.0;
  sums[1] = mean ? (weight ? target_weights : counted) : 1.0;
  sums[2] = weight ? class_weights : double(c);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_backward_rows_kernel(T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                                       const double* sums, const T* log_probs, const int64_t* target, int64_t n,
                                       int64_t c, const T* weight, int64_t ignore_index, double eps) {
  const double nll_denominator = sums[0], smooth_denominator = sums[1], class_weight_sum = sums[2];
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    T* dx = grad_logits + i * c;
    const T* lp = log_probs + i * c;
    const int64_t cls = target[i];
    if (cls == ignore_index) {
      for (int64_t j = threadIdx.x; j < c; j += kThreads) dx[j] = T(0);
      continue;
    }
    const double g = grad_loss_rows ? double(grad_loss_rows[i]) : double(grad_loss_scalar);
    const double a = g * (1.0 - eps) * double(class_weight(weight, cls)) / nll_denominator;
    const double s = eps > 0.0 ? g * eps / double(c) / smooth_denominator : 0.0;
    const T scale = T(a + s * class_weight_sum);
    for (int64_t j = threadIdx.x; j < c; j += kThreads) {
      T v = scale * math::exp(lp[j]);
      if (s != 0.0) v -= T(s * double(class_weight(weight, j)));
      if (j == cls) v -= T(a);
      dx[j] = v;
    }
  }
}

// ----------------------------------------------------------------- cross-entropy, probabilities

// Per row: log_probs and l_i = -sum_c w_c q'_c lp_c, into row_loss (double, mean / sum) or loss_rows.
template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_prob_rows_kernel(T* loss_rows, double* row_loss, T* log_probs, const T* logits, const T* target,
                                   int64_t n, int64_t c, const T* weight, double eps) {
  FASTNN_SHARED(T, buffer, [kThreads]);
  FASTNN_SHARED(double, dbuffer, [kThreads]);
  const double keep = 1.0 - eps, uniform = eps / double(c);
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    T* lp = log_probs + i * c;
    const T* q = target + i * c;
    softmax_row(lp, logits + i * c, c, true, buffer);
    double l = 0.0;
    for (int64_t j = threadIdx.x; j < c; j += kThreads)
      l -= double(class_weight(weight, j)) * (keep * double(q[j]) + uniform) * double(lp[j]);
    l = block_reduce<kThreads>(l, dbuffer, SumOp{});
    if (threadIdx.x == 0) {
      if (row_loss)
        row_loss[i] = l;
      else
        loss_rows[i] = T(l);
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_prob_total_kernel(T* loss, const double* row_loss, int64_t n, bool mean) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  double s[1];
  sum_rows(s, row_loss, n, buffer);
  if (threadIdx.x == 0) loss[0] = T(mean ? s[0] / double(n) : s[0]);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_prob_backward_rows_kernel(T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                                            const T* log_probs, const T* target, int64_t n, int64_t c,
                                            const T* weight, double eps, bool mean) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  const double keep = 1.0 - eps, uniform = eps / double(c);
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    T* dx = grad_logits + i * c;
    const T* lp = log_probs + i * c;
    const T* q = target + i * c;
    const double s = grad_loss_rows ? double(grad_loss_rows[i])
                     : mean         ? double(grad_loss_scalar) / double(n)
                                    : double(grad_loss_scalar);
    double weighted_target_sum = 0.0;
    for (int64_t j = threadIdx.x; j < c; j += kThreads)
      weighted_target_sum += double(class_weight(weight, j)) * (keep * double(q[j]) + uniform);
    weighted_target_sum = block_reduce<kThreads>(weighted_target_sum, buffer, SumOp{});
    const T scale = T(s * weighted_target_sum);
    for (int64_t j = threadIdx.x; j < c; j += kThreads)
      dx[j] = scale * math::exp(lp[j]) - T(s * double(class_weight(weight, j)) * (keep * double(q[j]) + uniform));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------- launchers

template <class T>
void softmax_forward(cudaStream_t stream, T* y, const T* x, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1)
    FASTNN_LAUNCH(softmax_rows_kernel<T>)(dim3(blocks_for(outer)), dim3(kThreads), 0, stream, y, x, outer, dim, log);
  else
    FASTNN_LAUNCH(softmax_lanes_kernel<T>)(lanes_grid(outer, inner), dim3(kThreads), 0, stream, y, x, outer, dim, inner,
                                           log);
}

template <class T>
void softmax_backward(cudaStream_t stream, T* dx, const T* dy, const T* y, int64_t outer, int64_t dim, int64_t inner,
                      bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1)
    FASTNN_LAUNCH(softmax_backward_rows_kernel<T>)(dim3(blocks_for(outer)), dim3(kThreads), 0, stream, dx, dy, y, outer,
                                                   dim, log);
  else
    FASTNN_LAUNCH(softmax_backward_lanes_kernel<T>)(lanes_grid(outer, inner), dim3(kThreads), 0, stream, dx, dy, y,
                                                    outer, dim, inner, log);
}

template <class T>
void cross_entropy_forward(cudaStream_t stream, T* loss, T* log_probs, const T* logits, const int64_t* target,
                           int64_t n, int64_t c, const CrossEntropyOptions<T>& opt) {
  const bool none = opt.reduction == Reduction::none;
  if (none) {
    if (n > 0)
      FASTNN_LAUNCH(cross_entropy_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream, loss, nullptr,
                                                  log_probs, logits, target, n, c, opt.weight, opt.ignore_index,
                                                  opt.label_smoothing);
    return;
  }
  Workspace terms(4 * sizeof(double) * static_cast<size_t>(n), stream);
  if (n > 0)
    FASTNN_LAUNCH(cross_entropy_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream, nullptr,
                                                terms.as<double>(), log_probs, logits, target, n, c, opt.weight,
                                                opt.ignore_index, opt.label_smoothing);
  FASTNN_LAUNCH(cross_entropy_total_kernel<T>)(dim3(1), dim3(kThreads), 0, stream, loss, terms.as<double>(), n, c,
                                               opt.label_smoothing, opt.reduction == Reduction::mean,
                                               opt.weight != nullptr);
}

template <class T>
void cross_entropy_backward(cudaStream_t stream, T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                            const T* log_probs, const int64_t* target, int64_t n, int64_t c,
                            const CrossEntropyOptions<T>& opt) {
  if (n == 0) return;
  Workspace sums(3 * sizeof(double), stream);
  FASTNN_LAUNCH(cross_entropy_backward_sums_kernel<T>)(dim3(1), dim3(kThreads), 0, stream, sums.as<double>(), target,
                                                       n, c, opt.weight, opt.ignore_index,
                                                       opt.reduction == Reduction::mean);
  FASTNN_LAUNCH(cross_entropy_backward_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream, grad_logits,
                                                       grad_loss_rows, grad_loss_scalar, sums.as<double>(), log_probs,
                                                       target, n, c, opt.weight, opt.ignore_index,
                                                       opt.label_smoothing);
}

template <class T>
void cross_entropy_prob_forward(cudaStream_t stream, T* loss, T* log_probs, const T* logits, const T* target,
                                int64_t n, int64_t c, const CrossEntropyOptions<T>& opt) {
  const bool none = opt.reduction == Reduction::none;
  if (none) {
    if (n > 0)
      FASTNN_LAUNCH(cross_entropy_prob_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream, loss, nullptr,
                                                       log_probs, logits, target, n, c, opt.weight,
                                                       opt.label_smoothing);
    return;
  }
  Workspace row_loss(sizeof(double) * static_cast<size_t>(n), stream);
  if (n > 0)
    FASTNN_LAUNCH(cross_entropy_prob_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream, nullptr,
                                                     row_loss.as<double>(), log_probs, logits, target, n, c,
                                                     opt.weight, opt.label_smoothing);
  FASTNN_LAUNCH(cross_entropy_prob_total_kernel<T>)(dim3(1), dim3(kThreads), 0, stream, loss, row_loss.as<double>(), n,
                                                    opt.reduction == Reduction::mean);
}

template <class T>
void cross_entropy_prob_backward(cudaStream_t stream, T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                                 const T* log_probs, const T* target, int64_t n, int64_t c,
                                 const CrossEntropyOptions<T>& opt) {
  if (n == 0) return;
  FASTNN_LAUNCH(cross_entropy_prob_backward_rows_kernel<T>)(dim3(blocks_for(n)), dim3(kThreads), 0, stream,
                                                            grad_logits, grad_loss_rows, grad_loss_scalar, log_probs,
                                                            target, n, c, opt.weight, opt.label_smoothing,
                                                            opt.reduction == Reduction::mean);
}

#define FASTNN_INSTANTIATE(T)                                                                                       \
  template void softmax_forward<T>(cudaStream_t, T*, const T*, int64_t, int64_t, int64_t, bool);                    \
  template void softmax_backward<T>(cudaStream_t, T*, const T*, const T*, int64_t, int64_t, int64_t, bool);         \
  template void cross_entropy_forward<T>(cudaStream_t, T*, T*, const T*, const int64_t*, int64_t, int64_t,          \
                                         const CrossEntropyOptions<T>&);                                            \
  template void cross_entropy_backward<T>(cudaStream_t, T*, const T*, T, const T*, const int64_t*, int64_t, int64_t, \
                                          const CrossEntropyOptions<T>&);                                           \
  template void cross_entropy_prob_forward<T>(cudaStream_t, T*, T*, const T*, const T*, int64_t, int64_t,           \
                                              const CrossEntropyOptions<T>&);                                       \
  template void cross_entropy_prob_backward<T>(cudaStream_t, T*, const T*, T, const T*, const T*, int64_t, int64_t, \
                                               const CrossEntropyOptions<T>&);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cuda
