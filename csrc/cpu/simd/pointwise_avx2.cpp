// AVX2 + FMA activation and softmax loops for float32 (8 lanes); tails through maskload/maskstore.
#include <immintrin.h>

#include "cpu/simd/pointwise_kernels.h"
#include "cpu/simd/rnn_gate_kernels.h"

namespace fastnn::cpu::avx2 {
namespace {

struct VecF32 {
  using T = float;
  using R = __m256;
  using M = __m256;  // all-ones lanes
  using I = __m256i;
  static constexpr int width = 8;
  static inline I head(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R set1(T x) { return _mm256_set1_ps(x); }
  static inline R load(const T* p) { return _mm256_loadu_ps(p); }
  static inline void store(T* p, R v) { _mm256_storeu_ps(p, v); }
  static inline R load_n(const T* p, int n, T fill) {
    const I m = head(n);
    return _mm256_blendv_ps(set1(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static inline void store_n(T* p, R v, int n) { _mm256_maskstore_ps(p, head(n), v); }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static inline R div(R a, R b) { return _mm256_div_ps(a, b); }
  static inline R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline R min(R a, R b) { return _mm256_min_ps(a, b); }
  static inline R max(R a, R b) { return _mm256_max_ps(a, b); }
  static inline M lt(R a, R b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static inline M le(R a, R b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static inline M gt(R a, R b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static inline R select(M m, R a, R b) { return _mm256_blendv_ps(b, a, m); }
  static inline T reduce_add(R v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static inline T reduce_max(R v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }
  static inline I iset1(int x) { return _mm256_set1_epi32(x); }
  static inline I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static inline I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static inline I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static inline I ior(I a, I b) { return _mm256_or_si256(a, b); }
  template <int k> static inline I shl(I a) { return _mm256_slli_epi32(a, k); }
  template <int k> static inline I sra(I a) { return _mm256_srai_epi32(a, k); }
  static inline I as_int(R v) { return _mm256_castps_si256(v); }
  static inline R as_float(I v) { return _mm256_castsi256_ps(v); }
  static inline R cvt(I v) { return _mm256_cvtepi32_ps(v); }
};

#include "cpu/simd/vec_math.inc"
#include "cpu/simd/pointwise_impl.inc"
#include "cpu/simd/rnn_gates_impl.inc"

}  // namespace

const PointwiseKernels<float> pointwise_f32 = Pointwise<VecF32>::table();
const RnnGateKernels<float> rnn_gates_f32 = RnnGates<VecF32>::table();

}  // namespace fastnn::cpu::avx2
