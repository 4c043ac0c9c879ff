// Deterministic block reductions: every thread's value combined by a fixed-order tree in shared
// memory (thread t with t + s, s = blockDim/2, ..., 1), so the result never depends on the
// schedule or on the hardware; no atomics. The block must have exactly kThreads threads in x.
#pragma once
#include "cuda/launch.cuh"
#include "cuda/math.cuh"

namespace fastnn::cuda {

struct SumOp {
  template <class A>
  __device__ __forceinline__ A operator()(A a, A b) const {
    return a + b;
  }
};

struct MaxOp {  // NaN wins, as in PyTorch's max
  template <class A>
  __device__ __forceinline__ A operator()(A a, A b) const {
    return math::max_nan(a, b);
  }
};

// The reduction of every thread's `value`, returned to all threads. `buffer` is kThreads
// elements of shared memory; it may be reused as soon as this returns.
template <int kThreads, class A, class Op>
__device__ __forceinline__ A block_reduce(A value, A* buffer, Op op) {
  static_assert(kThreads > 0 && (kThreads & (kThreads - 1)) == 0, "kThreads must be a power of two");
  const int t = threadIdx.x;
  buffer[t] = value;
  __syncthreads();
  FASTNN_UNROLL
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (t < s) buffer[t] = op(buffer[t], buffer[t + s]);
    __syncthreads();
  }
  const A result = buffer[0];
  __syncthreads();  // everyone has read buffer[0] before a next reduction overwrites it
  return result;
}

}  // namespace fastnn::cuda
