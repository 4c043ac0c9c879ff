// CUDA fused optimizer updates: the contracts of cpu/optim.h (formulas: PyTorch's single-tensor
// arithmetic, coefficients in double rounded to the parameter's dtype) on device memory, enqueued
// on `stream`. The float32 step count (and NAdam's mu_product) are device scalars: the update
// kernel reads them and a one-thread kernel after it advances them, so no host-side counter exists.
#pragma once
#include <cstdint>

#include "cpu/optim.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void sgd_step(cudaStream_t stream, T* param, T* momentum_buffer, bool first_step, const T* grad, int64_t n,
              const cpu::SgdOptions& o);
template <class T>
void adagrad_step(cudaStream_t stream, T* param, T* sum, float* step, const T* grad, int64_t n,
                  const cpu::AdagradOptions& o);
template <class T>
void rmsprop_step(cudaStream_t stream, T* param, T* square_avg, T* grad_avg, T* momentum_buffer, float* step,
                  const T* grad, int64_t n, const cpu::RmspropOptions& o);
template <class T>
void adam_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, float* step,
               const T* grad, int64_t n, const cpu::AdamOptions& o);
template <class T>
void adamax_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_inf, float* step, const T* grad, int64_t n,
                 const cpu::AdamaxOptions& o);
template <class T>
void nadam_step(cudaStream_t stream, T* param, T* exp_avg, T* exp_avg_sq, float* step, float* mu_product,
                const T* grad, int64_t n, const cpu::NadamOptions& o);
template <class T>
void adadelta_step(cudaStream_t stream, T* param, T* square_avg, T* acc_delta, float* step, const T* grad, int64_t n,
                   const cpu::AdadeltaOptions& o);

}  // namespace fastnn::cuda
