// AVX-512 kernels (compiled with -mavx512f/vl/dq/bw; chosen at run time when the CPU has them).
// GEMM tiles: 12 x 32 floats / 12 x 16 doubles = 24 zmm accumulators, 2 B loads and 12
// broadcasts per k step: 24 FMAs keep both 512-bit FMA pipes busy through the 4-cycle latency.
// Narrow tiles (n <= one vector): 24 x 16 floats / 24 x 8 doubles, the same 24 accumulators.
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
  // 16 x 16: pairs of rows interleaved, then 4 x 4 blocks within 128-bit lanes, then the lanes.
  static inline void transpose(R (&r)[16]) {
    R t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // r[4g + q], 128-bit lane L: rows 4g..4g+3 of column 4L + q.
#pragma GCC unroll 4
    for (int g = 0; g < 16; g += 4) {
      r[g] = _mm512_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const R u0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88), u1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
      const R u2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88), u3 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
      t[q] = _mm512_shuffle_f32x4(u0, u2, 0x88);
      t[q + 8] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
      t[q + 4] = _mm512_shuffle_f32x4(u1, u3, 0x88);
      t[q + 12] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) r[i] = t[i];
  }
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
  // 8 x 8: pairs of rows interleaved (t[2i + q], 128-bit lane L: rows 2i, 2i+1 of column 2L + q),
  // then the lanes gathered.
  static inline void transpose(R (&r)[8]) {
    R t[8];
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int q = 0; q < 2; ++q) {
      const R u0 = _mm512_shuffle_f64x2(t[q], t[2 + q], 0x88), u1 = _mm512_shuffle_f64x2(t[q], t[2 + q], 0xDD);
      const R u2 = _mm512_shuffle_f64x2(t[4 + q], t[6 + q], 0x88), u3 = _mm512_shuffle_f64x2(t[4 + q], t[6 + q], 0xDD);
      r[q] = _mm512_shuffle_f64x2(u0, u2, 0x88);
      r[q + 4] = _mm512_shuffle_f64x2(u0, u2, 0xDD);
      r[q + 2] = _mm512_shuffle_f64x2(u1, u3, 0x88);
      r[q + 6] = _mm512_shuffle_f64x2(u1, u3, 0xDD);
    }
  }
};

#include "cpu/simd/gemm_microkernel_impl.inc"

const GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 24, 1>::table(nullptr);
const GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 24, 1>::table(nullptr);

}  // namespace

const GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 12, 2>::table(&gemm_f32_narrow);
const GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 12, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::avx512
