#include "ops/pool.h"

#include <cmath>
#include <cstdint>
#include <sstream>

#include "ops/checks.h"

namespace fastnn::ops {

namespace {

std::string pair_string(int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }
std::string pair_string(const int64_t p[2]) { return pair_string(p[0], p[1]); }

}  // namespace

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  using Wide = __int128;  // sums and products of int64 sizes, strides and paddings fit
  const Wide numerator = Wide(in) + 2 * Wide(pad) - Wide(dilation) * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  // floor division for stride > 0 and either sign
  Wide out = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
  // The last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * stride >= Wide(in) + pad) --out;
  return int64_t(out < INT64_MIN ? Wide(INT64_MIN) : out > INT64_MAX ? Wide(INT64_MAX) : out);
}

int64_t pool_planes_check(const Array& x, const char* name) {
  require_float(x, name);
  if (x.ndim != 3 && x.ndim != 4)
    value_error(std::string(name) + " must be 3-D [C, H, W] or 4-D [N, C, H, W], got shape " + shape_string(x));
  for (int d = x.ndim - 3; d < x.ndim; ++d)
    if (x.shape[d] == 0)
      value_error(std::string(name) + " must have non-zero channels, height and width, got shape " + shape_string(x));
  int64_t planes = 1;
  for (int d = 0; d + 2 < x.ndim; ++d) planes *= x.shape[d];
  return planes;
}

Shape with_spatial(const Array& a, int64_t h, int64_t w, const char* size_name) {
  Shape s = a.dims();
  s[s.ndim - 2] = h;
  s[s.ndim - 1] = w;
  require_valid_shape(s, size_name);
  return s;
}

void require_positive_pair(const int64_t p[2], const char* name) {
  if (p[0] <= 0 || p[1] <= 0) value_error(std::string(name) + " must be greater than zero, got " + pair_string(p));
}

cpu::PoolWindow pool_window(const int64_t kernel[2], const int64_t* stride, const int64_t padding[2],
                            const int64_t dilation[2]) {
  const int64_t* st = stride ? stride : kernel;
  require_positive_pair(kernel, "kernel_size");
  require_positive_pair(st, "stride");
  require_positive_pair(dilation, "dilation");
  if (padding[0] < 0 || padding[1] < 0) value_error("padding must be non-negative, got " + pair_string(padding));
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2)
    value_error("padding must be at most half of kernel_size, got padding " + pair_string(padding) +
                " for kernel_size " + pair_string(kernel));
  return {kernel[0], kernel[1], st[0], st[1], padding[0], padding[1], dilation[0], dilation[1]};
}

cpu::PlaneShape pooled_shape(int64_t planes, int64_t in_h, int64_t in_w, const cpu::PoolWindow& w, bool ceil_mode) {
  cpu::PlaneShape s{planes, in_h, in_w, 0, 0};
  // pool_output_size computes in int64: sizes whose padded input or dilated window overflow are
  // refused first.
  const int64_t in[2] = {in_h, in_w}, k[2] = {w.kernel_h, w.kernel_w}, pad[2] = {w.pad_h, w.pad_w},
                dil[2] = {w.dilation_h, w.dilation_w};
  for (int d = 0; d < 2; ++d) {
    checked_add(in[d], checked_mul(2, pad[d], "the padded input size (input size + padding)"), "the padded input size (input size + padding)");
    checked_add(checked_mul(dil[d], k[d] - 1, "the dilated kernel size (dilation * (kernel_size - 1) + 1)"), 1, "the dilated kernel size (dilation * (kernel_size - 1) + 1)");
  }
  checked_mul(k[0], k[1], "kernel_size[0] * kernel_size[1] (the window size)");
  s.out_h = pool_output_size(in_h, w.kernel_h, w.pad_h, w.stride_h, w.dilation_h, ceil_mode);
  s.out_w = pool_output_size(in_w, w.kernel_w, w.pad_w, w.stride_w, w.dilation_w, ceil_mode);
  if (s.out_h < 1 || s.out_w < 1)
    value_error("kernel_size " + pair_string(w.kernel_h, w.kernel_w) + " with dilation " +
                pair_string(w.dilation_h, w.dilation_w) + " is larger than the padded input: input " +
                pair_string(in_h, in_w) + " with padding " + pair_string(w.pad_h, w.pad_w) + " gives output size " +
                pair_string(s.out_h, s.out_w));
  return s;
}

void require_pool_output_size(const Array& g, const cpu::PlaneShape& s) {
  if (g.shape[g.ndim - 2] != s.out_h || g.shape[g.ndim - 1] != s.out_w)
    value_error("grad_out must have spatial size " + pair_string(s.out_h, s.out_w) +
                " (the forward's output for this input size and window), got shape " + shape_string(g));
}

void max_pool2d_indices_check(const Array& indices, const Array& grad_out) {
  if (indices.dtype != DType::int64)
    type_error(std::string("indices must be a numpy.ndarray of int64 (from max_pool2d_forward), got dtype ") +
               indices.type_name);
  require_same_shape(indices, "indices", grad_out, "grad_out");
}

void divisor_override_check(int64_t divisor) {
  if (divisor == 0) value_error("divisor_override must be non-zero, got 0");
}

void upsample_scales_check(const double scales[2]) {
  if (!(scales[0] > 0 && scales[1] > 0 && std::isfinite(scales[0]) && std::isfinite(scales[1]))) {
    std::ostringstream text;
    text << "scale_factors must be positive and finite, got (" << scales[0] << ", " << scales[1] << ")";
    value_error(text.str());
  }
}

}  // namespace fastnn::ops
