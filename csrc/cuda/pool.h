// CUDA pooling and nearest upsampling: the contract of cpu/pool.h (formulas, layouts, PyTorch's
// rules for ties, NaN, padding, ceil_mode, divisors and nearest indices) on device memory,
// enqueued on `stream`. The backward kernels use no atomics: each dx element is summed by one
// thread in the CPU kernel's order (outputs in row-major order), so every result is the CPU
// kernel's bit for bit.
#pragma once
#include <cstdint>

#include "cpu/pool.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

using cpu::PlaneShape;
using cpu::PoolWindow;

template <class T>
void max_pool2d_forward(cudaStream_t stream, T* y, int64_t* indices, const T* x, const PlaneShape& s,
                        const PoolWindow& w);
template <class T>
void max_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const int64_t* indices, const PlaneShape& s);

template <class T>
void avg_pool2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s, const PoolWindow& w,
                        bool count_include_pad, int64_t divisor_override);
template <class T>
void avg_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s, const PoolWindow& w,
                         bool count_include_pad, int64_t divisor_override);

template <class T>
void adaptive_avg_pool2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s);
template <class T>
void adaptive_avg_pool2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s);

template <class T>
void upsample_nearest2d_forward(cudaStream_t stream, T* y, const T* x, const PlaneShape& s, double scale_h,
                                double scale_w);
template <class T>
void upsample_nearest2d_backward(cudaStream_t stream, T* dx, const T* dy, const PlaneShape& s, double scale_h,
                                 double scale_w);

}  // namespace fastnn::cuda
