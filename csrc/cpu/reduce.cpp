// Reductions on the CPU                                          (contract: reduce.h)
//
// sum_dims: x [outer, reduced, inner] -> y [outer, inner]. Work items are (o, a tile of up to
// kColumns columns); each item adds the reduced rows in blocks of kSumBlockRows (reduce_order.h),
// per column in double, block sums in order. When the output has too few items to share between
// threads (a full sum, a bias of a few channels), the blocks are shared instead: each block's sums
// go to a buffer and are then added in block order, the same additions as the item loop makes.
// Which of the two runs depends on the shape alone.
//
// vector_norms: every array cut into chunks of kNormChunk elements; the chunks of all arrays are
// shared between threads, each chunk's partial (vector_norm.h's terms combined in kSumLanes
// interleaved lanes, then pairwise) goes to a buffer, and each array's partials combine in order.
#include "cpu/reduce.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"
#include "cpu/reduce_order.h"
#include "cpu/vector_norm.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kColumns = 64;
// Elements a thread should have before a loop is shared (a wake-up costs about as much as this).
constexpr int64_t kParallelElements = 1 << 16;

int64_t min_chunk(int64_t elements_per_item) {
  return std::max<int64_t>(1, kParallelElements / std::max<int64_t>(1, elements_per_item));
}

// sums[j] = sum of rows [r0, r1) of column j of slab (a [rows, inner] matrix), j < cols.
template <class T>
void block_sums(double* sums, const T* slab, int64_t inner, int64_t r0, int64_t r1, int64_t cols) {
  if (inner == 1) {
    sums[0] = lanes_sum(slab, r0, r1);
    return;
  }
  std::fill(sums, sums + cols, 0.0);
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = slab + r * inner;
    for (int64_t j = 0; j < cols; ++j) sums[j] += double(row[j]);
  }
}

template <class T>
void sum_items(T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner) {
  const int64_t tiles = chunks_of(inner, kColumns), blocks = chunks_of(reduced, kSumBlockRows);
  parallel_for(outer * tiles, min_chunk(reduced * std::min(inner, kColumns)), [&](int64_t begin, int64_t end) {
    double total[kColumns], part[kColumns];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t o = item / tiles, c0 = (item % tiles) * kColumns, cols = std::min(kColumns, inner - c0);
      const T* slab = x + o * reduced * inner + c0;
      std::fill(total, total + cols, 0.0);
      for (int64_t b = 0; b < blocks; ++b) {
        block_sums(part, slab, inner, b * kSumBlockRows, std::min(reduced, (b + 1) * kSumBlockRows), cols);
        for (int64_t j = 0; j < cols; ++j) total[j] += part[j];
      }
      for (int64_t j = 0; j < cols; ++j) y[o * inner + c0 + j] = T(total[j]);
    }
  });
}

template <class T>
void sum_blocks(T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner) {
  const int64_t blocks = chunks_of(reduced, kSumBlockRows), outputs = outer * inner;
  std::vector<double> partial(size_t(blocks * outputs));
  parallel_for(blocks, min_chunk(kSumBlockRows * outputs), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t c0 = 0; c0 < inner; c0 += kColumns)
          block_sums(&partial[size_t(b * outputs + o * inner + c0)], x + o * reduced * inner + c0, inner,
                     b * kSumBlockRows, std::min(reduced, (b + 1) * kSumBlockRows), std::min(kColumns, inner - c0));
  });
  for (int64_t i = 0; i < outputs; ++i) {
    double total = 0.0;
    for (int64_t b = 0; b < blocks; ++b) total += partial[size_t(b * outputs + i)];
    y[i] = T(total);
  }
}

template <class T>
double chunk_norm(const VectorNorm& norm, const T* x, int64_t n) {
  double lane[kSumLanes];
  std::fill(lane, lane + kSumLanes, norm.identity());
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int k = 0; k < kSumLanes; ++k) lane[k] = norm.combine(lane[k], norm.term(double(x[i + k])));
  for (int k = 0; i < n; ++i, ++k) lane[k] = norm.combine(lane[k], norm.term(double(x[i])));
  for (int width = kSumLanes / 2; width > 0; width /= 2)
    for (int k = 0; k < width; ++k) lane[k] = norm.combine(lane[k], lane[k + width]);
  return lane[0];
}

}  // namespace

template <class T>
void sum_dims(T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner) {
  if (outer * chunks_of(inner, kColumns) >= 8 || reduced <= kSumBlockRows)
    sum_items(y, x, outer, reduced, inner);
  else
    sum_blocks(y, x, outer, reduced, inner);
}

template <class T>
void vector_norms(T* norms, const T* const* data, const int64_t* sizes, int count, double ord) {
  const VectorNorm norm = VectorNorm::of_order(ord);
  std::vector<int64_t> first_chunk(size_t(count) + 1, 0);
  for (int t = 0; t < count; ++t) first_chunk[t + 1] = first_chunk[t] + chunks_of(sizes[t], kNormChunk);
  std::vector<double> partial(size_t(first_chunk[count]));
  parallel_for(first_chunk[count], min_chunk(kNormChunk), [&](int64_t begin, int64_t end) {
    int t = int(std::upper_bound(first_chunk.begin(), first_chunk.end(), begin) - first_chunk.begin()) - 1;
    for (int64_t c = begin; c < end; ++c) {
      while (c >= first_chunk[t + 1]) ++t;
      const int64_t start = (c - first_chunk[t]) * kNormChunk;
      partial[size_t(c)] = chunk_norm(norm, data[t] + start, std::min(kNormChunk, sizes[t] - start));
    }
  });
  for (int t = 0; t < count; ++t) {
    double acc = norm.identity();
    for (int64_t c = first_chunk[t]; c < first_chunk[t + 1]; ++c) acc = norm.combine(acc, partial[size_t(c)]);
    norms[t] = T(norm.finish(acc));
  }
}

template void sum_dims<float>(float*, const float*, int64_t, int64_t, int64_t);
template void sum_dims<double>(double*, const double*, int64_t, int64_t, int64_t);
template void vector_norms<float>(float*, const float* const*, const int64_t*, int, double);
template void vector_norms<double>(double*, const double* const*, const int64_t*, int, double);

}  // namespace fastnn::cpu
