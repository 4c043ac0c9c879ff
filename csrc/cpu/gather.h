// Gather and scatter-add along one dim, as torch.gather / Tensor.scatter_add_. Arrays are seen as
// [O, N, I] (x, out of scatter: N = size at dim) and [O, K, I] (index, src, out of gather), row-major,
// O = product of the dims before dim, I = product of the dims after it:
//   gather:      out[o, k, i]  = x[o, index[o, k, i], i]
//   scatter_add: out[o, index[o, k, i], i] += src[o, k, i]   (out holds the input already)
// Work is split into (o, block of I) tasks; a task owns out[o, :, block] and walks k in order, so
// every sum runs in the order of k whatever the thread count (no atomics, bitwise reproducible).
// Indices must lie in [0, N): ops/gather.h checks them (the kernels never read outside).
#pragma once
#include <cstdint>

namespace fastnn::cpu {

template <class T>
void gather_forward(T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i);

template <class T>
void scatter_add_forward(T* out, const T* src, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i);

}  // namespace fastnn::cpu
