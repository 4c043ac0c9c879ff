// AVX-512 kernels (compiled with -mavx512f/vl/dq/bw; chosen at run time when the CPU has them).
// GEMM tiles: 12 x 32 floats / 12 x 16 doubles = 24 zmm accumulators, 2 B loads and 12
// broadcasts per k step: 24 FMAs keep both 512-bit FMA pipes busy through the 4-cycle latency.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx512 {
namespace {

struct VecF32 {
  using T = float;
  using R = __m512;
  static constexpr int width = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R load(const T* p) { return _mm512_loadu_ps(p); }
  static inline void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static inline R load_first(const T* p, int64_t n) { return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), p); }
  static inline void store_first(T* p, R v, int64_t n) { _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1), v); }
  static inline R set1(T x) { return _mm512_set1_ps(x); }
  static inline R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R relu(R v) { return _mm512_max_ps(_mm512_setzero_ps(), v); }  // NaN stays NaN
};

struct VecF64 {
  using T = double;
  using R = __m512d;
  static constexpr int width = 8;
  static inline R zero() { return _mm512_setzero_pd(); }
  static inline R load(const T* p) { return _mm512_loadu_pd(p); }
  static inline void store(T* p, R v) { _mm512_storeu_pd(p, v); }
  static inline R load_first(const T* p, int64_t n) { return _mm512_maskz_loadu_pd(__mmask8((1u << n) - 1), p); }
  static inline void store_first(T* p, R v, int64_t n) { _mm512_mask_storeu_pd(p, __mmask8((1u << n) - 1), v); }
  static inline R set1(T x) { return _mm512_set1_pd(x); }
  static inline R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static inline R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static inline R add(R a, R b) { return _mm512_add_pd(a, b); }
  static inline R relu(R v) { return _mm512_max_pd(_mm512_setzero_pd(), v); }
};

#include "cpu/simd/gemm_microkernel_impl.inc"

}  // namespace

const GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 12, 2>::table();
const GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 12, 2>::table();

}  // namespace fastnn::cpu::avx512
