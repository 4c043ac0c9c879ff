// AVX2 + FMA kernels (compiled with -mavx2 -mfma; chosen at run time when AVX-512 is absent).
// GEMM tiles: 6 x 16 floats / 6 x 8 doubles = 12 ymm accumulators of the 16 registers; narrow
// tiles (n <= one vector) 12 x 8 / 12 x 4, the same 12 accumulators.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx2 {
namespace {

#include "cpu/simd/vec_avx2.inc"

#include "cpu/simd/gemm_microkernel_impl.inc"

constexpr GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 12, 1>::table(nullptr);
constexpr GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 12, 1>::table(nullptr);

}  // namespace

constexpr GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 6, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 6, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::avx2
