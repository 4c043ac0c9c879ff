// AVX2 + FMA kernels (compiled with -mavx2 -mfma; chosen at run time when AVX-512 is absent).
// GEMM tiles: 6x2 = 6 x 16 floats / 6 x 8 doubles = 12 ymm accumulators of the 16 registers (the
// default), or 4x3 = 4 x 24 floats (12 accumulators, 3 B loads, 1 broadcast: all 16); narrow
// tiles (n <= one vector) 12 x 8 / 12 x 4, the same 12 accumulators.
#include <immintrin.h>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::avx2 {
namespace {

#include "cpu/simd/vec_avx2.inc"

#include "cpu/simd/gemm_microkernel_impl.inc"

constexpr GemmMicroKernels<float> gemm_f32_narrow = GemmTile<VecF32, 12, 1>::table(nullptr);
constexpr GemmMicroKernels<double> gemm_f64_narrow = GemmTile<VecF64, 12, 1>::table(nullptr);

constexpr GemmMicroKernels<float> gemm_f32_6x2 = GemmTile<VecF32, 6, 2>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_6x2 = GemmTile<VecF64, 6, 2>::table(&gemm_f64_narrow);
constexpr GemmMicroKernels<float> gemm_f32_4x3 = GemmTile<VecF32, 4, 3>::table(&gemm_f32_narrow);
constexpr GemmMicroKernels<double> gemm_f64_4x3 = GemmTile<VecF64, 4, 3>::table(&gemm_f64_narrow);
constexpr const char* gemm_tile_names[] = {"6x2", "4x3"};
constexpr const GemmMicroKernels<float>* gemm_f32_tiles[] = {&gemm_f32_6x2, &gemm_f32_4x3};
constexpr const GemmMicroKernels<double>* gemm_f64_tiles[] = {&gemm_f64_6x2, &gemm_f64_4x3};

}  // namespace

constexpr GemmTileSet gemm_tile_set = {2, gemm_tile_names, gemm_f32_tiles, gemm_f64_tiles};

}  // namespace fastnn::cpu::avx2
