// The fixed order of additions of the reductions (cpu/reduce.cpp, cuda/reduce.cu):
// sum_dims adds the rows of the reduced axis in blocks of kSumBlockRows (each block's sum from
// zero, rows in order; inner == 1: kSumLanes interleaved lanes added pairwise at the end of the
// block) and the block sums in order; vector_norms cuts each array into chunks of kNormChunk
// elements, whose partial norms combine in order.
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace fastnn::cpu {

constexpr int64_t kSumBlockRows = 512;
constexpr int kSumLanes = 8;
constexpr int64_t kNormChunk = 16384;

FASTNN_HOST_DEVICE inline int64_t chunks_of(int64_t n, int64_t chunk) { return (n + chunk - 1) / chunk; }

// The sum of x[r0..r1) in double: kSumLanes interleaved lanes from r0, added pairwise at the end
// (the sum of one block of rows of sum_dims when inner == 1).
template <class T>
FASTNN_HOST_DEVICE double lanes_sum(const T* x, int64_t r0, int64_t r1) {
  double lane[kSumLanes] = {};
  int64_t r = r0;
  for (; r + kSumLanes <= r1; r += kSumLanes)
    for (int k = 0; k < kSumLanes; ++k) lane[k] += double(x[r + k]);
  for (int k = 0; r < r1; ++r, ++k) lane[k] += double(x[r]);
  for (int width = kSumLanes / 2; width > 0; width /= 2)
    for (int k = 0; k < width; ++k) lane[k] += lane[k + width];
  return lane[0];
}

}  // namespace fastnn::cpu
