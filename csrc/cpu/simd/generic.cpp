// Portable kernels: GCC vector extensions, which become SSE2 on any x86-64 and NEON on ARM.
// GEMM tiles: 6 x 8 floats / 6 x 4 doubles in 16-byte vectors (12 accumulators); narrow tiles
// (n <= one vector) 12 x 4 / 12 x 2.
#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::generic {
namespace {

#include "cpu/simd/vec_generic.inc"
#include "cpu/simd/gemm_microkernel_impl.inc"

constexpr GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 12, 1>::table(nullptr);
constexpr GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 12, 1>::table(nullptr);

}  // namespace

constexpr GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 6, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 6, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::generic
