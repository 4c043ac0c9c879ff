// CUDA linear / bilinear / bicubic interpolation: the contract of cpu/interpolate.h (PyTorch's
// index rules, align_corners, scale factors) on device memory, enqueued on `stream`. Taps,
// weights and sums are computed in double with the CPU kernel's operations in its order (no
// fused multiply-adds), and the backward gathers with no atomics: the results are the CPU
// kernel's bit for bit.
#pragma once
#include <cstdint>

#include "cpu/interpolate.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// y: [P, OH, OW] (written); x: [P, H, W].
template <class T>
void interpolate_forward(cudaStream_t stream, T* y, const T* x, const cpu::InterpGeometry& g, cpu::InterpMode mode);

// dx: [P, H, W] (written); dy: [P, OH, OW].
template <class T>
void interpolate_backward(cudaStream_t stream, T* dx, const T* dy, const cpu::InterpGeometry& g,
                          cpu::InterpMode mode);

}  // namespace fastnn::cuda
