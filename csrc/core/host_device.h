// FASTNN_HOST_DEVICE marks a function that both the host and the device call: __host__ __device__
// under nvcc, nothing for the host compiler (the CPU build and the CUDA emulator, where
// cuda/emu/keywords.h makes __host__ and __device__ empty as well).
#pragma once

#if defined(__CUDACC__)
#define FASTNN_HOST_DEVICE __host__ __device__
#else
#define FASTNN_HOST_DEVICE
#endif
