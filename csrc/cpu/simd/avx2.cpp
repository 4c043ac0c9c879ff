// AVX2 + FMA kernels (compiled with -mavx2 -mfma; chosen at run time when AVX-512 is absent).
// GEMM tiles: 6 x 16 floats / 6 x 8 doubles = 12 ymm accumulators of the 16 registers; narrow
// tiles (n <= one vector) 12 x 8 / 12 x 4, the same 12 accumulators.
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
  // 8 x 8: pairs of rows interleaved, 4 x 4 blocks within 128-bit lanes, then the two lanes.
  static inline void transpose(R (&r)[8]) {
    R t[8];
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int g = 0; g < 8; g += 4) {
      r[g] = _mm256_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      t[q] = _mm256_permute2f128_ps(r[q], r[4 + q], 0x20);
      t[q + 4] = _mm256_permute2f128_ps(r[q], r[4 + q], 0x31);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = t[i];
  }
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
  static inline void transpose(R (&r)[4]) {
    const R t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const R t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
};

#include "cpu/simd/gemm_microkernel_impl.inc"

const GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 12, 1>::table(nullptr);
const GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 12, 1>::table(nullptr);

}  // namespace

const GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 6, 2>::table(&gemm_f32_narrow);
const GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 6, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::avx2
