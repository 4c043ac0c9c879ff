// Fused optimizer updates: one pass over a parameter's n elements per step, updating the
// parameter and its state buffers in place with no temporaries.
//
// The arithmetic is PyTorch's single-tensor implementation (torch/optim/*.py, torch 2.x), the
// same operations in the same order, in the parameter's dtype (float32 or float64) with the
// scalar coefficients computed in double and then rounded to that dtype, as ATen does. The step
// count `step` is a float32 scalar buffer, like PyTorch's state["step"]; each kernel adds 1 to it
// first and uses the new value t. Notation: p parameter, g gradient (negated when maximize),
// lr learning rate, wd weight decay, lerp(a, b, w) = a + w (b - a) (PyTorch's lerp, which
// computes b - (b - a)(1 - w) when |w| >= 0.5). Every buffer is C-contiguous with n elements.
//
// SGD      if wd: g = g + wd p
//          if momentum: buf = g (first step) or buf = momentum buf + (1 - dampening) g
//                       g = g + momentum buf (nesterov) or g = buf
//          p = p - lr g
// Adagrad  t += 1; if wd: g = g + wd p; clr = lr / (1 + (t - 1) lr_decay)
//          sum = sum + g g; p = p - clr g / (sqrt(sum) + eps)
// RMSprop  t += 1; if wd: g = g + wd p; sq = alpha sq + (1 - alpha) g g
//          avg = sqrt(sq) + eps, or when centered: ga = lerp(ga, g, 1 - alpha),
//                                                  avg = sqrt(sq - ga ga) + eps
//          if momentum: buf = momentum buf + g / avg; p = p - lr buf
//          else:        p = p - lr g / avg
// Adam     t += 1; if wd: p = p (1 - lr wd) (decoupled, AdamW) or g = g + wd p (L2)
//          m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g g
//          if amsgrad: vmax = maximum(vmax, v), and vmax replaces v below
//          p = p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Adamax   t += 1; if wd: g = g + wd p; m = lerp(m, g, 1 - beta1)
//          u = maximum(beta2 u, |g| + eps); p = p - (lr / (1 - beta1^t)) m / u
// NAdam    t += 1; if wd: p = p (1 - lr wd) (decoupled) or g = g + wd p
//          mu = beta1 (1 - 0.5 * 0.96^(t psi)), mu' = beta1 (1 - 0.5 * 0.96^((t + 1) psi))
//          (psi = momentum_decay); mu_product = mu_product mu (a float32 scalar buffer)
//          m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g g
//          denom = sqrt(v / (1 - beta2^t)) + eps
//          p = p - lr (1 - mu) / (1 - mu_product) g / denom
//          p = p - lr mu' / (1 - mu_product mu') m / denom
// Adadelta t += 1; if wd: g = g + wd p; sq = rho sq + (1 - rho) g g
//          delta = sqrt(acc + eps) / sqrt(sq + eps) g; acc = rho acc + (1 - rho) delta delta
//          p = p - lr delta
//
// Elementwise, so the chunks parallel_for hands to threads give identical results for any
// thread count; the inner loops are `omp simd` loops over one chunk.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// param [n] in/out; momentum_buffer [n] in/out, nullptr when momentum == 0; its contents are
// ignored and overwritten when first_step; grad [n].
template <class T>
void sgd_step(T* param, T* momentum_buffer, bool first_step, const T* grad, int64_t n, const SgdOptions& o);

struct AdagradOptions {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
};
// param, sum [n] in/out; step [1] in/out; grad [n].
template <class T>
void adagrad_step(T* param, T* sum, float* step, const T* grad, int64_t n, const AdagradOptions& o);

struct RmspropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool maximize;
};
// param, square_avg [n] in/out; grad_avg [n] in/out when centered, else nullptr;
// momentum_buffer [n] in/out when momentum > 0, else nullptr; step [1] in/out; grad [n].
template <class T>
void rmsprop_step(T* param, T* square_avg, T* grad_avg, T* momentum_buffer, float* step, const T* grad, int64_t n,
                  const RmspropOptions& o);

struct AdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay, maximize;
};
// param, exp_avg, exp_avg_sq [n] in/out; max_exp_avg_sq [n] in/out when amsgrad, else nullptr;
// step [1] in/out; grad [n].
template <class T>
void adam_step(T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, float* step, const T* grad, int64_t n,
               const AdamOptions& o);

struct AdamaxOptions {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize;
};
// param, exp_avg, exp_inf [n] in/out; step [1] in/out; grad [n].
template <class T>
void adamax_step(T* param, T* exp_avg, T* exp_inf, float* step, const T* grad, int64_t n, const AdamaxOptions& o);

struct NadamOptions {
  double lr, beta1, beta2, eps, weight_decay, momentum_decay;
  bool decoupled_weight_decay, maximize;
};
// param, exp_avg, exp_avg_sq [n] in/out; step, mu_product [1] in/out; grad [n].
template <class T>
void nadam_step(T* param, T* exp_avg, T* exp_avg_sq, float* step, float* mu_product, const T* grad, int64_t n,
                const NadamOptions& o);

struct AdadeltaOptions {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
// param, square_avg, acc_delta [n] in/out; step [1] in/out; grad [n].
template <class T>
void adadelta_step(T* param, T* square_avg, T* acc_delta, float* step, const T* grad, int64_t n,
                   const AdadeltaOptions& o);

}  // namespace fastnn::cpu
