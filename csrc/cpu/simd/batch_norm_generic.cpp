// Portable batch-norm channel passes in GCC vector extensions (SSE2 on x86-64, NEON on ARM):
// float32 and float64, the 8 float64 lanes in 4 vectors of 2. Also the dispatch from a SIMD
// level to its table.
#include <cstring>
#include <type_traits>

#include "cpu/simd/batch_norm_kernels.h"

namespace fastnn::cpu {

namespace generic {
namespace {

#include "cpu/simd/vec_generic.inc"
#include "cpu/simd/batch_norm_impl.inc"

}  // namespace

constexpr BatchNormKernels<float> batch_norm_f32 = BatchNormPasses<VecF32, VecF64>::table();
constexpr BatchNormKernels<double> batch_norm_f64 = BatchNormPasses<VecF64, VecF64>::table();

}  // namespace generic

const BatchNormKernels<float>& batch_norm_kernels(SimdLevel level, float*) {
#if defined(FASTNN_HAVE_X86_SIMD)
  if (level == SimdLevel::avx512) return avx512::batch_norm_f32;
  if (level == SimdLevel::avx2) return avx2::batch_norm_f32;
#endif
  return generic::batch_norm_f32;
}

const BatchNormKernels<double>& batch_norm_kernels(SimdLevel, double*) { return generic::batch_norm_f64; }

}  // namespace fastnn::cpu
