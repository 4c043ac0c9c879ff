// Fused optimizer updates on CUDA: SGD, Adagrad, RMSprop, Adam/AdamW, Adamax, NAdam, Adadelta
// (contract: optim.h; the formulas, in PyTorch's order of operations, are cpu/optim.h's, and the
// per-element arithmetic is cpu/optim_update.h's, shared with the CPU loops).
//
// Layouts: param, grad and every state buffer are contiguous with n elements; step and
// mu_product are float32 device scalars.
//
// Algorithm: one elementwise kernel per optimizer, the options that switch a buffer on or off
// (momentum, centered, amsgrad, SGD's first step) template parameters so that the loop has no
// branch on them; 256 threads per block, one element per thread, a grid-stride loop past
// kMaxGridBlocks blocks. Every thread computes the step-dependent coefficients itself from the step
// count it reads (t = step + 1, in float32 as PyTorch's tensor add, then double): the same values
// in every thread, with no host round trip. A one-thread kernel enqueued after the update then
// stores t (and NAdam's new mu_product), so no thread of the update reads a value it changes.
// Each element is updated alone: results do not depend on the launch shape or the schedule.
#include "cuda/optim.h"

#include "cpu/optim_update.h"
#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

using cpu::AdadeltaOptions;
using cpu::AdagradOptions;
using cpu::AdamaxOptions;
using cpu::AdamOptions;
using cpu::NadamOptions;
using cpu::RmspropOptions;
using cpu::SgdOptions;
using optim::EffectiveGrad;
using optim::Lerp;

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t first_index() { return int64_t(blockIdx.x) * kThreads + threadIdx.x; }
__device__ __forceinline__ int64_t grid_stride() { return int64_t(gridDim.x) * kThreads; }

__device__ __forceinline__ double power(double x, double y) { return ::pow(x, y); }

// The step count this update uses: the stored count plus one, added in float32.
__device__ __forceinline__ double next_step(const float* step) { return double(*step + 1.0f); }

__global__ void advance_step_kernel(float* step) { *step = *step + 1.0f; }

// ------------------------------------------------------------------------------------ kernels

template <class T, bool kMomentum, bool kFirst>
__global__ void __launch_bounds__(kThreads)
    sgd_kernel(T* param, T* buf, const T* grad, int64_t n, SgdOptions o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_lr = T(-o.lr), momentum = T(o.momentum), keep = T(1 - o.dampening);
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::sgd_update<T, kMomentum, kFirst>(i, param, buf, grad, effective, neg_lr, momentum, keep, o.nesterov);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    adagrad_kernel(T* param, T* sum, const float* step, const T* grad, int64_t n, AdagradOptions o) {
  const double t = next_step(step);
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_clr = T(-(o.lr / (1 + (t - 1) * o.lr_decay))), eps = T(o.eps);
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::adagrad_update(i, param, sum, grad, effective, neg_clr, eps);
}

template <class T, bool kCentered, bool kMomentum>
__global__ void __launch_bounds__(kThreads) rmsprop_kernel(T* param, T* square_avg, T* grad_avg, T* buf,
                                                           const T* grad, int64_t n, RmspropOptions o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const Lerp<T> toward_grad(T(1 - o.alpha));
  const T neg_lr = T(-o.lr), alpha = T(o.alpha), one_minus_alpha = T(1 - o.alpha), eps = T(o.eps),
          momentum = T(o.momentum);
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::rmsprop_update<T, kCentered, kMomentum>(i, param, square_avg, grad_avg, buf, grad, effective, toward_grad,
                                                   neg_lr, alpha, one_minus_alpha, eps, momentum);
}

template <class T, bool kAmsgrad>
__global__ void __launch_bounds__(kThreads) adam_kernel(T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                                                        const float* step, const T* grad, int64_t n, AdamOptions o) {
  const double t = next_step(step);
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, o.decoupled_weight_decay);
  const T shrink = o.decoupled_weight_decay && o.weight_decay != 0 ? T(1 - o.lr * o.weight_decay) : T(1);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), w2 = T(1 - o.beta2), eps = T(o.eps);
  const double bias_correction1 = 1 - power(o.beta1, t), bias_correction2 = 1 - power(o.beta2, t);
  const T neg_step_size = T(-(o.lr / bias_correction1));
  const T bias_correction2_sqrt = T(power(bias_correction2, 0.5));
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::adam_update<T, kAmsgrad>(i, param, exp_avg, exp_avg_sq, max_exp_avg_sq, grad, effective, shrink, toward_grad,
                                    beta2, w2, eps, neg_step_size, bias_correction2_sqrt);
}

template <class T>
__global__ void __launch_bounds__(kThreads) adamax_kernel(T* param, T* exp_avg, T* exp_inf, const float* step,
                                                          const T* grad, int64_t n, AdamaxOptions o) {
  const double t = next_step(step);
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), eps = T(o.eps);
  const T neg_clr = T(-(o.lr / (1 - power(o.beta1, t))));
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::adamax_update(i, param, exp_avg, exp_inf, grad, effective, toward_grad, beta2, eps, neg_clr);
}

// NAdam's momentum coefficient mu_t = beta1 (1 - 0.5 * 0.96^(t psi)).
__device__ __forceinline__ double nadam_mu(const NadamOptions& o, double t) {
  return o.beta1 * (1.0 - 0.5 * power(0.96, t * o.momentum_decay));
}

// The product of the mu's after this step, as PyTorch's float32 tensor times a double scalar.
__device__ __forceinline__ float nadam_next_mu_product(const float* mu_product, const NadamOptions& o, double t) {
  return *mu_product * static_cast<float>(nadam_mu(o, t));
}

__global__ void nadam_advance_kernel(float* step, float* mu_product, NadamOptions o) {
  *mu_product = nadam_next_mu_product(mu_product, o, next_step(step));
  *step = *step + 1.0f;
}

template <class T>
__global__ void __launch_bounds__(kThreads) nadam_kernel(T* param, T* exp_avg, T* exp_avg_sq, const float* step,
                                                         const float* mu_product, const T* grad, int64_t n,
                                                         NadamOptions o) {
  const double t = next_step(step);
  const double bias_correction2 = 1 - power(o.beta2, t);
  const double mu = nadam_mu(o, t), mu_next = nadam_mu(o, t + 1);
  const double product = static_cast<double>(nadam_next_mu_product(mu_product, o, t));
  const double product_next = product * mu_next;
  const T grad_coef = T(-o.lr * (1.0 - mu) / (1.0 - product));
  const T exp_avg_coef = T((-o.lr * mu_next) / (1.0 - product_next));
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, o.decoupled_weight_decay);
  const T shrink = o.decoupled_weight_decay && o.weight_decay != 0 ? T(1 - o.lr * o.weight_decay) : T(1);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), w2 = T(1 - o.beta2), eps = T(o.eps), bc2 = T(bias_correction2);
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::nadam_update(i, param, exp_avg, exp_avg_sq, grad, effective, shrink, toward_grad, beta2, w2, eps, bc2,
                        grad_coef, exp_avg_coef);
}

template <class T>
__global__ void __launch_bounds__(kThreads) adadelta_kernel(T* param, T* square_avg, T* acc_delta, const T* grad,
                                                            int64_t n, AdadeltaOptions o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_lr = T(-o.lr), rho = T(o.rho), one_minus_rho = T(1 - o.rho), eps = T(o.eps);
  for (int64_t i = first_index(); i < n; i += grid_stride())
    optim::adadelta_update(i, param, square_avg, acc_delta, grad, effective, neg_lr, rho, one_minus_rho, eps);
}

void advance_step(cudaStream_t stream, float* step) {
  FASTNN_LAUNCH(advance_step_kernel)(dim3(1), dim3(1), 0, stream, step);
}

}  // namespace

// ---------------------------------------------------------------------------------- launchers

template <class T>
void sgd_step(cudaStream_t stream, T* param, T* momentum_buffer, bool first_step, const T* grad, int64_t n,
              const SgdOptions& o) {
  if (n == 0) return;
  if (!momentum_buffer)
    FASTNN_LAUNCH(sgd_kernel<T, false, false>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param,
                                               nullptr, grad, n, o);
  else if (first_step)
    FASTNN_LAUNCH(sgd_kernel<T, true, true>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param,
                                             momentum_buffer, grad, n, o);
  else
    FASTNN_LAUNCH(sgd_kernel<T, true, false>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param,
                                              momentum_buffer, grad, n, o);
}

template <class T>
void adagrad_step(cudaStream_t stream, T* param, T* sum, float* step, const T* grad, int64_t n,
                  const AdagradOptions& o) {
  if (n > 0)
    FASTNN_LAUNCH(adagrad_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, sum, step, grad,
                                     n, o);
  advance_step(stream, step);
}

template <class T>
void rmsprop_step(cudaStream_t stream, T* param, T* square_avg, T* grad_avg, T* momentum_buffer, float* step,
                  const T* grad, int64_t n, const RmspropOptions& o) {
  if (n > 0) {
    const dim3 grid = grid_stride_blocks(n, kThreads), block(kThreads);
    if (grad_avg && momentum_buffer)
      FASTNN_LAUNCH(rmsprop_kernel<T, true, true>)(grid, block, 0, stream, param, square_avg, grad_avg,
                                                   momentum_buffer, grad, n, o);
    else if (grad_avg)
      FASTNN_LAUNCH(rmsprop_kernel<T, true, false>)(grid, block, 0, stream, param, square_avg, grad_avg, nullptr, grad,
                                                    n, o);
    else if (momentum_buffer)
      FASTNN_LAUNCH(rmsprop_kernel<T, false, true>)(grid, block, 0, stream, param, square_avg, nullptr,
                                                    momentum_buffer, grad, n, o);
    else
      FASTNN_LAUNCH(rmsprop_kernel<T, false, false>)(grid, block, 0, stream, param, square_avg, nullptr, nullptr, grad,
                                                     n, o);
  }
  advance_step(stream, step);  // counted for the state, as PyTorch does; the update does not use it
}

template <class T>
void adam_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, float* step,
               const T* grad, int64_t n, const AdamOptions& o) {
  if (n > 0) {
    if (max_exp_avg_sq)
      FASTNN_LAUNCH(adam_kernel<T, true>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, exp_avg,
                                          exp_avg_sq, max_exp_avg_sq, step, grad, n, o);
    else
      FASTNN_LAUNCH(adam_kernel<T, false>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, exp_avg,
                                           exp_avg_sq, nullptr, step, grad, n, o);
  }
  advance_step(stream, step);
}

template <class T>
void adamax_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_inf, float* step, const T* grad, int64_t n,
                 const AdamaxOptions& o) {
  if (n > 0)
    FASTNN_LAUNCH(adamax_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, exp_avg, exp_inf,
                                    step, grad, n, o);
  advance_step(stream, step);
}

template <class T>
void nadam_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_avg_sq, float* step, float* mu_product,
                const T* grad, int64_t n, const NadamOptions& o) {
  if (n > 0)
    FASTNN_LAUNCH(nadam_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, exp_avg,
                                   exp_avg_sq, step, mu_product, grad, n, o);
  FASTNN_LAUNCH(nadam_advance_kernel)(dim3(1), dim3(1), 0, stream, step, mu_product, o);
}

template <class T>
void adadelta_step(cudaStream_t stream, T* param, T* square_avg, T* acc_delta, float* step, const T* grad, int64_t n,
                   const AdadeltaOptions& o) {
  if (n > 0)
    FASTNN_LAUNCH(adadelta_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, param, square_avg,
                                      acc_delta, grad, n, o);
  advance_step(stream, step);  // counted for the state, as PyTorch does; the update does not use it
}

#define FASTNN_INSTANTIATE(T)                                                                                     \
  template void sgd_step<T>(cudaStream_t, T*, T*, bool, const T*, int64_t, const SgdOptions&);                   \
  template void adagrad_step<T>(cudaStream_t, T*, T*, float*, const T*, int64_t, const AdagradOptions&);         \
  template void rmsprop_step<T>(cudaStream_t, T*, T*, T*, T*, float*, const T*, int64_t, const RmspropOptions&); \
  template void adam_step<T>(cudaStream_t, T*, T*, T*, T*, float*, const T*, int64_t, const AdamOptions&);       \
  template void adamax_step<T>(cudaStream_t, T*, T*, T*, float*, const T*, int64_t, const AdamaxOptions&);       \
  template void nadam_step<T>(cudaStream_t, T*, T*, T*, float*, float*, const T*, int64_t, const NadamOptions&); \
  template void adadelta_step<T>(cudaStream_t, T*, T*, T*, float*, const T*, int64_t, const AdadeltaOptions&);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cuda
