// AVX-512 kernels (compiled with -mavx512f/vl/dq/bw; chosen at run time when the CPU has them).
// GEMM tiles: 12 x 32 floats / 12 x 16 doubles = 24 zmm accumulators, 2 B loads and 12
// broadcasts per k step: 24 FMAs keep both 512-bit FMA pipes busy through the 4-cycle latency.
// Narrow tiles (n <= one vector): 24 x 16 floats / 24 x 8 doubles, the same 24 accumulators.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx512 {
namespace {

#include "cpu/simd/vec_avx512.inc"

#include "cpu/simd/gemm_microkernel_impl.inc"

constexpr GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 24, 1>::table(nullptr);
constexpr GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 24, 1>::table(nullptr);

}  // namespace

constexpr GemmMicroKernels<float> gemm_f32 = GemmTile<VecF32, 12, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64 = GemmTile<VecF64, 12, 2>::table(&gemm_f64_narrow);

}  // namespace fastnn::cpu::avx512
