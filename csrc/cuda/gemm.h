// CUDA GEMM with a fused epilogue: the same contract as fastnn::cpu::gemm (csrc/cpu/gemm.h),
//   C = act(alpha * op(A) @ op(B) + beta * C + bias),
// on device memory, enqueued on `stream`. `version` picks a kernel of gemm.cu (0: the best,
// 1..kGemmVersions-1: the numbered ones, for tests and benchmarks). Results do not depend on
// the schedule: each element of C is summed by one thread in a fixed order, no atomics.
#pragma once
#include "cpu/gemm.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

inline constexpr int kGemmVersions = 5;

template <class T>
void gemm(const cpu::GemmProblem<T>& problem, cudaStream_t stream, int version = 0);

// The float64 triple loop the kernels are checked against (host memory): out[i*n + j].
template <class T>
void gemm_reference(const cpu::GemmProblem<T>& problem, const T* c_before, double* out);

}  // namespace fastnn::cuda
