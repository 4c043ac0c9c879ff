// CUDA padding (F.pad): the contract of cpu/padding.h (every mode, negative pads cropping) on
// device memory, enqueued on `stream`. The backward gathers with no atomics, in the CPU kernel's
// order: the result is the CPU kernel's bit for bit.
#pragma once
#include <cstdint>

#include "cpu/padding.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// y: [P, O...] (written); x: [P, D...].
template <class T>
void pad_forward(cudaStream_t stream, T* y, const T* x, const cpu::PadGeometry& g, cpu::PadMode mode, double value);

// dx: [P, D...] (written); dy: [P, O...].
template <class T>
void pad_backward(cudaStream_t stream, T* dx, const T* dy, const cpu::PadGeometry& g, cpu::PadMode mode);

}  // namespace fastnn::cuda
