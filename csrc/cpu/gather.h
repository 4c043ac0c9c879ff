// Gather and scatter-add along one dim, as torch.gather / Tensor.scatter_add_. Arrays are seen as
// [O, N, I] (x, out of scatter: N = size at dim) and [O, K, I] (index, src, out of gather), row-major,
// O = product of the dims before dim, I = product of the dims after it:
//   gather:      out[o, k, i]  = x[o, index[o, k, i], i]
//   scatter_add: out[o, index[o, k, i], i] += src[o, k, i]   (out holds the input already)
// Work is split into (o, block of I) tasks; a task owns out[o, :, block] and walks k in order, so
// every sum runs in the order of k whatever the thread count (no atomics, bitwise reproducible).
// Indices must lie in [0, N): check_gather_index checks them (the kernels never read outside).
#pragma once
#include <cstdint>
#include <string>

namespace fastnn::cpu {

// "" when x (ndim dims) and index have the same number of dims and the same sizes except at dim,
// else a message saying what differs.
std::string check_gather_shapes(const int64_t* x_shape, const int64_t* index_shape, int ndim, int index_ndim, int dim);

// "" when every index is in [0, n), else a message naming the first bad one.
std::string check_gather_index(const int64_t* index, int64_t count, int64_t n);

template <class T>
void gather_forward(T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i);

template <class T>
void scatter_add_forward(T* out, const T* src, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i);

}  // namespace fastnn::cpu
