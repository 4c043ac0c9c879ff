// Gather and scatter-add along a dim on CUDA                       (contract: gather.h)
//
// Formulas (cpu/gather.h):
//   gather:      out[o, k, i] = x[o, index[o, k, i], i]
//   scatter_add: out[o, index[o, k, i], i] += src[o, k, i], each destination's sum in order of k
//
// Layouts: x and scatter's out [O, N, I]; index, src and gather's out [O, K, I]; row-major.
//
// Algorithms: gather, one thread per out element. scatter_add, deterministic by ownership (the
// embedding backward's scheme), no atomics: the N destinations of column (o, i) are cut into S
// contiguous slices, S = min(N, kMaxSlices, enough for kTargetThreads threads in all), and thread
// (s, o, i) walks k = 0 .. K - 1, adding src[o, k, i] where index[o, k, i] falls in slice s.
// Consecutive threads take consecutive i (coalesced loads of index and src). Each destination
// has one owner, which adds in the order of k whatever the schedule: the CPU kernel's bits.
// 256 threads per block, grid-stride loops past kMaxGridBlocks blocks.
#include "cuda/gather.h"

#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxSlices = 256;
constexpr int64_t kTargetThreads = int64_t(1) << 16;

template <class T>
__global__ void __launch_bounds__(kThreads)
    gather_forward_kernel(T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i) {
  const int64_t total = o * k * i, stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    const int64_t ii = e % i, oo = e / (k * i);
    out[e] = x[(oo * n + index[e]) * i + ii];
  }
}

// Slice s of S over [0, n): [s (n / S) + min(s, n % S), the same for s + 1).
__device__ __forceinline__ int64_t slice_start(int64_t s, int64_t slices, int64_t n) {
  const int64_t extra = n % slices;
  return s * (n / slices) + (s < extra ? s : extra);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    scatter_add_forward_kernel(T* out, const T* src, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i,
                               int64_t slices) {
  const int64_t total = slices * o * i, stride = int64_t(gridDim.x) * kThreads;
  for (int64_t t = int64_t(blockIdx.x) * kThreads + threadIdx.x; t < total; t += stride) {
    const int64_t ii = t % i, oo = t / i % o, s = t / (o * i);
    const int64_t first = slice_start(s, slices, n), end = slice_start(s + 1, slices, n);
    T* column = out + oo * n * i + ii;
    const int64_t base = oo * k * i + ii;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t v = index[base + kk * i];
      if (v >= first && v < end) column[v * i] += src[base + kk * i];
    }
  }
}

}  // namespace

template <class T>
void gather_forward(cudaStream_t stream, T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k,
                    int64_t i) {
  if (o == 0 || k == 0 || i == 0) return;
  FASTNN_LAUNCH(gather_forward_kernel<T>)(grid_stride_blocks(o * k * i, kThreads), dim3(kThreads), 0, stream, out, x,
                                          index, o, n, k, i);
}

template <class T>
void scatter_add_forward(cudaStream_t stream, T* out, const T* src, const int64_t* index, int64_t o, int64_t n,
                         int64_t k, int64_t i) {
  if (o == 0 || n == 0 || k == 0 || i == 0) return;
  const int64_t columns = o * i;
  int64_t slices = (kTargetThreads + columns - 1) / columns;
  slices = slices < kMaxSlices ? slices : kMaxSlices;
  slices = slices < n ? slices : n;
  FASTNN_LAUNCH(scatter_add_forward_kernel<T>)(grid_stride_blocks(slices * columns, kThreads), dim3(kThreads), 0,
                                               stream, out, src, index, o, n, k, i, slices);
}

template void gather_forward<float>(cudaStream_t, float*, const float*, const int64_t*, int64_t, int64_t, int64_t,
                                    int64_t);
template void gather_forward<double>(cudaStream_t, double*, const double*, const int64_t*, int64_t, int64_t, int64_t,
                                     int64_t);
template void scatter_add_forward<float>(cudaStream_t, float*, const float*, const int64_t*, int64_t, int64_t,
                                         int64_t, int64_t);
template void scatter_add_forward<double>(cudaStream_t, double*, const double*, const int64_t*, int64_t, int64_t,
                                          int64_t, int64_t);

}  // namespace fastnn::cuda
