// CUDA embedding lookup and gradient: the contract of cpu/embedding.h (weight [V, D] row-major,
// ids [N], rows of out [N, D]; the backward sums each row's gradients in the order of n and
// leaves padding_idx's row 0) on device memory, enqueued on `stream`. Ids must lie in [0, V): the
// binding checks them first, on the device (CudaBackend::embedding_indices_check).
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

template <class T>
void embedding_forward(cudaStream_t stream, T* out, const T* weight, const int64_t* ids, int64_t n, int64_t d);

// grad_weight [V, D] is overwritten (zeroed, then accumulated).
template <class T>
void embedding_backward(cudaStream_t stream, T* grad_weight, const T* grad_out, const int64_t* ids, int64_t n,
                        int64_t num_embeddings, int64_t d, int64_t padding_idx);

}  // namespace fastnn::cuda
