// CUDA dropout: the contract of cpu/dropout.h on device memory, enqueued on `stream`. The mask
// is the CPU kernel's, bit for bit (the same Philox4x32-10 words, core/philox.h), for the same
// seed and offset. y may be x and dx may be dy (in place).
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void dropout_forward(cudaStream_t stream, T* y, uint8_t* mask, const T* x, int64_t n, double p, uint64_t seed,
                     uint64_t offset);

template <class T>
void dropout_backward(cudaStream_t stream, T* dx, const T* dy, const uint8_t* mask, int64_t n, double p);

}  // namespace fastnn::cuda
