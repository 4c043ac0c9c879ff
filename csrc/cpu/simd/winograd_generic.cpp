// Portable Winograd tile transforms in GCC vector extensions (SSE2 on x86-64, NEON on ARM): 4
// float32 or 2 float64 tiles per vector. Also the dispatch from a SIMD level to its table.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/simd/winograd_transform_kernels.h"

namespace fastnn::cpu {

namespace generic {
namespace {

#include "cpu/simd/vec_generic.inc"
#include "cpu/simd/winograd_transforms_impl.inc"

}  // namespace

constexpr WinogradTransformKernels<float> winograd_f32 = WinogradTransforms<VecF32>::table();
constexpr WinogradTransformKernels<double> winograd_f64 = WinogradTransforms<VecF64>::table();

}  // namespace generic

const WinogradTransformKernels<float>& winograd_transform_kernels(SimdLevel level, float*) {
#if defined(FASTNN_HAVE_X86_SIMD)
  if (level == SimdLevel::avx512) return avx512::winograd_f32;
  if (level == SimdLevel::avx2) return avx2::winograd_f32;
#endif
  return generic::winograd_f32;
}

const WinogradTransformKernels<double>& winograd_transform_kernels(SimdLevel, double*) {
  return generic::winograd_f64;
}

}  // namespace fastnn::cpu
