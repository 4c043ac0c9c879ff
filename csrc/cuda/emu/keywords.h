// CUDA's declaration keywords for the host compiler. Functions and variables keep their plain C++
// meaning: __global__ / __device__ functions are ordinary functions the fibers call, __constant__
// and __device__ variables are ordinary globals shared by every block.
//
// Two keywords cannot keep their spelling: a prefix keyword cannot give a declaration per-block
// storage in C++, so shared memory is declared with FASTNN_SHARED / FASTNN_DYNAMIC_SHARED
// (shared_memory.h). A plain __shared__ is a compile error here rather than a silent thread_local.
#pragma once

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ _Pragma("GCC error \"use FASTNN_SHARED(type, name, dims) or FASTNN_DYNAMIC_SHARED(type, name): a plain __shared__ has no per-block storage under the emulator\"")
// __restrict__ is already a GNU keyword; __noinline__ is left alone because libstdc++ spells
// __attribute__((__noinline__)) and a macro would break it.
