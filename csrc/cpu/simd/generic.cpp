// Portable kernels: GCC vector extensions, which become SSE2 on any x86-64 and NEON on ARM.
// GEMM tiles: 6 x 8 floats / 6 x 4 doubles in 16-byte vectors (12 accumulators); narrow tiles
// (n <= one vector) 12 x 4 / 12 x 2.
#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::generic {
namespace {

template <class Scalar>
struct Vec16Bytes {
  using T = Scalar;
  typedef T R __attribute__((vector_size(16)));
  static constexpr int width = 16 / sizeof(T);
  static inline R zero() { return R{} ; }
  static inline R load(const T* p) { R v; __builtin_memcpy(&v, p, sizeof(R)); return v; }
  static inline void store(T* p, R v) { __builtin_memcpy(p, &v, sizeof(R)); }
  static inline R load_first(const T* p, int64_t n) {
    R v{};
    for (int64_t l = 0; l < n; ++l) v[l] = p[l];
    return v;
  }
  static inline void store_first(T* p, R v, int64_t n) {
    for (int64_t l = 0; l < n; ++l) p[l] = v[l];
  }
  static inline R set1(T x) { return R{} + x; }
  static inline R fma(R a, R b, R c) { return a * b + c; }
  static inline R mul(R a, R b) { return a * b; }
  static inline R add(R a, R b) { return a + b; }
  static inline R relu(R v) { return v < 0 ? R{} : v; }  // NaN < 0 is false: NaN stays NaN
  static inline void transpose(R (&r)[width]) {
    R t[width];
    for (int i = 0; i < width; ++i)
      for (int j = 0; j < width; ++j) t[j][i] = r[i][j];
    for (int i = 0; i < width; ++i) r[i] = t[i];
  }
};

#include "cpu/simd/gemm_microkernel_impl.inc"

const GemmMicroKernels<float> gemm_f32_narrow = GemmTile<Vec16Bytes<float>, 12, 1>::table(nullptr);
const GemmMicroKernels<double> gemm_f64_narrow = GemmTile<Vec16Bytes<double>, 12, 1>::table(nullptr);

}  // namespace

const GemmMicroKernels<float> gemm_f32 = GemmTile<Vec16Bytes<float>, 6, 2>::table(&gemm_f32_narrow);
const GemmMicroKernels<double> gemm_f64 = GemmTile<Vec16Bytes<double>, 6, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::generic
