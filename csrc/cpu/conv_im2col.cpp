// im2col / col2im over output-row blocks; see conv_im2col.h.
#include "cpu/conv_im2col.h"

#include <algorithm>
#include <cstring>

namespace fastnn::cpu {

namespace {

// The output columns [lo, hi) whose input column ow*stride + offset lies inside [0, width).
// lo = ceil(-offset / stride) and hi = floor((width - 1 - offset) / stride) + 1, written so that
// no intermediate overflows for any padding and stride (-offset + stride - 1 could).
void valid_columns(int64_t offset, int64_t stride, int64_t width, int64_t out_w, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : std::min(out_w, (-(offset + 1)) / stride + 1);
  *hi = offset >= width ? *lo : std::clamp<int64_t>((width - 1 - offset) / stride + 1, *lo, out_w);
}

}  // namespace

template <class T>
void im2col_rows(T* col, int64_t ld, const T* x, const Conv2dShape& s, int64_t oh0, int64_t oh1) {
  const int64_t cg = s.in_channels / s.groups, ow_n = s.out_w;
  for (int64_t c = 0; c < cg; ++c) {
    const T* plane = x + c * s.in_h * s.in_w;
    for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        T* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * ld;
        const int64_t offset = kw * s.dilation_w - s.pad_left;
        int64_t lo, hi;
        valid_columns(offset, s.stride_w, s.in_w, ow_n, &lo, &hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          T* dst = row + (oh - oh0) * ow_n;
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          if (ih < 0 || ih >= s.in_h) {
            std::fill(dst, dst + ow_n, T(0));
            continue;
          }
          const T* src = plane + ih * s.in_w;
          std::fill(dst, dst + lo, T(0));
          if (s.stride_w == 1) {
            if (hi > lo) std::memcpy(dst + lo, src + lo + offset, (hi - lo) * sizeof(T));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s.stride_w + offset];
          }
          std::fill(dst + hi, dst + ow_n, T(0));
        }
      }
    }
  }
}

template <class T>
void col2im_rows_add(T* dx, const T* col, const Conv2dShape& s, int64_t oh0, int64_t oh1) {
  const int64_t cg = s.in_channels / s.groups, ow_n = s.out_w, cols = (oh1 - oh0) * ow_n;
  for (int64_t c = 0; c < cg; ++c) {
    T* plane = dx + c * s.in_h * s.in_w;
    for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        const T* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * cols;
        const int64_t offset = kw * s.dilation_w - s.pad_left;
        int64_t lo, hi;
        valid_columns(offset, s.stride_w, s.in_w, ow_n, &lo, &hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          if (ih < 0 || ih >= s.in_h) continue;
          const T* src = row + (oh - oh0) * ow_n;
          T* dst = plane + ih * s.in_w;
          if (s.stride_w == 1) {  // a separate loop so that it vectorises
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow + offset] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s.stride_w + offset] += src[ow];
          }
        }
      }
    }
  }
}

template void im2col_rows<float>(float*, int64_t, const float*, const Conv2dShape&, int64_t, int64_t);
template void im2col_rows<double>(double*, int64_t, const double*, const Conv2dShape&, int64_t, int64_t);
template void col2im_rows_add<float>(float*, const float*, const Conv2dShape&, int64_t, int64_t);
template void col2im_rows_add<double>(double*, const double*, const Conv2dShape&, int64_t, int64_t);

}  // namespace fastnn::cpu
