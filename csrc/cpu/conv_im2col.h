// im2col / col2im for one image and one channel group, over a block of output rows.
//
//   col[(c, kh, kw), (oh - oh0) * OW + ow] = x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
//
// (zero where the index falls in the padding). x is the group's [Cg, H, W] plane stack, col is
// [Cg*kH*kW, (oh1 - oh0) * OW] with row stride ld (several images may sit side by side). col2im_add is the adjoint: it adds every column entry
// back onto the input pixel it was read from (dx must be zeroed by the caller before the first
// block), always in the same order, so the result does not depend on how work was split.
#pragma once
#include <cstdint>

#include "cpu/conv.h"

namespace fastnn::cpu {

template <class T>
void im2col_rows(T* col, int64_t ld, const T* x, const Conv2dShape& s, int64_t oh0, int64_t oh1);

template <class T>
void col2im_rows_add(T* dx, const T* col, const Conv2dShape& s, int64_t oh0, int64_t oh1);  // ld = block width

}  // namespace fastnn::cpu
