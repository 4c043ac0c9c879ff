// The per-element arithmetic of the fused optimizer updates, shared by the CPU loops
// (cpu/optim.cpp) and the CUDA kernels (cuda/optim.cu, also built through the emulator), so that
// both run the same operations in the same order. Host and device code (__host__ __device__
// under nvcc).
//
// Each *_update(i, ...) updates element i of the parameter and its state buffers from grad[i],
// given coefficients the caller computed once per step in the parameter's dtype T (notation and
// PyTorch's full formulas: cpu/optim.h; neg_* are the negated learning rates):
//   g        = effective(grad, p): sign grad (+ wd p for L2 decay)
//   SGD      buf = g (first) or buf momentum + keep g; g = g + momentum buf (nesterov) or buf;
//            p = p + neg_lr g
//   Adagrad  sum = sum + 1 g g; p = p + neg_clr g / (sqrt(sum) + eps)
//   RMSprop  sq = sq alpha + one_minus_alpha g g; avg = sqrt(sq) + eps, or when centered
//            ga = lerp(ga, g), avg = sqrt(sq + (-1) ga ga) + eps; with momentum
//            buf = buf momentum + 1 g / avg, p = p + neg_lr buf, else p = p + neg_lr g / avg
//   Adam     p = p shrink; m = lerp(m, g); v = v beta2 + w2 g g (amsgrad: vmax = maximum(vmax, v)
//            replaces v); p = p + neg_step_size m / (sqrt(v) / bias_correction2_sqrt + eps)
//   Adamax   m = lerp(m, g); u = maximum(u beta2, |g| + eps); p = p + neg_clr m / u
//   NAdam    p = p shrink; m = lerp(m, g); v = v beta2 + w2 g g; denom = sqrt(v / bc2) + eps;
//            p = p + grad_coef g / denom; p = p + exp_avg_coef m / denom
//   Adadelta sq = sq rho + one_minus_rho g g; delta = sqrt(acc + eps) / sqrt(sq + eps) g;
//            acc = acc rho + one_minus_rho delta delta; p = p + neg_lr delta
// Where an option switches a computation, both sides are computed and then selected (no branch
// in the CPU's `omp simd` loops); options that switch a buffer on or off are template
// parameters, and that buffer's pointer may be nullptr when it is off.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace fastnn::optim {

// sqrt and |x| in the argument's precision (sqrtf for float on the device too); both are exact
// or correctly rounded, so every spelling gives the same bits.
FASTNN_HOST_DEVICE inline float root(float x) { return ::sqrtf(x); }
FASTNN_HOST_DEVICE inline double root(double x) { return ::sqrt(x); }
FASTNN_HOST_DEVICE inline float magnitude(float x) { return ::fabsf(x); }
FASTNN_HOST_DEVICE inline double magnitude(double x) { return ::fabs(x); }

// PyTorch's lerp(from, to, weight) for a fixed weight: from + weight (to - from) when
// |weight| < 0.5, else to - (to - from)(1 - weight), the form whose rounding error is small. Both
// are base + (to - from) coef (x - y == x + (-y) exactly), so there is no branch on the data.
template <class T>
struct Lerp {
  T coef;
  bool from_start;
  FASTNN_HOST_DEVICE explicit Lerp(T weight)
      : coef(magnitude(weight) < T(0.5) ? weight : -(T(1) - weight)), from_start(magnitude(weight) < T(0.5)) {}
  FASTNN_HOST_DEVICE T operator()(T from, T to) const { return (from_start ? from : to) + (to - from) * coef; }
};

// torch.maximum: NaN in either argument gives NaN.
template <class T>
FASTNN_HOST_DEVICE inline T maximum(T a, T b) {
  return ((a > b) | (a != a)) ? a : b;
}

// The gradient term every optimizer starts from: -grad when maximizing, plus the L2 penalty
// wd * param unless the decay is decoupled.
template <class T>
struct EffectiveGrad {
  T sign, wd;
  bool l2;
  FASTNN_HOST_DEVICE EffectiveGrad(bool maximize, double weight_decay, bool decoupled)
      : sign(maximize ? T(-1) : T(1)), wd(T(weight_decay)), l2(weight_decay != 0 && !decoupled) {}
  FASTNN_HOST_DEVICE T operator()(T grad, T param) const {
    const T g = sign * grad, penalized = g + wd * param;
    return l2 ? penalized : g;
  }
};

template <class T, bool kMomentum, bool kFirst>
FASTNN_HOST_DEVICE inline void sgd_update(int64_t i, T* param, T* buf, const T* grad, const EffectiveGrad<T>& effective,
                                          T neg_lr, T momentum, T keep, bool nesterov) {
  T g = effective(grad[i], param[i]);
  if constexpr (kMomentum) {
    T b;
    if constexpr (kFirst) b = g;
    else b = buf[i] * momentum + keep * g;
    buf[i] = b;
    const T nesterov_g = g + momentum * b;
    g = nesterov ? nesterov_g : b;
  }
  param[i] = param[i] + neg_lr * g;
}

template <class T>
FASTNN_HOST_DEVICE inline void adagrad_update(int64_t i, T* param, T* sum, const T* grad,
                                              const EffectiveGrad<T>& effective, T neg_clr, T eps) {
  const T g = effective(grad[i], param[i]);
  const T s = sum[i] + T(1) * g * g;
  sum[i] = s;
  param[i] = param[i] + neg_clr * g / (root(s) + eps);
}

template <class T, bool kCentered, bool kMomentum>
FASTNN_HOST_DEVICE inline void rmsprop_update(int64_t i, T* param, T* square_avg, T* grad_avg, T* buf, const T* grad,
                                              const EffectiveGrad<T>& effective, const Lerp<T>& toward_grad, T neg_lr,
                                              T alpha, T one_minus_alpha, T eps, T momentum) {
  const T g = effective(grad[i], param[i]);
  const T sq = square_avg[i] * alpha + one_minus_alpha * g * g;
  square_avg[i] = sq;
  T avg;
  if constexpr (kCentered) {
    const T ga = toward_grad(grad_avg[i], g);
    grad_avg[i] = ga;
    avg = root(sq + T(-1) * ga * ga) + eps;
  } else {
    avg = root(sq) + eps;
  }
  if constexpr (kMomentum) {
    const T b = buf[i] * momentum + T(1) * g / avg;
    buf[i] = b;
    param[i] = param[i] + neg_lr * b;
  } else {
    param[i] = param[i] + neg_lr * g / avg;
  }
}

template <class T, bool kAmsgrad>
FASTNN_HOST_DEVICE inline void adam_update(int64_t i, T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                                           const T* grad, const EffectiveGrad<T>& effective, T shrink,
                                           const Lerp<T>& toward_grad, T beta2, T w2, T eps, T neg_step_size,
                                           T bias_correction2_sqrt) {
  const T p = param[i] * shrink;  // shrink is 1 (exact) without decoupled decay
  const T g = effective(grad[i], p);
  const T m = toward_grad(exp_avg[i], g);
  exp_avg[i] = m;
  T v = exp_avg_sq[i] * beta2 + w2 * g * g;
  exp_avg_sq[i] = v;
  if constexpr (kAmsgrad) {
    v = maximum(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = v;
  }
  param[i] = p + neg_step_size * m / (root(v) / bias_correction2_sqrt + eps);
}

template <class T>
FASTNN_HOST_DEVICE inline void adamax_update(int64_t i, T* param, T* exp_avg, T* exp_inf, const T* grad,
                                             const EffectiveGrad<T>& effective, const Lerp<T>& toward_grad, T beta2,
                                             T eps, T neg_clr) {
  const T g = effective(grad[i], param[i]);
  const T m = toward_grad(exp_avg[i], g);
  exp_avg[i] = m;
  const T u = maximum(exp_inf[i] * beta2, magnitude(g) + eps);
  exp_inf[i] = u;
  param[i] = param[i] + neg_clr * m / u;
}

template <class T>
FASTNN_HOST_DEVICE inline void nadam_update(int64_t i, T* param, T* exp_avg, T* exp_avg_sq, const T* grad,
                                            const EffectiveGrad<T>& effective, T shrink, const Lerp<T>& toward_grad,
                                            T beta2, T w2, T eps, T bc2, T grad_coef, T exp_avg_coef) {
  const T p = param[i] * shrink;  // shrink is 1 (exact) without decoupled decay
  const T g = effective(grad[i], p);
  const T m = toward_grad(exp_avg[i], g);
  exp_avg[i] = m;
  const T v = exp_avg_sq[i] * beta2 + w2 * g * g;
  exp_avg_sq[i] = v;
  const T denom = root(v / bc2) + eps;
  const T p1 = p + grad_coef * g / denom;
  param[i] = p1 + exp_avg_coef * m / denom;
}

template <class T>
FASTNN_HOST_DEVICE inline void adadelta_update(int64_t i, T* param, T* square_avg, T* acc_delta, const T* grad,
                                               const EffectiveGrad<T>& effective, T neg_lr, T rho, T one_minus_rho,
                                               T eps) {
  const T g = effective(grad[i], param[i]);
  const T sq = square_avg[i] * rho + one_minus_rho * g * g;
  square_avg[i] = sq;
  const T delta = root(acc_delta[i] + eps) / root(sq + eps) * g;
  acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta;
  param[i] = param[i] + neg_lr * delta;
}

}  // namespace fastnn::optim
