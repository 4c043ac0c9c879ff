// What each SIMD level provides to batch normalisation (cpu/norm.cpp): the passes over one
// channel, single-threaded. A channel is n rows of s contiguous values, row r at x + r * row.
//
// Statistics are float64 in 8 lanes, acc[8]: element i of a row adds to lane i % 8, every lane
// in the order of the elements (rows in order, then i), as the scalar loop the callers used
// before; the callers combine the lanes in one fixed order. The sums do not depend on the level
// but for the rounding of the squared deviations and dot products (FMA where the level has it),
// and never on where a thread's channels start. The float tables come from batch_norm_{generic,avx2,avx512}.cpp;
// double runs the generic table.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace fastnn::cpu {

template <class T>
struct BatchNormKernels {
  static constexpr int lanes = 8;
  // acc[i % 8] += x[r][i].
  void (*sum)(double* acc, const T* x, int64_t n, int64_t s, int64_t row);
  // acc[i % 8] += (x[r][i] - mean)^2.
  void (*squared_deviations)(double* acc, const T* x, int64_t n, int64_t s, int64_t row, double mean);
  // sum_dy[i % 8] += dy[r][i], dot[i % 8] += (x[r][i] - mean) dy[r][i] (x and dy: the same layout).
  void (*sum_and_dot)(double* sum_dy, double* dot, const T* dy, const T* x, int64_t n, int64_t s, int64_t row,
                      double mean);
  // y[r][i] = x[r][i] a + b (y: the same layout as x).
  void (*affine)(T* y, const T* x, int64_t n, int64_t s, int64_t row, T a, T b);
  // dx[r][i] = dy[r][i] a + x[r][i] b + d.
  void (*affine_backward)(T* dx, const T* dy, const T* x, int64_t n, int64_t s, int64_t row, T a, T b, T d);
};

const BatchNormKernels<float>& batch_norm_kernels(SimdLevel level, float*);
const BatchNormKernels<double>& batch_norm_kernels(SimdLevel level, double*);

namespace generic {
extern const BatchNormKernels<float> batch_norm_f32;
extern const BatchNormKernels<double> batch_norm_f64;
}  // namespace generic
namespace avx2 {
extern const BatchNormKernels<float> batch_norm_f32;
}  // namespace avx2
namespace avx512 {
extern const BatchNormKernels<float> batch_norm_f32;
}  // namespace avx512

}  // namespace fastnn::cpu
