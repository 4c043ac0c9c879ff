// Fused optimizer updates; the formulas are in optim.h, the per-element arithmetic (shared with
// the CUDA kernels) in optim_update.h. Buffers that an option turns off are nullptr, so each such
// option selects a separate loop (a template argument) instead of a branch inside the loop: the
// vectoriser may then load every pointer the loop body names. Inside the loops, both sides of a
// choice are computed and then selected: under the default -ftrapping-math the compiler may not
// speculate floating-point arithmetic out of a branch, and a branch stops vectorisation.
#include "cpu/optim.h"

#include <cmath>

#include "core/parallel.h"
#include "cpu/optim_update.h"

namespace fastnn::cpu {

namespace {

using optim::EffectiveGrad;
using optim::Lerp;

// Below this many elements per thread, starting a thread costs more than it saves.
constexpr int64_t kMinChunk = 1 << 14;

// Runs body(i) for every i in [0, n): contiguous chunks on threads, a SIMD loop in each chunk.
template <class Body>
void for_each_element(int64_t n, const Body& body) {
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

// The step count after this step (PyTorch keeps it in a float32 tensor).
inline double next_step(float* step) {
  *step += 1.0f;
  return *step;
}

template <class T, bool kMomentum, bool kFirst>
void sgd_loop(T* param, T* buf, const T* grad, int64_t n, const SgdOptions& o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_lr = T(-o.lr), momentum = T(o.momentum), keep = T(1 - o.dampening);
  const bool nesterov = o.nesterov;
  for_each_element(n, [=](int64_t i) {
    optim::sgd_update<T, kMomentum, kFirst>(i, param, buf, grad, effective, neg_lr, momentum, keep, nesterov);
  });
}

template <class T, bool kCentered, bool kMomentum>
void rmsprop_loop(T* param, T* square_avg, T* grad_avg, T* buf, const T* grad, int64_t n, const RmspropOptions& o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const Lerp<T> toward_grad(T(1 - o.alpha));
  const T neg_lr = T(-o.lr), alpha = T(o.alpha), one_minus_alpha = T(1 - o.alpha), eps = T(o.eps),
          momentum = T(o.momentum);
  for_each_element(n, [=](int64_t i) {
    optim::rmsprop_update<T, kCentered, kMomentum>(i, param, square_avg, grad_avg, buf, grad, effective, toward_grad,
                                                   neg_lr, alpha, one_minus_alpha, eps, momentum);
  });
}

template <class T, bool kAmsgrad>
void adam_loop(T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, double t, const T* grad, int64_t n,
               const AdamOptions& o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, o.decoupled_weight_decay);
  const T shrink = o.decoupled_weight_decay && o.weight_decay != 0 ? T(1 - o.lr * o.weight_decay) : T(1);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), w2 = T(1 - o.beta2), eps = T(o.eps);
  const double bias_correction1 = 1 - std::pow(o.beta1, t), bias_correction2 = 1 - std::pow(o.beta2, t);
  const T neg_step_size = T(-(o.lr / bias_correction1));
  const T bias_correction2_sqrt = T(std::pow(bias_correction2, 0.5));
  for_each_element(n, [=](int64_t i) {
    optim::adam_update<T, kAmsgrad>(i, param, exp_avg, exp_avg_sq, max_exp_avg_sq, grad, effective, shrink, toward_grad,
                                    beta2, w2, eps, neg_step_size, bias_correction2_sqrt);
  });
}

}  // namespace

template <class T>
void sgd_step(T* param, T* momentum_buffer, bool first_step, const T* grad, int64_t n, const SgdOptions& o) {
  if (!momentum_buffer) sgd_loop<T, false, false>(param, nullptr, grad, n, o);
  else if (first_step) sgd_loop<T, true, true>(param, momentum_buffer, grad, n, o);
  else sgd_loop<T, true, false>(param, momentum_buffer, grad, n, o);
}

template <class T>
void adagrad_step(T* param, T* sum, float* step, const T* grad, int64_t n, const AdagradOptions& o) {
  const double t = next_step(step);
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_clr = T(-(o.lr / (1 + (t - 1) * o.lr_decay))), eps = T(o.eps);
  for_each_element(n, [=](int64_t i) { optim::adagrad_update(i, param, sum, grad, effective, neg_clr, eps); });
}

template <class T>
void rmsprop_step(T* param, T* square_avg, T* grad_avg, T* momentum_buffer, float* step, const T* grad, int64_t n,
                  const RmspropOptions& o) {
  next_step(step);  // counted for the state, as PyTorch does; the update does not use it
  if (grad_avg && momentum_buffer)
    rmsprop_loop<T, true, true>(param, square_avg, grad_avg, momentum_buffer, grad, n, o);
  else if (grad_avg) rmsprop_loop<T, true, false>(param, square_avg, grad_avg, nullptr, grad, n, o);
  else if (momentum_buffer) rmsprop_loop<T, false, true>(param, square_avg, nullptr, momentum_buffer, grad, n, o);
  else rmsprop_loop<T, false, false>(param, square_avg, nullptr, nullptr, grad, n, o);
}

template <class T>
void adam_step(T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, float* step, const T* grad, int64_t n,
               const AdamOptions& o) {
  const double t = next_step(step);
  if (max_exp_avg_sq) adam_loop<T, true>(param, exp_avg, exp_avg_sq, max_exp_avg_sq, t, grad, n, o);
  else adam_loop<T, false>(param, exp_avg, exp_avg_sq, nullptr, t, grad, n, o);
}

template <class T>
void adamax_step(T* param, T* exp_avg, T* exp_inf, float* step, const T* grad, int64_t n, const AdamaxOptions& o) {
  const double t = next_step(step);
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), eps = T(o.eps);
  const T neg_clr = T(-(o.lr / (1 - std::pow(o.beta1, t))));
  for_each_element(n, [=](int64_t i) {
    optim::adamax_update(i, param, exp_avg, exp_inf, grad, effective, toward_grad, beta2, eps, neg_clr);
  });
}

template <class T>
void nadam_step(T* param, T* exp_avg, T* exp_avg_sq, float* step, float* mu_product, const T* grad, int64_t n,
                const NadamOptions& o) {
  const double t = next_step(step);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
  const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
  *mu_product = *mu_product * static_cast<float>(mu);  // a float32 tensor times a scalar, as in PyTorch
  const double mu_product_next = static_cast<double>(*mu_product) * mu_next;
  const T grad_coef = T(-o.lr * (1.0 - mu) / (1.0 - static_cast<double>(*mu_product)));
  const T exp_avg_coef = T((-o.lr * mu_next) / (1.0 - mu_product_next));

  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, o.decoupled_weight_decay);
  const T shrink = o.decoupled_weight_decay && o.weight_decay != 0 ? T(1 - o.lr * o.weight_decay) : T(1);
  const Lerp<T> toward_grad(T(1 - o.beta1));
  const T beta2 = T(o.beta2), w2 = T(1 - o.beta2), eps = T(o.eps), bc2 = T(bias_correction2);
  for_each_element(n, [=](int64_t i) {
    optim::nadam_update(i, param, exp_avg, exp_avg_sq, grad, effective, shrink, toward_grad, beta2, w2, eps, bc2,
                        grad_coef, exp_avg_coef);
  });
}

template <class T>
void adadelta_step(T* param, T* square_avg, T* acc_delta, float* step, const T* grad, int64_t n,
                   const AdadeltaOptions& o) {
  next_step(step);  // counted for the state, as PyTorch does; the update does not use it
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_lr = T(-o.lr), rho = T(o.rho), one_minus_rho = T(1 - o.rho), eps = T(o.eps);
  for_each_element(n, [=](int64_t i) {
    optim::adadelta_update(i, param, square_avg, acc_delta, grad, effective, neg_lr, rho, one_minus_rho, eps);
  });
}

#define FASTNN_INSTANTIATE_OPTIM(T)                                                                             \
  template void sgd_step<T>(T*, T*, bool, const T*, int64_t, const SgdOptions&);                              \
  template void adagrad_step<T>(T*, T*, float*, const T*, int64_t, const AdagradOptions&);                    \
  template void rmsprop_step<T>(T*, T*, T*, T*, float*, const T*, int64_t, const RmspropOptions&);            \
  template void adam_step<T>(T*, T*, T*, T*, float*, const T*, int64_t, const AdamOptions&);                  \
  template void adamax_step<T>(T*, T*, T*, float*, const T*, int64_t, const AdamaxOptions&);                  \
  template void nadam_step<T>(T*, T*, T*, float*, float*, const T*, int64_t, const NadamOptions&);            \
  template void adadelta_step<T>(T*, T*, T*, float*, const T*, int64_t, const AdadeltaOptions&);

FASTNN_INSTANTIATE_OPTIM(float)
FASTNN_INSTANTIATE_OPTIM(double)

}  // namespace fastnn::cpu
