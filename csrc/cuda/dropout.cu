// Dropout on CUDA                                                  (contract: dropout.h)
//
// Formulas (cpu/dropout.h): element i, j = offset + i, is kept iff word j % 4 of
// Philox4x32-10(counter j / 4, key seed) >= round(p 2^32); mask_i = keep_i,
// y_i = x_i * (keep_i ? 1 / (1 - p) : 0), dx_i = dy_i * (mask_i ? 1 / (1 - p) : 0) (0 when p = 1).
//
// Layouts: x, y, dy, dx contiguous with n elements; mask uint8 [n] (0 or 1).
//
// Algorithm: forward, one thread per Philox counter (its four words serve up to four consecutive
// elements; the first and last counters are partial when offset or offset + n is not a multiple
// of 4), 256 threads per block, a grid-stride loop past kMaxGridBlocks blocks; backward, one thread
// per element. Each element depends only on (seed, offset + i): the mask is the CPU kernel's.
#include "cuda/dropout.h"

#include "core/philox.h"
#include "cpu/dropout.h"
#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;

// Counter c = first_counter + k covers elements i in [4c - offset, 4c + 4 - offset) within [0, n).
template <class T>
__global__ void __launch_bounds__(kThreads)
    dropout_forward_kernel(T* y, uint8_t* mask, const T* x, int64_t n, int64_t counters, uint64_t threshold, T scale,
                           uint64_t seed, uint64_t offset) {
  const uint64_t first_counter = offset / 4;
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t k = int64_t(blockIdx.x) * kThreads + threadIdx.x; k < counters; k += stride) {
    const uint64_t counter = first_counter + uint64_t(k);
    const Philox4x32 r = philox4x32(counter, seed);
    FASTNN_UNROLL
    for (int word = 0; word < 4; ++word) {
      const uint64_t j = 4 * counter + uint64_t(word);
      if (j < offset) continue;
      const uint64_t i = j - offset;
      if (i >= uint64_t(n)) break;
      const bool keep = r.v[word] >= threshold;
      mask[i] = keep;
      y[i] = x[i] * (keep ? scale : T(0));
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    dropout_backward_kernel(T* dx, const T* dy, const uint8_t* mask, int64_t n, T scale) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride)
    dx[i] = dy[i] * (mask[i] ? scale : T(0));
}

}  // namespace

template <class T>
void dropout_forward(cudaStream_t stream, T* y, uint8_t* mask, const T* x, int64_t n, double p, uint64_t seed,
                     uint64_t offset) {
  if (n == 0) return;
  const int64_t counters = int64_t((offset % 4 + uint64_t(n) + 3) / 4);
  FASTNN_LAUNCH(dropout_forward_kernel<T>)(grid_stride_blocks(counters, kThreads), dim3(kThreads), 0, stream, y, mask,
                                           x, n, counters, cpu::dropout_threshold(p), cpu::dropout_keep_scale<T>(p),
                                           seed, offset);
}

template <class T>
void dropout_backward(cudaStream_t stream, T* dx, const T* dy, const uint8_t* mask, int64_t n, double p) {
  if (n == 0) return;
  FASTNN_LAUNCH(dropout_backward_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, dx, dy, mask, n,
                                            cpu::dropout_keep_scale<T>(p));
}

template void dropout_forward<float>(cudaStream_t, float*, uint8_t*, const float*, int64_t, double, uint64_t,
                                     uint64_t);
template void dropout_forward<double>(cudaStream_t, double*, uint8_t*, const double*, int64_t, double, uint64_t,
                                      uint64_t);
template void dropout_backward<float>(cudaStream_t, float*, const float*, const uint8_t*, int64_t, double);
template void dropout_backward<double>(cudaStream_t, double*, const double*, const uint8_t*, int64_t, double);

}  // namespace fastnn::cuda
