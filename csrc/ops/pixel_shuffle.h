// Pixel shuffle and unshuffle (cpu/pixel_shuffle.h): x float32/float64 [*, C r^2, H, W]
// (shuffle) or [*, C, H r, W r] (unshuffle), r = the factor (> 0). Sizes in checked int64.
#pragma once
#include "cpu/pixel_shuffle.h"
#include "ops/array.h"

namespace fastnn::ops {

struct PixelShuffleSizes {
  cpu::PixelShuffleGeometry geometry;
  Shape out_shape;
};

// ValueError naming the dimension that does not fit.
PixelShuffleSizes pixel_shuffle_check(const Array& x, int64_t factor, bool unshuffle);

}  // namespace fastnn::ops
