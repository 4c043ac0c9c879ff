// CUDA group normalisation: the contract of cpu/group_norm.h (formulas, layout, optional
// pointers, gradients written) on device memory, enqueued on `stream`. y may be x (in place).
#pragma once
#include <cstdint>

#include "cpu/group_norm.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// y: [N, C, S]; mean, rstd: [N, G]; x: [N, C, S]; weight, bias: [C].
template <class T>
void group_norm_forward(cudaStream_t stream, T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        const cpu::GroupNormGeometry& g, double eps);

// dx: [N, C, S]; dweight, dbias: [C]; dy, x: [N, C, S]; mean, rstd: [N, G] from the forward; weight: [C].
template <class T>
void group_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* rstd, const T* weight, const cpu::GroupNormGeometry& g);

}  // namespace fastnn::cuda
