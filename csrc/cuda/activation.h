// CUDA activations: the contract of fastnn::cpu::activation_forward / _backward (cpu/activation.h:
// formulas, PyTorch's semantics, NaN in gives NaN out) on device memory, enqueued on `stream`.
// Arrays are contiguous with n elements; y may be x and dx may be dy or saved (in place).
#pragma once
#include <cstdint>

#include "cpu/activation.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void activation_forward(cudaStream_t stream, cpu::ActOp op, T* y, const T* x, int64_t n,
                        const cpu::ActParams<T>& params);

template <class T>
void activation_backward(cudaStream_t stream, cpu::ActOp op, T* dx, const T* dy, const T* saved, int64_t n,
                         const cpu::ActParams<T>& params);

}  // namespace fastnn::cuda
