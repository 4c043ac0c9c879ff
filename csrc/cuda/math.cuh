// Math functions of float and double under one name each, so that a kernel template calls the
// single-precision function for float (expf, not exp promoted to double) on the device and under
// the emulator alike. They are CUDA's (nvcc) or libm's (emulator) accurate functions, never the
// fast-math intrinsics.
#pragma once
#include <cmath>

#include "cuda/launch.cuh"

namespace fastnn::cuda::math {

__device__ __forceinline__ float exp(float x) { return ::expf(x); }
__device__ __forceinline__ double exp(double x) { return ::exp(x); }
__device__ __forceinline__ float expm1(float x) { return ::expm1f(x); }
__device__ __forceinline__ double expm1(double x) { return ::expm1(x); }
__device__ __forceinline__ float log(float x) { return ::logf(x); }
__device__ __forceinline__ double log(double x) { return ::log(x); }
__device__ __forceinline__ float log1p(float x) { return ::log1pf(x); }
__device__ __forceinline__ double log1p(double x) { return ::log1p(x); }
__device__ __forceinline__ float tanh(float x) { return ::tanhf(x); }
__device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
__device__ __forceinline__ float erf(float x) { return ::erff(x); }
__device__ __forceinline__ double erf(double x) { return ::erf(x); }
__device__ __forceinline__ float sqrt(float x) { return ::sqrtf(x); }
__device__ __forceinline__ double sqrt(double x) { return ::sqrt(x); }
__device__ __forceinline__ float abs(float x) { return ::fabsf(x); }
__device__ __forceinline__ double abs(double x) { return ::fabs(x); }

// 1 / (1 + exp(-x)) for float and double: exp of -|x| never overflows; for x < 0, e / (1 + e)
// keeps the relative accuracy of tiny results.
template <class T>
__device__ __forceinline__ T sigmoid(T x) {
  const T e = exp(-abs(x));
  const T r = T(1) / (T(1) + e);
  return x < T(0) ? e * r : r;
}

// -inf of T (the start of a running maximum).
template <class T>
__device__ __forceinline__ T minus_infinity();
template <>
__device__ __forceinline__ float minus_infinity<float>() {
  return -INFINITY;
}
template <>
__device__ __forceinline__ double minus_infinity<double>() {
  return -double(INFINITY);
}

// Maximum that propagates NaN (fmax drops it; PyTorch's max keeps it).
template <class T>
__device__ __forceinline__ T max_nan(T a, T b) {
  return a != a || a > b ? a : b;
}

}  // namespace fastnn::cuda::math
