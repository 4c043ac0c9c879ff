// AVX2 + FMA kernels (compiled with -mavx2 -mfma; chosen at run time when AVX-512 is absent).
// GEMM tiles: 6 x 16 floats / 6 x 8 doubles = 12 ymm accumulators of the 16 registers.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx2 {
namespace {

struct VecF32 {
  using T = float;
  using R = __m256;
  static constexpr int width = 8;
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R load(const T* p) { return _mm256_loadu_ps(p); }
  static inline void store(T* p, R v) { _mm256_storeu_ps(p, v); }
  // Lanes below n get an all-ones mask; masked-out lanes are neither read (no fault) nor written.
  static inline __m256i first(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline R load_first(const T* p, int64_t n) { return _mm256_maskload_ps(p, first(n)); }
  static inline void store_first(T* p, R v, int64_t n) { _mm256_maskstore_ps(p, first(n), v); }
  static inline R set1(T x) { return _mm256_set1_ps(x); }
  static inline R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R relu(R v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }  // NaN stays NaN
};

struct VecF64 {
  using T = double;
  using R = __m256d;
  static constexpr int width = 4;
  static inline R zero() { return _mm256_setzero_pd(); }
  static inline R load(const T* p) { return _mm256_loadu_pd(p); }
  static inline void store(T* p, R v) { _mm256_storeu_pd(p, v); }
  static inline __m256i first(int64_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static inline R load_first(const T* p, int64_t n) { return _mm256_maskload_pd(p, first(n)); }
  static inline void store_first(T* p, R v, int64_t n) { _mm256_maskstore_pd(p, first(n), v); }
  static inline R set1(T x) { return _mm256_set1_pd(x); }
  static inline R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static inline R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static inline R add(R a, R b) { return _mm256_add_pd(a, b); }
  static inline R relu(R v) { return _mm256_max_pd(_mm256_setzero_pd(), v); }
};

#include "cpu/simd/gemm_microkernel_impl.inc"

}  // namespace

const GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 6, 2>::table();
const GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 6, 2>::table();

}  // namespace fastnn::cpu::avx2
