// Portable activation and softmax loops: float32 in GCC vector extensions (SSE2 on x86-64, NEON
// on ARM) with the polynomial math of vec_math.inc; float64 one element at a time with libm,
// which is what gradient checks want. Also the dispatch from a SIMD level to its table.
#include <cstring>

#include "cpu/simd/pointwise_kernels.h"
#include "cpu/simd/rnn_gate_kernels.h"

namespace fastnn::cpu {

namespace generic {
namespace {

#include "cpu/simd/vec_generic.inc"

// One double at a time; the math comes from libm through the VMath specialisation below.
struct ScalarF64 {
  using T = double;
  using R = double;
  using M = bool;
  static constexpr int width = 1;
  static inline R zero() { return 0.0; }
  static inline R set1(T x) { return x; }
  static inline R load(const T* p) { return *p; }
  static inline void store(T* p, R v) { *p = v; }
  static inline R load_n(const T* p, int, T) { return *p; }  // width 1: never a partial vector
  static inline void store_n(T* p, R v, int) { *p = v; }
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R mul(R a, R b) { return a * b; }
  static inline R div(R a, R b) { return a / b; }
  static inline R fma(R a, R b, R c) { return a * b + c; }
  static inline R min(R a, R b) { return a < b ? a : b; }
  static inline R max(R a, R b) { return a > b ? a : b; }
  static inline M lt(R a, R b) { return a < b; }
  static inline M le(R a, R b) { return a <= b; }
  static inline M gt(R a, R b) { return a > b; }
  static inline R select(M m, R a, R b) { return m ? a : b; }
  static inline T reduce_add(R v) { return v; }
  static inline T reduce_max(R v) { return v; }
};

#include "cpu/simd/vec_math.inc"

template <>
struct VMath<ScalarF64> {
  static inline double exp(double x) { return __builtin_exp(x); }
  static inline double expm1(double x) { return __builtin_expm1(x); }
  static inline double log(double x) { return __builtin_log(x); }
  static inline double log1p(double x) { return __builtin_log1p(x); }
  static inline double sigmoid(double x) {
    const double e = __builtin_exp(-__builtin_fabs(x)), r = 1.0 / (1.0 + e);
    return x < 0 ? e * r : r;
  }
  static inline double tanh(double x) { return __builtin_tanh(x); }
  static inline double erf(double x) { return __builtin_erf(x); }
};

#include "cpu/simd/pointwise_impl.inc"
#include "cpu/simd/rnn_gates_impl.inc"

}  // namespace

constexpr PointwiseKernels<float> pointwise_f32 = Pointwise<VecF32>::table();
constexpr RnnGateKernels<float> rnn_gates_f32 = RnnGates<VecF32>::table();
constexpr PointwiseKernels<double> pointwise_f64 = Pointwise<ScalarF64>::table();
constexpr RnnGateKernels<double> rnn_gates_f64 = RnnGates<ScalarF64>::table();

}  // namespace generic

const PointwiseKernels<float>& pointwise_kernels(SimdLevel level, float*) {
#if defined(FASTNN_HAVE_X86_SIMD)
  if (level == SimdLevel::avx512) return avx512::pointwise_f32;
  if (level == SimdLevel::avx2) return avx2::pointwise_f32;
#endif
  return generic::pointwise_f32;
}

const PointwiseKernels<double>& pointwise_kernels(SimdLevel, double*) { return generic::pointwise_f64; }

}  // namespace fastnn::cpu
