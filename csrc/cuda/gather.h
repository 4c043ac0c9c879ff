// CUDA gather and scatter-add along one dim: the contract of cpu/gather.h ([O, N, I] / [O, K, I]
// views, indices already checked to lie in [0, N)) on device memory, enqueued on `stream`.
// scatter_add uses no atomics: each destination is owned by one thread, which adds its sources
// in the order of k, as the CPU kernel does: the result is the CPU kernel's bit for bit.
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// out, index: [O, K, I]; x: [O, N, I].
template <class T>
void gather_forward(cudaStream_t stream, T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k,
                    int64_t i);

// out: [O, N, I] (updated in place); src, index: [O, K, I].
template <class T>
void scatter_add_forward(cudaStream_t stream, T* out, const T* src, const int64_t* index, int64_t o, int64_t n,
                         int64_t k, int64_t i);

}  // namespace fastnn::cuda
