// Padding of the trailing k dimensions of a contiguous array (F.pad), forward and backward.
//
// Layout: x [P, D_0, ..., D_{k-1}] (P = product of the leading dims that are not padded), y
// [P, O_0, ..., O_{k-1}] with O_d = D_d + before_d + after_d; pads may be negative (cropping).
// Per dimension the source of output index o is i = o - before_d, mapped into [0, D_d):
//   constant:  no source outside [0, D)   (y = value there)
//   reflect:   i < 0 -> -i, i >= D -> 2 (D - 1) - i   (the edge is not repeated; pads < D)
//   replicate: clamp(i, 0, D - 1)
//   circular:  lo + (i - lo) mod K, lo = max(0, -before), K = D - lo - max(0, -after): wraps within
//              what negative pads leave of the dimension (pads <= D)
// forward:  y[p, o] = x[p, src(o)], or value when some dimension of o has no source.
// backward: dx[p, i] = sum of dy[p, o] over the outputs o with src(o) = i.
//
// Algorithm: per dimension a table of sources (forward) and, for backward, its inverse as a
// compressed list of the outputs that read each input index. The forward copies output rows
// (the last dimension) through the source table; the backward is a gather, not a scatter: each
// dx element sums its outputs in a fixed order (leading dimensions as an odometer, then the last
// one), so rows split over threads and the result never depends on the thread count.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

enum class PadMode { constant, reflect, replicate, circular };

// Maximum number of padded dimensions (PyTorch's non-constant modes pad at most 3).
constexpr int kMaxPadDims = 8;

// The geometry of one call: ops::pad_check (ops/padding.h) checks the arguments and fills it.
struct PadGeometry {
  int k = 0;                                       // padded trailing dimensions
  int64_t planes = 1;                              // P
  int64_t in[kMaxPadDims], out[kMaxPadDims];       // D_d, O_d
  int64_t before[kMaxPadDims], after[kMaxPadDims];
};

// y: [P, O...] (written); x: [P, D...].
template <class T>
void pad_forward(T* y, const T* x, const PadGeometry& g, PadMode mode, double value);

// dx: [P, D...] (written); dy: [P, O...].
template <class T>
void pad_backward(T* dx, const T* dy, const PadGeometry& g, PadMode mode);

}  // namespace fastnn::cpu
