// AVX2 + FMA batch-norm channel passes for float32 (8 floats, 2 x 4 float64 lanes per step).
#include <immintrin.h>

#include <type_traits>

#include "cpu/simd/batch_norm_kernels.h"

namespace fastnn::cpu::avx2 {
namespace {

#include "cpu/simd/vec_avx2.inc"
#include "cpu/simd/batch_norm_impl.inc"

}  // namespace

constexpr BatchNormKernels<float> batch_norm_f32 = BatchNormPasses<VecF32, VecF64>::table();

}  // namespace fastnn::cpu::avx2
