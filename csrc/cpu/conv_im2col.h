// im2col / col2im for one image and one channel group, over a block of output rows.
//
//   col[(c, kh, kw), (oh - oh0) * OW + ow] = x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
//
// (zero where the index falls in the padding). x is the group's [Cg, H, W] plane stack, col is
// [Cg*kH*kW, (oh1 - oh0) * OW] with row stride ld (several images may sit side by side).
// col2im_rows_add is the adjoint: it adds every column entry back onto the input pixel it was
// read from (dx must be zeroed by the caller before the first block), always in the same order,
// so the result does not depend on how work was split.
//
// For small output planes (the images-side-by-side path of conv.cpp) the row-by-row copies
// above are mostly call overhead (a 4x4 map copies 4 floats per call); there the gather goes
// through a table instead: sources[t][p] is the offset of output pixel p's source in a channel
// plane for the t-th live kernel tap, or -1 where it reads padding. A tap is live when it reads
// the image for at least one output pixel: on a 1x1 map a padded 3x3 kernel has one live tap,
// and the dead ones, whose im2col rows are all zero, are left out of the product altogether.
// One table serves every channel and image of the call.
#pragma once
#include <cstdint>
#include <vector>

#include "cpu/conv.h"

namespace fastnn::cpu {

template <class T>
void im2col_rows(T* col, int64_t ld, const T* x, const Conv2dShape& s, int64_t oh0, int64_t oh1);

template <class T>
void col2im_rows_add(T* dx, const T* col, int64_t ld, const Conv2dShape& s, int64_t oh0, int64_t oh1);

struct TapTable {
  std::vector<int64_t> taps;     // the live taps' indices kh*kW + kw, ascending
  std::vector<int64_t> sources;  // [live taps, OH*OW] source offsets (see above)
  int64_t live() const { return static_cast<int64_t>(taps.size()); }
};
TapTable tap_table(const Conv2dShape& s);

// col[(c, t), p] (row stride ld) = x[c][sources[t][p]] (0 where -1), for the Cg channels of x.
template <class T>
void im2col_gather(T* col, int64_t ld, const T* x, const TapTable& table, const Conv2dShape& s);

// The adjoint: dx[c][sources[t][p]] += col[(c, t), p], in a fixed order.
template <class T>
void col2im_scatter_add(T* dx, const T* col, int64_t ld, const TapTable& table, const Conv2dShape& s);

}  // namespace fastnn::cpu
