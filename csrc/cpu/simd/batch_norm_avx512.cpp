// AVX-512 batch-norm channel passes for float32 (16 floats per affine step, 8 float64 lanes in one vector).
#include <immintrin.h>

#include <type_traits>

#include "cpu/simd/batch_norm_kernels.h"

namespace fastnn::cpu::avx512 {
namespace {

#include "cpu/simd/vec_avx512.inc"
#include "cpu/simd/batch_norm_impl.inc"

}  // namespace

constexpr BatchNormKernels<float> batch_norm_f32 = BatchNormPasses<VecF32, VecF64>::table();

}  // namespace fastnn::cpu::avx512
