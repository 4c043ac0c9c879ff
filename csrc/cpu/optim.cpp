// Fused optimizer updates; the formulas are in optim.h. Buffers that an option turns off are
// nullptr, so each such option selects a separate loop (a template argument) instead of a branch
// inside the loop: the vectoriser may then load every pointer the loop body names. Inside the
// loops, both sides of a choice are computed and then selected: under the default
// -ftrapping-math the compiler may not speculate floating-point arithmetic out of a branch, and a
// branch stops vectorisation.
#include "cpu/optim.h"

#include <cmath>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

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

// PyTorch's lerp(from, to, weight) for a fixed weight: from + weight (to - from) when
// |weight| < 0.5, else to - (to - from)(1 - weight), the form whose rounding error is small. Both
// are base + (to - from) coef (x - y == x + (-y) exactly), so the loop body has no branch.
template <class T>
struct Lerp {
  T coef;
  bool from_start;
  explicit Lerp(T weight) : coef(std::abs(weight) < T(0.5) ? weight : -(T(1) - weight)),
                            from_start(std::abs(weight) < T(0.5)) {}
  T operator()(T from, T to) const { return (from_start ? from : to) + (to - from) * coef; }
};

// torch.maximum: NaN in either argument gives NaN.
template <class T>
inline T maximum(T a, T b) {
  return ((a > b) | (a != a)) ? a : b;
}

// The gradient term every optimizer starts from: -grad when maximizing, plus the L2 penalty.
template <class T>
struct EffectiveGrad {
  T sign, wd;
  bool l2;
  EffectiveGrad(bool maximize, double weight_decay, bool decoupled)
      : sign(maximize ? T(-1) : T(1)), wd(T(weight_decay)), l2(weight_decay != 0 && !decoupled) {}
  T operator()(T grad, T param) const {
    const T g = sign * grad, penalized = g + wd * param;
    return l2 ? penalized : g;
  }
};

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
  });
}

template <class T, bool kCentered, bool kMomentum>
void rmsprop_loop(T* param, T* square_avg, T* grad_avg, T* buf, const T* grad, int64_t n, const RmspropOptions& o) {
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const Lerp<T> toward_grad(T(1 - o.alpha));
  const T neg_lr = T(-o.lr), alpha = T(o.alpha), one_minus_alpha = T(1 - o.alpha), eps = T(o.eps),
          momentum = T(o.momentum);
  for_each_element(n, [=](int64_t i) {
    const T g = effective(grad[i], param[i]);
    const T sq = square_avg[i] * alpha + one_minus_alpha * g * g;
    square_avg[i] = sq;
    T avg;
    if constexpr (kCentered) {
      const T ga = toward_grad(grad_avg[i], g);
      grad_avg[i] = ga;
      avg = std::sqrt(sq + T(-1) * ga * ga) + eps;
    } else {
      avg = std::sqrt(sq) + eps;
    }
    if constexpr (kMomentum) {
      const T b = buf[i] * momentum + T(1) * g / avg;
      buf[i] = b;
      param[i] = param[i] + neg_lr * b;
    } else {
      param[i] = param[i] + neg_lr * g / avg;
    }
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
    param[i] = p + neg_step_size * m / (std::sqrt(v) / bias_correction2_sqrt + eps);
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
  for_each_element(n, [=](int64_t i) {
    const T g = effective(grad[i], param[i]);
    const T s = sum[i] + T(1) * g * g;
    sum[i] = s;
    param[i] = param[i] + neg_clr * g / (std::sqrt(s) + eps);
  });
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
    const T g = effective(grad[i], param[i]);
    const T m = toward_grad(exp_avg[i], g);
    exp_avg[i] = m;
    const T u = maximum(exp_inf[i] * beta2, std::abs(g) + eps);
    exp_inf[i] = u;
    param[i] = param[i] + neg_clr * m / u;
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
    const T p = param[i] * shrink;  // shrink is 1 (exact) without decoupled decay
    const T g = effective(grad[i], p);
    const T m = toward_grad(exp_avg[i], g);
    exp_avg[i] = m;
    const T v = exp_avg_sq[i] * beta2 + w2 * g * g;
    exp_avg_sq[i] = v;
    const T denom = std::sqrt(v / bc2) + eps;
    const T p1 = p + grad_coef * g / denom;
    param[i] = p1 + exp_avg_coef * m / denom;
  });
}

template <class T>
void adadelta_step(T* param, T* square_avg, T* acc_delta, float* step, const T* grad, int64_t n,
                   const AdadeltaOptions& o) {
  next_step(step);  // counted for the state, as PyTorch does; the update does not use it
  const EffectiveGrad<T> effective(o.maximize, o.weight_decay, false);
  const T neg_lr = T(-o.lr), rho = T(o.rho), one_minus_rho = T(1 - o.rho), eps = T(o.eps);
  for_each_element(n, [=](int64_t i) {
    const T g = effective(grad[i], param[i]);
    const T sq = square_avg[i] * rho + one_minus_rho * g * g;
    square_avg[i] = sq;
    const T delta = std::sqrt(acc_delta[i] + eps) / std::sqrt(sq + eps) * g;
    acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta;
    param[i] = param[i] + neg_lr * delta;
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
