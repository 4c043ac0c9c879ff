// AVX-512 activation and softmax loops for float32 (16 lanes); tails through masked loads/stores.
#include <immintrin.h>

#include "cpu/simd/pointwise_kernels.h"
#include "cpu/simd/rnn_gate_kernels.h"

namespace fastnn::cpu::avx512 {
namespace {

struct VecF32 {
  using T = float;
  using R = __m512;
  using M = __mmask16;
  using I = __m512i;
  static constexpr int width = 16;
  static inline M head(int n) { return static_cast<M>((1u << n) - 1); }  // the first n < 16 lanes
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R set1(T x) { return _mm512_set1_ps(x); }
  static inline R load(const T* p) { return _mm512_loadu_ps(p); }
  static inline void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static inline R load_n(const T* p, int n, T fill) { return _mm512_mask_loadu_ps(set1(fill), head(n), p); }
  static inline void store_n(T* p, R v, int n) { _mm512_mask_storeu_ps(p, head(n), v); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static inline R div(R a, R b) { return _mm512_div_ps(a, b); }
  static inline R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline R min(R a, R b) { return _mm512_min_ps(a, b); }
  static inline R max(R a, R b) { return _mm512_max_ps(a, b); }
  static inline M lt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static inline M le(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static inline M gt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static inline R select(M m, R a, R b) { return _mm512_mask_blend_ps(m, b, a); }
  static inline T reduce_add(R v) { return _mm512_reduce_add_ps(v); }
  static inline T reduce_max(R v) { return _mm512_reduce_max_ps(v); }
  static inline I iset1(int x) { return _mm512_set1_epi32(x); }
  static inline I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static inline I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static inline I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static inline I ior(I a, I b) { return _mm512_or_si512(a, b); }
  template <int k> static inline I shl(I a) { return _mm512_slli_epi32(a, k); }
  template <int k> static inline I sra(I a) { return _mm512_srai_epi32(a, k); }
  static inline I as_int(R v) { return _mm512_castps_si512(v); }
  static inline R as_float(I v) { return _mm512_castsi512_ps(v); }
  static inline R cvt(I v) { return _mm512_cvtepi32_ps(v); }
};

#include "cpu/simd/vec_math.inc"
#include "cpu/simd/pointwise_impl.inc"
#include "cpu/simd/rnn_gates_impl.inc"

}  // namespace

const PointwiseKernels<float> pointwise_f32 = Pointwise<VecF32>::table();
const RnnGateKernels<float> rnn_gates_f32 = RnnGates<VecF32>::table();

}  // namespace fastnn::cpu::avx512
