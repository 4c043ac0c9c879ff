// CUDA pixel shuffle and unshuffle: the contract of cpu/pixel_shuffle.h (pure permutations, each
// the other's backward) on device memory, enqueued on `stream`.
#pragma once
#include <cstdint>

#include "cpu/pixel_shuffle.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// y: [B, C, H r, W r]; x: [B, C r^2, H, W].
template <class T>
void pixel_shuffle_forward(cudaStream_t stream, T* y, const T* x, const cpu::PixelShuffleGeometry& g);

// y: [B, C r^2, H, W]; x: [B, C, H r, W r].
template <class T>
void pixel_unshuffle_forward(cudaStream_t stream, T* y, const T* x, const cpu::PixelShuffleGeometry& g);

}  // namespace fastnn::cuda
