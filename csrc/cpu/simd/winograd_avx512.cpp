// AVX-512 Winograd tile transforms for float32 (16 tiles per vector).
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "cpu/simd/winograd_transform_kernels.h"

namespace fastnn::cpu::avx512 {
namespace {

#include "cpu/simd/vec_avx512.inc"
#include "cpu/simd/winograd_transforms_impl.inc"

}  // namespace

constexpr WinogradTransformKernels<float> winograd_f32 = WinogradTransforms<VecF32>::table();

}  // namespace fastnn::cpu::avx512
