// Elementwise activations and their gradients, with PyTorch's definitions:
//
//   relu        y = max(x, 0)                         dx = dy * (x > 0)          (relu'(0) = 0)
//   leaky_relu  y = x > 0 ? x : slope * x             dx = dy * (x > 0 ? 1 : slope)
//   elu         y = x > 0 ? x : alpha * expm1(x)      dx = dy * (x > 0 ? 1 : alpha * exp(x))
//   sigmoid     y = 1 / (1 + exp(-x))                 dx = dy * (1 - y) * y      (from y)
//   tanh        y = tanh(x)                           dx = dy * (1 - y) (1 + y)  (from y)
//   silu        y = x * sigmoid(x)                    dx = dy * s * (1 + x (1 - s)), s = sigmoid(x)
//   gelu        y = x/2 (1 + erf(x / sqrt 2))         dx = dy * (Phi(x) + x phi(x))
//   gelu_tanh   y = x/2 (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi)
//   softplus    y = beta x > threshold ? x : log1p(exp(beta x)) / beta
//               dx = dy * (beta x > threshold ? 1 : z / (z + 1)), z = exp(beta x)
//
// NaN in x gives NaN in y and dx. Arrays are contiguous, n elements; dx may be dy and y may be
// x (in place). The backward kernel reads `saved`: y for sigmoid and tanh, x for the others.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

enum class ActOp { relu, leaky_relu, elu, sigmoid, tanh, silu, gelu, gelu_tanh, softplus };

template <class T>
struct ActParams {
  T negative_slope = T(0.01);  // leaky_relu
  T alpha = 1;                 // elu
  T beta = 1, threshold = 20;  // softplus
};

// True when activation_backward takes the forward output y rather than the input x.
inline bool activation_backward_uses_output(ActOp op) { return op == ActOp::sigmoid || op == ActOp::tanh; }

template <class T>
void activation_forward(ActOp op, T* y, const T* x, int64_t n, const ActParams<T>& params);

template <class T>
void activation_backward(ActOp op, T* dx, const T* dy, const T* saved, int64_t n, const ActParams<T>& params);

}  // namespace fastnn::cpu
