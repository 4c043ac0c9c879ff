// Pixel shuffle and its inverse (nn.PixelShuffle / nn.PixelUnshuffle): pure permutations.
//
// Layout, with upscale factor r:
//   shuffle:   x [B, C r^2, H, W] -> y [B, C, H r, W r],  y[b, c, h r + i, w r + j] = x[b, c r^2 + i r + j, h, w]
//   unshuffle: x [B, C, H r, W r] -> y [B, C r^2, H, W],  the inverse permutation.
// Each is the other's backward. B collects every leading dimension.
//
// Algorithm: one output row at a time (shuffle: a row of W r values gathered from r source
// planes; unshuffle: a row of W values read with stride r); rows split over threads.
#pragma once
#include <cstdint>
#include <vector>

namespace fastnn::cpu {

struct PixelShuffleGeometry {
  int64_t batch, channels, height, width, factor;  // B, C, H, W (the small side), r
  std::vector<int64_t> out_shape;
};

// For pixel_shuffle (x [*, C r^2, H, W]) or pixel_unshuffle (x [*, C, H r, W r]); std::invalid_argument
// naming the dimension that does not fit.
PixelShuffleGeometry pixel_shuffle_geometry(const std::vector<int64_t>& shape, int64_t factor, bool unshuffle);

// y: [B, C, H r, W r]; x: [B, C r^2, H, W].
template <class T>
void pixel_shuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g);

// y: [B, C r^2, H, W]; x: [B, C, H r, W r].
template <class T>
void pixel_unshuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g);

}  // namespace fastnn::cpu
