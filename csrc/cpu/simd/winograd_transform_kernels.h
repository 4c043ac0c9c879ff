// What each SIMD level provides to the Winograd F(2x2, 3x3) driver (cpu/conv_winograd.cpp): the
// three tile transforms of one chunk of 2x2 output tiles, single-threaded. The float tables are
// instantiated in winograd_{generic,avx2,avx512}.cpp from winograd_transforms_impl.inc; double
// always runs the generic table (16-byte vectors of 2 lanes: double is for gradient checks).
//
// Layouts: the correlated image `in` [N, in_c, in_h, in_w], its output `out` [N, out_c, out_h,
// out_w]; the transformed tiles of a chunk [16][channels][ld], matrix xi starting at
// xi * position_stride, column p the chunk's tile t0 + p. Tiles are numbered row-major per image,
// images in order (WinogradGeometry). Each tile's values go through the same arithmetic whatever
// its lane or chunk, so results never depend on how the chunks are split between threads.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace fastnn::cpu {

// One correlation of `in` with a 3x3 kernel, stride 1: input row oh - pad_top + kh feeds output
// row oh (zero outside the image), likewise the columns.
struct WinogradGeometry {
  int64_t batch, in_c, in_h, in_w, out_c, out_h, out_w, pad_top, pad_left;
  int64_t tiles_h, tiles_w, tiles;  // 2x2 output tiles per column, per row, in all
  int64_t chunk, chunks;            // tiles per chunk, chunks
};

// Each transform covers the channels [c0, c1) of its side (input channels c, output channels o),
// so that threads can split one chunk's transforms by channel; channels are independent.
template <class T>
struct WinogradTransformKernels {
  // v[xi][c][p] = (B^T d B)[xi], d the 4x4 input patch of channel c whose top-left element is
  // (2 * tile row - pad_top, 2 * tile column - pad_left), for the tiles t0 + p < t1.
  void (*input)(T* v, int64_t ld, int64_t position_stride, const T* in, const WinogradGeometry& g, int64_t t0,
                int64_t t1, int64_t c0, int64_t c1);
  // out[n][o]'s 2x2 block of every tile in [t0, t1) = A^T m A (+ bias[o]; bias may be null),
  // m[xi] = m[xi][o][p]; the block is clipped at the bottom/right edge of an odd-sized output.
  void (*output)(T* out, const T* m, int64_t ld, int64_t position_stride, const T* bias, const WinogradGeometry& g,
                 int64_t t0, int64_t t1, int64_t c0, int64_t c1);
  // d[xi][o][p] = (A e A^T)[xi], e channel o's 2x2 block of dy (zeros past an odd output's last
  // row and column) in tile t0 + p: the gradient of the forward's 4x4 products.
  void (*output_gradient)(T* d, int64_t ld, int64_t position_stride, const T* dy, const WinogradGeometry& g,
                          int64_t t0, int64_t t1, int64_t c0, int64_t c1);
};

const WinogradTransformKernels<float>& winograd_transform_kernels(SimdLevel level, float*);
const WinogradTransformKernels<double>& winograd_transform_kernels(SimdLevel level, double*);

namespace generic {
extern const WinogradTransformKernels<float> winograd_f32;
extern const WinogradTransformKernels<double> winograd_f64;
}  // namespace generic
namespace avx2 {
extern const WinogradTransformKernels<float> winograd_f32;
}  // namespace avx2
namespace avx512 {
extern const WinogradTransformKernels<float> winograd_f32;
}  // namespace avx512

}  // namespace fastnn::cpu
