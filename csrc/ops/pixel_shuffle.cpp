#include "ops/pixel_shuffle.h"

#include <string>

#include "ops/checks.h"

namespace fastnn::ops {

PixelShuffleSizes pixel_shuffle_check(const Array& x, int64_t factor, bool unshuffle) {
  require_float(x, "x");
  const std::string op = unshuffle ? "pixel_unshuffle" : "pixel_shuffle";
  const std::string factor_name = unshuffle ? "downscale_factor" : "upscale_factor";
  const int ndim = x.ndim;
  if (ndim < 3)
    value_error(op + " expects x to have at least 3 dimensions, but got x with " + std::to_string(ndim) +
                " dimension(s)");
  if (factor <= 0) value_error(op + " expects a positive " + factor_name + ", but got " + std::to_string(factor));
  PixelShuffleSizes p;
  cpu::PixelShuffleGeometry& g = p.geometry;
  g.batch = 1;
  for (int d = 0; d < ndim - 3; ++d) g.batch *= x.shape[d];
  const int64_t c = x.shape[ndim - 3], h = x.shape[ndim - 2], w = x.shape[ndim - 1], r = factor;
  const int64_t r2 = checked_mul(r, r, (factor_name + " squared").c_str());
  g.factor = r;
  p.out_shape = x.dims();
  if (!unshuffle) {
    if (c % r2 != 0)
      value_error(op + " expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
                  "but input.size(-3)=" + std::to_string(c) + " is not divisible by " + std::to_string(r2));
    g.channels = c / r2;
    g.height = h;
    g.width = w;
    p.out_shape[ndim - 3] = g.channels;
    p.out_shape[ndim - 2] = checked_mul(h, r, "the output height");
    p.out_shape[ndim - 1] = checked_mul(w, r, "the output width");
  } else {
    if (h % r != 0)
      value_error(op + " expects height to be divisible by downscale_factor, but input.size(-2)=" + std::to_string(h) +
                  " is not divisible by " + std::to_string(r));
    if (w % r != 0)
      value_error(op + " expects width to be divisible by downscale_factor, but input.size(-1)=" + std::to_string(w) +
                  " is not divisible by " + std::to_string(r));
    g.channels = c;
    g.height = h / r;
    g.width = w / r;
    p.out_shape[ndim - 3] = checked_mul(c, r2, "the output channels");
    p.out_shape[ndim - 2] = g.height;
    p.out_shape[ndim - 1] = g.width;
  }
  return p;
}

}  // namespace fastnn::ops
