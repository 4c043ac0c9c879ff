// Portable kernels: GCC vector extensions, which become SSE2 on any x86-64 and NEON on ARM.
// GEMM tiles: 6x2 = 6 x 8 floats / 6 x 4 doubles in 16-byte vectors (12 accumulators; the
// default), or 4x3 (12 accumulators, 3 B loads: all 16 SSE registers); narrow tiles (n <= one
// vector) 12 x 4 / 12 x 2.
#include <cstring>

#include "cpu/simd/gemm_microkernels.h"

namespace fastnn::cpu::generic {
namespace {

#include "cpu/simd/vec_generic.inc"
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

}  // namespace fastnn::cpu::generic
