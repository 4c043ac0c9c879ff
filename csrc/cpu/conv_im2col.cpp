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
void col2im_rows_add(T* dx, const T* col, int64_t ld, const Conv2dShape& s, int64_t oh0, int64_t oh1) {
  const int64_t cg = s.in_channels / s.groups, ow_n = s.out_w;
  for (int64_t c = 0; c < cg; ++c) {
    T* plane = dx + c * s.in_h * s.in_w;
    for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        const T* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * ld;
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

TapTable tap_table(const Conv2dShape& s) {
  const int64_t plane = s.out_h * s.out_w;
  TapTable table;
  std::vector<int64_t> tap_sources(static_cast<size_t>(plane));
  for (int64_t kh = 0; kh < s.kernel_h; ++kh)
    for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
      bool live = false;
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
          const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
          tap_sources[static_cast<size_t>(oh * s.out_w + ow)] = inside ? ih * s.in_w + iw : -1;
          live = live || inside;
        }
      if (!live) continue;
      table.taps.push_back(kh * s.kernel_w + kw);
      table.sources.insert(table.sources.end(), tap_sources.begin(), tap_sources.end());
    }
  return table;
}

template <class T>
void im2col_gather(T* col, int64_t ld, const T* x, const TapTable& table, const Conv2dShape& s) {
  const int64_t cg = s.in_channels / s.groups, taps = table.live(), plane = s.out_h * s.out_w;
  for (int64_t c = 0; c < cg; ++c) {
    const T* in = x + c * s.in_h * s.in_w;
    for (int64_t t = 0; t < taps; ++t) {
      T* row = col + (c * taps + t) * ld;
      const int64_t* from = table.sources.data() + t * plane;
      for (int64_t p = 0; p < plane; ++p) row[p] = from[p] >= 0 ? in[from[p]] : T(0);
    }
  }
}

template <class T>
void col2im_scatter_add(T* dx, const T* col, int64_t ld, const TapTable& table, const Conv2dShape& s) {
  const int64_t cg = s.in_channels / s.groups, taps = table.live(), plane = s.out_h * s.out_w;
  for (int64_t c = 0; c < cg; ++c) {
    T* in = dx + c * s.in_h * s.in_w;
    for (int64_t t = 0; t < taps; ++t) {
      const T* row = col + (c * taps + t) * ld;
      const int64_t* to = table.sources.data() + t * plane;
      for (int64_t p = 0; p < plane; ++p)
        if (to[p] >= 0) in[to[p]] += row[p];
    }
  }
}

template void im2col_gather<float>(float*, int64_t, const float*, const TapTable&, const Conv2dShape&);
template void im2col_gather<double>(double*, int64_t, const double*, const TapTable&, const Conv2dShape&);
template void col2im_scatter_add<float>(float*, const float*, int64_t, const TapTable&, const Conv2dShape&);
template void col2im_scatter_add<double>(double*, const double*, int64_t, const TapTable&, const Conv2dShape&);
template void im2col_rows<float>(float*, int64_t, const float*, const Conv2dShape&, int64_t, int64_t);
template void im2col_rows<double>(double*, int64_t, const double*, const Conv2dShape&, int64_t, int64_t);
template void col2im_rows_add<float>(float*, const float*, int64_t, const Conv2dShape&, int64_t, int64_t);
template void col2im_rows_add<double>(double*, const double*, int64_t, const Conv2dShape&, int64_t, int64_t);

}  // namespace fastnn::cpu
