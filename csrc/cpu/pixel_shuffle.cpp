// Pixel shuffle / unshuffle (formulas, layouts and algorithm: pixel_shuffle.h).
#include "cpu/pixel_shuffle.h"

#include <algorithm>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunkElements = 16384;

}  // namespace

template <class T>
void pixel_shuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g) {
  const int64_t r = g.factor, h = g.height, w = g.width, out_w = w * r;
  const int64_t rows = g.batch * g.channels * h * r;  // output rows (b, c, oh)
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, out_w)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t oh = row % (h * r), bc = row / (h * r), hh = oh / r, i = oh % r;
      T* yr = y + row * out_w;
      for (int64_t j = 0; j < r; ++j) {
        const T* xr = x + ((bc * r * r + i * r + j) * h + hh) * w;  // plane c r^2 + i r + j, row hh
        for (int64_t ww = 0; ww < w; ++ww) yr[ww * r + j] = xr[ww];
      }
    }
  });
}

template <class T>
void pixel_unshuffle_forward(T* y, const T* x, const PixelShuffleGeometry& g) {
  const int64_t r = g.factor, h = g.height, w = g.width, in_w = w * r;
  const int64_t rows = g.batch * g.channels * r * r * h;  // output rows (b, c r^2 + i r + j, hh)
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, w)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t hh = row % h, plane = row / h, j = plane % r, i = (plane / r) % r, bc = plane / (r * r);
      const T* xr = x + (bc * h * r + hh * r + i) * in_w + j;
      T* yr = y + row * w;
      for (int64_t ww = 0; ww < w; ++ww) yr[ww] = xr[ww * r];
    }
  });
}

template void pixel_shuffle_forward<float>(float*, const float*, const PixelShuffleGeometry&);
template void pixel_shuffle_forward<double>(double*, const double*, const PixelShuffleGeometry&);
template void pixel_unshuffle_forward<float>(float*, const float*, const PixelShuffleGeometry&);
template void pixel_unshuffle_forward<double>(double*, const double*, const PixelShuffleGeometry&);

}  // namespace fastnn::cpu
