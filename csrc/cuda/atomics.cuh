// Atomic operations CUDA lacks, written with the ones it has so that they are the same code on
// the device and under the emulator.
#pragma once
#include "cuda/launch.cuh"

namespace fastnn::cuda {

// Atomic maximum of a float (NaN is not supported). Floats with the sign bit clear order like
// their bit patterns as signed ints, floats with it set (-0.0 included) in reverse like their
// patterns as unsigned ints; returns the old value.
__device__ __forceinline__ float atomic_max(float* address, float value) {
  if (__float_as_int(value) >= 0) return __int_as_float(atomicMax(reinterpret_cast<int*>(address), __float_as_int(value)));
  return __uint_as_float(atomicMin(reinterpret_cast<unsigned*>(address), __float_as_uint(value)));
}

}  // namespace fastnn::cuda
