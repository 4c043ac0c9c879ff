// CUDA convolution: the contract of cpu/conv.h (formulas, NCHW layouts, Conv2dShape with its
// top/left padding and output size, conv1d as H = kH = 1, conv_transpose2d through the same
// three kernels) on device memory, enqueued on `stream`. `algorithm` names a CPU algorithm and is
// accepted for a common signature: CUDA has one path per shape (conv.cu's header). Every output
// is written (=); no kernel uses atomics, so every result is bitwise repeatable.
#pragma once
#include <cstdint>

#include "cpu/conv.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

using cpu::Conv2dShape;
using cpu::ConvAlgorithm;

template <class T>
void conv2d_forward(cudaStream_t stream, T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s,
                    ConvAlgorithm algorithm);

template <class T>
void conv2d_backward_input(cudaStream_t stream, T* dx, const T* dy, const T* w, const Conv2dShape& s,
                           ConvAlgorithm algorithm);

template <class T>
void conv2d_backward_weight(cudaStream_t stream, T* dw, const T* dy, const T* x, const Conv2dShape& s,
                            ConvAlgorithm algorithm);

// db[o] = sum over n, p of dy[n, o, p]; dy: [N, O, P].
template <class T>
void conv2d_backward_bias(cudaStream_t stream, T* db, const T* dy, int64_t batch, int64_t channels, int64_t plane);

// y[n, o, :] += bias[o]; y: [N, O, P].
template <class T>
void conv_add_bias(cudaStream_t stream, T* y, const T* bias, int64_t batch, int64_t channels, int64_t plane);

}  // namespace fastnn::cuda
