// CUDA reductions: the contracts of cpu/reduce.h on device memory, enqueued on `stream`.
// sum_dims gives the CPU kernel's bits (the same additions, reduce_order.h); vector_norms is
// deterministic (fixed-order trees) but rounds differently from the CPU kernel. `data` and
// `sizes` are host arrays of `count` device pointers and sizes.
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void sum_dims(cudaStream_t stream, T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner);

template <class T>
void vector_norms(cudaStream_t stream, T* norms, const T* const* data, const int64_t* sizes, int count, double ord);

}  // namespace fastnn::cuda
