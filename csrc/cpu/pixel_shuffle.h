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

namespace fastnn::cpu {

// The geometry of one call: ops::pixel_shuffle_check (ops/pixel_shuffle.h) checks and fills it.
struct PixelShuffleGeometry {
  int64_t batch, channels, height, width, factor;  // B, C, H, W (the small side), r
};

// y: [B, C, H r, W r]; x: [B, C r^2, H, W].
template <class T>
void pixel_shuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g);

// y: [B, C r^2, H, W]; x: [B, C, H r, W r].
template <class T>
void pixel_unshuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g);

}  // namespace fastnn::cpu
