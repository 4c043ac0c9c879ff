// CUDA scaled dot-product attention: the contract of cpu/attention.h (formula, layouts, the
// additive or causal mask, fully masked rows giving 0 and no gradient, dM = dS on request) on
// device memory, enqueued on `stream`. Nothing of size Tq x Tk is stored (grad_mask aside).
#pragma once
#include <cstdint>

#include "cpu/attention.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

using cpu::AttentionMask;
using cpu::AttentionSizes;

// out: [N, Tq, Ev]; q: [N, Tq, E]; k: [N, Tk, E]; v: [N, Tk, Ev].
template <class T>
void attention_forward(cudaStream_t stream, T* out, const T* q, const T* k, const T* v, const AttentionSizes& s,
                       T scale, const AttentionMask<T>& mask);

// grad_q, grad_k, grad_v: the shapes of q, k, v; grad_mask: [N, Tq, Tk] (dS) or null; grad_out: [N, Tq, Ev].
template <class T>
void attention_backward(cudaStream_t stream, T* grad_q, T* grad_k, T* grad_v, T* grad_mask, const T* grad_out,
                        const T* q, const T* k, const T* v, const AttentionSizes& s, T scale,
                        const AttentionMask<T>& mask);

}  // namespace fastnn::cuda
