// Pixel shuffle / unshuffle (formulas, layouts and algorithm: pixel_shuffle.h).
#include "cpu/pixel_shuffle.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunkElements = 16384;

}  // namespace

PixelShuffleGeometry pixel_shuffle_geometry(const std::vector<int64_t>& shape, int64_t factor, bool unshuffle) {
  const std::string op = unshuffle ? "pixel_unshuffle" : "pixel_shuffle";
  const std::string factor_name = unshuffle ? "downscale_factor" : "upscale_factor";
  const int ndim = static_cast<int>(shape.size());
  if (ndim < 3)
    throw std::invalid_argument(op + " expects input to have at least 3 dimensions, but got input with " +
                                std::to_string(ndim) + " dimension(s)");
  if (factor <= 0)
    throw std::invalid_argument(op + " expects a positive " + factor_name + ", but got " + std::to_string(factor));
  PixelShuffleGeometry g;
  g.batch = 1;
  for (int d = 0; d < ndim - 3; ++d) g.batch *= shape[d];
  const int64_t c = shape[ndim - 3], h = shape[ndim - 2], w = shape[ndim - 1], r = factor;
  g.factor = r;
  g.out_shape = shape;
  if (!unshuffle) {
    if (c % (r * r) != 0)
      throw std::invalid_argument(op + " expects its input's 'channel' dimension to be divisible by the square of "
                                  "upscale_factor, but input.size(-3)=" + std::to_string(c) + " is not divisible by " +
                                  std::to_string(r * r));
    g.channels = c / (r * r);
    g.height = h;
    g.width = w;
    g.out_shape[ndim - 3] = g.channels;
    g.out_shape[ndim - 2] = h * r;
    g.out_shape[ndim - 1] = w * r;
  } else {
    if (h % r != 0)
      throw std::invalid_argument(op + " expects height to be divisible by downscale_factor, but input.size(-2)=" +
                                  std::to_string(h) + " is not divisible by " + std::to_string(r));
    if (w % r != 0)
      throw std::invalid_argument(op + " expects width to be divisible by downscale_factor, but input.size(-1)=" +
                                  std::to_string(w) + " is not divisible by " + std::to_string(r));
    g.channels = c;
    g.height = h / r;
    g.width = w / r;
    g.out_shape[ndim - 3] = c * r * r;
    g.out_shape[ndim - 2] = g.height;
    g.out_shape[ndim - 1] = g.width;
  }
  return g;
}

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
