// Activations on CUDA, forward and backward                   (contract: activation.h)
//
// Formulas (PyTorch's; the same table as cpu/activation.h):
//   relu        y = max(x, 0)                         dx = dy * (x > 0)          (relu'(0) = 0)
//   leaky_relu  y = x > 0 ? x : slope * x             dx = dy * (x > 0 ? 1 : slope)
//   elu         y = x > 0 ? x : alpha * expm1(x)      dx = dy * (x > 0 ? 1 : alpha * exp(x))
//   sigmoid     y = 1 / (1 + exp(-x))                 dx = dy * (1 - y) * y      (from y)
//   tanh        y = tanh(x)                           dx = dy * (1 - y) (1 + y)  (from y)
//   silu        y = x * sigmoid(x)                    dx = dy * s * (1 + x (1 - s)), s = sigmoid(x)
//   gelu        y = x/2 (1 + erf(x / sqrt 2))         dx = dy * (Phi(x) + x phi(x))
//   gelu_tanh   y = x/2 (1 + tanh(u)), u = k (x + 0.044715 x^3), k = sqrt(2/pi)
//               dx = dy * (1/2 (1 + t) + x/2 (1 - t)(1 + t) k (1 + 3 * 0.044715 x^2)), t = tanh(u)
//   softplus    y = beta x > threshold ? x : log1p(exp(beta x)) / beta
//               dx = dy * (beta x > threshold ? 1 : z / (z + 1)), z = exp(beta x)
// NaN behaves as in the CPU kernels: NaN x gives NaN y; relu, leaky_relu and elu pass grad_out
// through where x is NaN (their comparisons are false there), the others give NaN.
//
// Layouts: contiguous arrays of n elements; y may be x, dx may be dy or saved (each thread reads
// its element before writing it).
//
// Algorithm: one kernel per (op, dtype, direction), the op a template parameter so that the loop
// has no branch on it; 256 threads per block, one element per thread, and a grid-stride loop
// once n exceeds kMaxGridBlocks blocks. Each element is computed alone: results do not depend on the
// launch shape or the schedule.
#include "cuda/activation.h"

#include "cuda/launch.cuh"
#include "cuda/math.cuh"

namespace fastnn::cuda {

namespace {

using cpu::ActOp;
using cpu::ActParams;

constexpr int kThreads = 256;

using math::sigmoid;

template <class T>
__device__ __forceinline__ T gelu_tanh_inner(T x) {
  return T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
}

template <ActOp op, class T>
__device__ __forceinline__ T forward_value(T x, const ActParams<T>& c) {
  if constexpr (op == ActOp::relu) return x > T(0) || x != x ? x : T(0);
  if constexpr (op == ActOp::leaky_relu) return x > T(0) ? x : x * c.negative_slope;
  if constexpr (op == ActOp::elu) return x > T(0) ? x : c.alpha * math::expm1(x);
  if constexpr (op == ActOp::sigmoid) return sigmoid(x);
  if constexpr (op == ActOp::tanh) return math::tanh(x);
  if constexpr (op == ActOp::silu) return x * sigmoid(x);
  if constexpr (op == ActOp::gelu) return T(0.5) * x * (T(1) + math::erf(x * T(0.7071067811865476)));
  if constexpr (op == ActOp::gelu_tanh) return T(0.5) * x * (T(1) + math::tanh(gelu_tanh_inner(x)));
  if constexpr (op == ActOp::softplus) {
    const T bx = x * c.beta;
    return bx > c.threshold ? x : math::log1p(math::exp(bx)) / c.beta;
  }
}

// g: the incoming gradient, s: the saved value (y for sigmoid and tanh, x for the others).
template <ActOp op, class T>
__device__ __forceinline__ T backward_value(T g, T s, const ActParams<T>& c) {
  if constexpr (op == ActOp::relu) return s <= T(0) ? T(0) : g;
  if constexpr (op == ActOp::leaky_relu) return s > T(0) ? g : g * c.negative_slope;
  if constexpr (op == ActOp::elu) return s <= T(0) ? g * c.alpha * math::exp(s) : g;
  if constexpr (op == ActOp::sigmoid) return g * (T(1) - s) * s;
  // (1 - y)(1 + y) rather than 1 - y^2: 1 - y is exact near |y| = 1, where 1 - y^2 cancels
  if constexpr (op == ActOp::tanh) return g * ((T(1) - s) * (T(1) + s));
  if constexpr (op == ActOp::silu) {
    const T sig = sigmoid(s);
    return g * sig * (s * (T(1) - sig) + T(1));
  }
  if constexpr (op == ActOp::gelu) {
    const T cdf = T(0.5) * (T(1) + math::erf(s * T(0.7071067811865476)));
    const T pdf = math::exp(T(-0.5) * s * s) * T(0.3989422804014327);
    return g * (s * pdf + cdf);
  }
  if constexpr (op == ActOp::gelu_tanh) {
    const T t = math::tanh(gelu_tanh_inner(s));
    // past |x| = 1e4, 1 - t^2 is exactly 0: the clamp keeps x^2 from overflowing into 0 * inf
    const T sc = s > T(1e4) ? T(1e4) : (s < T(-1e4) ? T(-1e4) : s);
    const T inner = T(0.7978845608028654) * (T(3 * 0.044715) * sc * sc + T(1));
    return g * (T(0.5) * (T(1) + t) + T(0.5) * sc * ((T(1) - t) * (T(1) + t)) * inner);
  }
  if constexpr (op == ActOp::softplus) {
    const T bx = s * c.beta;
    const T z = math::exp(bx);
    return bx > c.threshold ? g : g * z / (z + T(1));
  }
}

template <ActOp op, class T>
__global__ void __launch_bounds__(kThreads) activation_forward_kernel(T* y, const T* x, int64_t n, ActParams<T> c) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = forward_value<op>(x[i], c);
}

template <ActOp op, class T>
__global__ void __launch_bounds__(kThreads)
    activation_backward_kernel(T* dx, const T* dy, const T* saved, int64_t n, ActParams<T> c) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = backward_value<op>(dy[i], saved[i], c);
}

// Calls body(std::integral_constant-like tag) with the op as a compile-time value.
template <ActOp op>
struct OpTag {
  static constexpr ActOp value = op;
};

template <class F>
void with_op(ActOp op, F&& body) {
  switch (op) {
    case ActOp::relu: return body(OpTag<ActOp::relu>{});
    case ActOp::leaky_relu: return body(OpTag<ActOp::leaky_relu>{});
    case ActOp::elu: return body(OpTag<ActOp::elu>{});
    case ActOp::sigmoid: return body(OpTag<ActOp::sigmoid>{});
    case ActOp::tanh: return body(OpTag<ActOp::tanh>{});
    case ActOp::silu: return body(OpTag<ActOp::silu>{});
    case ActOp::gelu: return body(OpTag<ActOp::gelu>{});
    case ActOp::gelu_tanh: return body(OpTag<ActOp::gelu_tanh>{});
    case ActOp::softplus: return body(OpTag<ActOp::softplus>{});
  }
}

}  // namespace

template <class T>
void activation_forward(cudaStream_t stream, ActOp op, T* y, const T* x, int64_t n, const ActParams<T>& params) {
  if (n == 0) return;
  with_op(op, [&](auto tag) {
    FASTNN_LAUNCH(activation_forward_kernel<decltype(tag)::value, T>)(grid_stride_blocks(n, kThreads), dim3(kThreads),
                                                                      0, stream, y, x, n, params);
  });
}

template <class T>
void activation_backward(cudaStream_t stream, ActOp op, T* dx, const T* dy, const T* saved, int64_t n,
                         const ActParams<T>& params) {
  if (n == 0) return;
  with_op(op, [&](auto tag) {
    FASTNN_LAUNCH(activation_backward_kernel<decltype(tag)::value, T>)(grid_stride_blocks(n, kThreads), dim3(kThreads),
                                                                       0, stream, dx, dy, saved, n, params);
  });
}

template void activation_forward<float>(cudaStream_t, ActOp, float*, const float*, int64_t, const ActParams<float>&);
template void activation_forward<double>(cudaStream_t, ActOp, double*, const double*, int64_t,
                                         const ActParams<double>&);
template void activation_backward<float>(cudaStream_t, ActOp, float*, const float*, const float*, int64_t,
                                         const ActParams<float>&);
template void activation_backward<double>(cudaStream_t, ActOp, double*, const double*, const double*, int64_t,
                                          const ActParams<double>&);

}  // namespace fastnn::cuda
