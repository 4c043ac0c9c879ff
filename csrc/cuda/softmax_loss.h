// CUDA softmax, log-softmax and the fused cross-entropy: the contracts of cpu/softmax_loss.h
// (formulas, layouts, options) on device memory, enqueued on `stream`, with two differences a
// device imposes:
// - the upstream gradient of reduction 'mean' or 'sum' comes by value (grad_loss_scalar; it is
//   a number on the host), grad_loss_rows is the device array [N] of reduction 'none' (else null);
// Class indices must be valid (0 <= t < C or ignore_index): the binding checks them first, on
// the device (CudaBackend::cross_entropy_indices_check, cuda/index_check.h).
#pragma once
#include <cstdint>

#include "cpu/softmax_loss.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void softmax_forward(cudaStream_t stream, T* y, const T* x, int64_t outer, int64_t dim, int64_t inner, bool log);

template <class T>
void softmax_backward(cudaStream_t stream, T* dx, const T* dy, const T* y, int64_t outer, int64_t dim, int64_t inner,
                      bool log);

template <class T>
void cross_entropy_forward(cudaStream_t stream, T* loss, T* log_probs, const T* logits, const int64_t* target,
                           int64_t n, int64_t c, const cpu::CrossEntropyOptions<T>& opt);
template <class T>
void cross_entropy_backward(cudaStream_t stream, T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                            const T* log_probs, const int64_t* target, int64_t n, int64_t c,
                            const cpu::CrossEntropyOptions<T>& opt);
template <class T>
void cross_entropy_prob_forward(cudaStream_t stream, T* loss, T* log_probs, const T* logits, const T* target,
                                int64_t n, int64_t c, const cpu::CrossEntropyOptions<T>& opt);
template <class T>
void cross_entropy_prob_backward(cudaStream_t stream, T* grad_logits, const T* grad_loss_rows, T grad_loss_scalar,
                                 const T* log_probs, const T* target, int64_t n, int64_t c,
                                 const cpu::CrossEntropyOptions<T>& opt);

}  // namespace fastnn::cuda
