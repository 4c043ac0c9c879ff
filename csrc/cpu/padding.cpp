// Padding forward and backward (formulas, layouts and algorithm: padding.h). The source and
// inverse tables live in one workspace block of the calling thread; the worker threads only read
// them.
#include "cpu/padding.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/workspace.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunkElements = 16384;

// The source of output o along a dimension of size `size` (-1: none, constant mode only).
// Circular mode wraps within what negative pads leave of the dimension, as PyTorch does.
int64_t source_index(int64_t o, int64_t before, int64_t after, int64_t size, PadMode mode) {
  int64_t i = o - before;
  if (mode == PadMode::circular) {
    const int64_t lo = std::max<int64_t>(0, -before), kept = size - lo - std::max<int64_t>(0, -after);
    return lo + (((i - lo) % kept) + kept) % kept;
  }
  if (i >= 0 && i < size) return i;
  switch (mode) {
    case PadMode::constant: return -1;
    case PadMode::reflect: return i < 0 ? -i : 2 * (size - 1) - i;
    case PadMode::replicate: return i < 0 ? 0 : size - 1;
    case PadMode::circular: break;  // handled above
  }
  return -1;
}

// Per dimension: src[o] and the inverse lists start[i] .. start[i + 1] into list (outputs o in
// increasing order), all carved from one workspace block.
struct Tables {
  const int64_t* src[kMaxPadDims];
  const int64_t* start[kMaxPadDims];
  const int64_t* list[kMaxPadDims];
};

Tables build_tables(const PadGeometry& g, PadMode mode, bool inverse) {
  size_t total = 0;
  for (int d = 0; d < g.k; ++d) total += size_t(g.out[d]) * (inverse ? 2 : 1) + (inverse ? size_t(g.in[d]) + 1 : 0);
  int64_t* block = workspace_array<int64_t>(WorkspaceSlot::scratch0, total);
  Tables t;
  for (int d = 0; d < g.k; ++d) {
    int64_t* src = block;
    block += g.out[d];
    for (int64_t o = 0; o < g.out[d]; ++o) src[o] = source_index(o, g.before[d], g.after[d], g.in[d], mode);
    t.src[d] = src;
    if (!inverse) continue;
    int64_t* start = block;
    block += g.in[d] + 1;
    int64_t* list = block;
    block += g.out[d];
    std::fill(start, start + g.in[d] + 1, 0);
    for (int64_t o = 0; o < g.out[d]; ++o)
      if (src[o] >= 0) ++start[src[o] + 1];
    for (int64_t i = 0; i < g.in[d]; ++i) start[i + 1] += start[i];
    // Counting sort, stable in o: start[i] serves as i's cursor, which leaves it at the start of
    // i + 1; shifting by one restores the starts.
    for (int64_t o = 0; o < g.out[d]; ++o)
      if (src[o] >= 0) list[start[src[o]]++] = o;
    for (int64_t i = g.in[d]; i > 0; --i) start[i] = start[i - 1];
    start[0] = 0;
    t.start[d] = start;
    t.list[d] = list;
  }
  return t;
}

}  // namespace

template <class T>
void pad_forward(T* y, const T* x, const PadGeometry& g, PadMode mode, double value) {
  const int k = g.k, last = k - 1;
  int64_t rows = g.planes, in_plane = 1;
  for (int d = 0; d < last; ++d) rows *= g.out[d];
  for (int d = 0; d < k; ++d) in_plane *= g.in[d];
  const int64_t width = g.out[last];
  if (rows * width == 0) return;
  const Tables t = build_tables(g, mode, false);
  const T fill = T(value);
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, width)),
               [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* yr = y + r * width;
      // r = (p, o_0, ..., o_{k-2}) in row-major order; the source row, unless one has none.
      int64_t rest = r, offset = 0, stride = g.in[last];
      bool inside = true;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t s = t.src[d][rest % g.out[d]];
        rest /= g.out[d];
        if (s < 0) inside = false;
        offset += s * stride;
        stride *= g.in[d];
      }
      if (!inside) {
        std::fill(yr, yr + width, fill);
        continue;
      }
      const T* xr = x + rest * in_plane + offset;
      const int64_t* src = t.src[last];
      for (int64_t j = 0; j < width; ++j) yr[j] = src[j] >= 0 ? xr[src[j]] : fill;
    }
  });
}

template <class T>
void pad_backward(T* dx, const T* dy, const PadGeometry& g, PadMode mode) {
  const int k = g.k, last = k - 1;
  int64_t rows = g.planes, out_plane = 1;
  for (int d = 0; d < last; ++d) rows *= g.in[d];
  for (int d = 0; d < k; ++d) out_plane *= g.out[d];
  const int64_t width = g.in[last];
  if (rows * width == 0) return;
  const Tables t = build_tables(g, mode, true);
  int64_t out_stride[kMaxPadDims];
  out_stride[last] = 1;
  for (int d = last - 1; d >= 0; --d) out_stride[d] = out_stride[d + 1] * g.out[d + 1];
  parallel_for(rows, std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, width)),
               [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* dxr = dx + r * width;
      std::fill(dxr, dxr + width, T(0));
      // r = (p, i_0, ..., i_{k-2}); for each leading dimension the range of outputs reading i_d.
      int64_t rest = r, lo[kMaxPadDims], hi[kMaxPadDims], pos[kMaxPadDims];
      bool empty = false;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t i = rest % g.in[d];
        rest /= g.in[d];
        lo[d] = pos[d] = t.start[d][i];
        hi[d] = t.start[d][i + 1];
        if (lo[d] == hi[d]) empty = true;
      }
      if (empty) continue;
      const T* dyp = dy + rest * out_plane;
      const int64_t* start = t.start[last];
      const int64_t* list = t.list[last];
      while (true) {
        int64_t offset = 0;
        for (int d = 0; d < last; ++d) offset += t.list[d][pos[d]] * out_stride[d];
        const T* dyr = dyp + offset;
        for (int64_t j = 0; j < width; ++j) {
          T acc = dxr[j];
          for (int64_t l = start[j]; l < start[j + 1]; ++l) acc += dyr[list[l]];
          dxr[j] = acc;
        }
        int d = last - 1;  // odometer over the leading dimensions, the innermost fastest
        while (d >= 0 && ++pos[d] == hi[d]) {
          pos[d] = lo[d];
          --d;
        }
        if (d < 0) break;
      }
    }
  });
}

template void pad_forward<float>(float*, const float*, const PadGeometry&, PadMode, double);
template void pad_forward<double>(double*, const double*, const PadGeometry&, PadMode, double);
template void pad_backward<float>(float*, const float*, const PadGeometry&, PadMode);
template void pad_backward<double>(double*, const double*, const PadGeometry&, PadMode);

}  // namespace fastnn::cpu
