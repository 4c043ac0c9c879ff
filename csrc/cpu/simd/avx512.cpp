// AVX-512 kernels (compiled with -mavx512f/vl/dq/bw; chosen at run time when the CPU has them).
// GEMM tiles (of 32 zmm registers): 12x2 = 12 x 32 floats / 12 x 16 doubles, 24 accumulators,
// 2 B loads and 12 broadcasts per k step: 24 FMAs keep both 512-bit FMA pipes busy through the
// 4-cycle latency (the default; 90% of peak on Zen 4). 14x2 (28 accumulators), 8x3 (24, fewer
// broadcasts per FMA) and 6x4 (24, 4 B loads) suit other load/broadcast port balances; the CPU's
// table or a calibration picks one (cpu/gemm_tuning.h). Narrow tiles (n <= one vector): 24 x 16
// floats / 24 x 8 doubles, the same 24 accumulators.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx512 {
namespace {

#include "cpu/simd/vec_avx512.inc"

#include "cpu/simd/gemm_microkernel_impl.inc"

constexpr GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 24, 1>::table(nullptr);
constexpr GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 24, 1>::table(nullptr);

constexpr GemmMicroKernels<float> gemm_f32_12x2 = GemmTile<VecF32, 12, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_12x2 = GemmTile<VecF64, 12, 2>::table(&gemm_f64_narrow);
constexpr GemmMicroKernels<float> gemm_f32_14x2 = GemmTile<VecF32, 14, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_14x2 = GemmTile<VecF64, 14, 2>::table(&gemm_f64_narrow);
constexpr GemmMicroKernels<float> gemm_f32_8x3 = GemmTile<VecF32, 8, 3>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_8x3 = GemmTile<VecF64, 8, 3>::table(&gemm_f64_narrow);
constexpr GemmMicroKernels<float> gemm_f32_6x4 = GemmTile<VecF32, 6, 4>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_6x4 = GemmTile<VecF64, 6, 4>::table(&gemm_f64_narrow);
constexpr const char* gemm_tile_names[] = {"12x2", "14x2", "8x3", "6x4"};
constexpr const GemmMicroKernels<float>* gemm_f32_tiles[] = {&gemm_f32_12x2, &gemm_f32_14x2, &gemm_f32_8x3,
                                                            &gemm_f32_6x4};
constexpr const GemmMicroKernels<double>* gemm_f64_tiles[] = {&gemm_f64_12x2, &gemm_f64_14x2, &gemm_f64_8x3,
                                                             &gemm_f64_6x4};

}  // namespace

constexpr GemmTileSet gemm_tile_set = {4, gemm_tile_names, gemm_f32_tiles, gemm_f64_tiles};

}  // namespace fastnn::cpu::avx512
