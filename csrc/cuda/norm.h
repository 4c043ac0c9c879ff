// CUDA batch and layer normalisation: the contracts of cpu/norm.h (formulas, layouts, optional
// pointers, running statistics, M = 1 refused in training, gradients written) on device memory,
// enqueued on `stream`. y may be x (in place).
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

// y: [N, C, S]; mean, invstd: [C]; running_mean, running_var: [C]; x: [N, C, S]; weight, bias: [C].
template <class T>
void batch_norm_forward(cudaStream_t stream, T* y, T* mean, T* invstd, T* running_mean, T* running_var, const T* x,
                        const T* weight, const T* bias, int64_t n, int64_t c, int64_t s, bool training,
                        double momentum, double eps);

// dx: [N, C, S]; dweight, dbias: [C]; dy, x: [N, C, S]; mean, invstd: [C] from the forward.
template <class T>
void batch_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* invstd, const T* weight, int64_t n, int64_t c, int64_t s, bool training);

// y: [R, D]; mean, rstd: [R]; x: [R, D]; weight, bias: [D].
template <class T>
void layer_norm_forward(cudaStream_t stream, T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        int64_t rows, int64_t cols, double eps);

// dx: [R, D]; dweight, dbias: [D]; dy, x: [R, D]; mean, rstd: [R] from the forward; weight: [D].
// dx may be dy (group_norm_backward passes its scaled upstream gradient that way).
template <class T>
void layer_norm_backward(cudaStream_t stream, T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean,
                         const T* rstd, const T* weight, int64_t rows, int64_t cols);

}  // namespace fastnn::cuda
