// What each SIMD level provides to the activation and softmax drivers (cpu/activation.cpp,
// cpu/softmax_loss.cpp): single-threaded loops over contiguous memory, for float and double.
// The float tables come from pointwise_{generic,avx2,avx512}.cpp; double always runs the
// generic table (scalar libm: double is for gradient checks, where accuracy matters, not speed).
//
// Every element goes through the same vector code, the last partial vector through masked
// loads and stores, so a result never depends on where a thread's chunk starts.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"
#include "cpu/activation.h"

namespace fastnn::cpu {

template <class T>
struct PointwiseKernels {
  void (*act_forward)(ActOp op, T* y, const T* x, int64_t n, const ActParams<T>& params);
  void (*act_backward)(ActOp op, T* dx, const T* dy, const T* saved, int64_t n, const ActParams<T>& params);
  // (log_)softmax of `rows` contiguous rows of length dim.
  void (*softmax_rows)(T* y, const T* x, int64_t rows, int64_t dim, bool log);
  // (log_)softmax along a strided axis: lane l of x[d * stride + l], d < dim, for l < lanes.
  void (*softmax_lanes)(T* y, const T* x, int64_t dim, int64_t stride, int64_t lanes, bool log);
  // dx from dy and the saved output y, same two layouts:
  //   softmax: dx = y (dy - sum(dy y));  log_softmax: dx = dy - exp(y) sum(dy).
  void (*softmax_backward_rows)(T* dx, const T* dy, const T* y, int64_t rows, int64_t dim, bool log);
  void (*softmax_backward_lanes)(T* dx, const T* dy, const T* y, int64_t dim, int64_t stride, int64_t lanes,
                                 bool log);
  // y = a * exp(x), n elements (the softmax part of the cross-entropy gradient).
  void (*scaled_exp)(T* y, const T* x, int64_t n, T a);
};

const PointwiseKernels<float>& pointwise_kernels(SimdLevel level, float*);
const PointwiseKernels<double>& pointwise_kernels(SimdLevel level, double*);

// One table per level, each a constexpr object in its own translation unit (see gemm_microkernels.h).
namespace generic {
extern const PointwiseKernels<float> pointwise_f32;
extern const PointwiseKernels<double> pointwise_f64;
}  // namespace generic
namespace avx2 {
extern const PointwiseKernels<float> pointwise_f32;
}  // namespace avx2
namespace avx512 {
extern const PointwiseKernels<float> pointwise_f32;
}  // namespace avx512

}  // namespace fastnn::cpu
