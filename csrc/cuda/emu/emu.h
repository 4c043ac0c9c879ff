// The SIMT emulator: compiles CUDA kernels (.cu files) with the host compiler and runs them on
// the CPU with CUDA's semantics. One fiber per CUDA thread; a block's fibers run on one worker
// thread, blocks spread over the workers. Included by csrc/cuda/launch.cuh when the compiler
// is not nvcc; kernel code includes launch.cuh only.
//
//   keywords.h, vector_types.h   __global__ & co., dim3, float4, ...
//   context*.h, stack.h, asan.h  fibers: context switch, stacks, AddressSanitizer annotations
//   options.h                    schedule (forward/reverse/random), workers, stack size
//   worker.h, shared_arena.h     launch/worker/fiber state, per-block shared memory
//   block_scheduler.h            passes, barriers, deadlock and divergence detection
//   warp_collective.h            __syncwarp, shuffles and votes per warp
//   device_api.h, atomics.h,     what kernels call
//   intrinsics.h, shared_memory.h
//   runtime.h, launch.h          cudaMalloc & co., the launch over workers
#pragma once

#include "cuda/emu/vector_types.h"
#include "cuda/emu/options.h"
#include "cuda/emu/launch.h"
#include "cuda/emu/device_api.h"
#include "cuda/emu/atomics.h"
#include "cuda/emu/intrinsics.h"
#include "cuda/emu/shared_memory.h"
#include "cuda/emu/runtime.h"
// Last: the keyword macros must not reach the standard headers above.
#include "cuda/emu/keywords.h"
