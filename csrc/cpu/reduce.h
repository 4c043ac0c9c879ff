// Reductions on the CPU backend (checks: ops/reduce.h).
//
//   sum_dims      y[o, i] = sum_r x[o, r, i]: x C-contiguous seen as [outer, reduced, inner],
//                 y [outer, inner]; the bias gradients and broadcast sums of autograd.
//   vector_norms  norms[t] = ||x_t||_ord for `count` contiguous arrays of one dtype
//                 (cpu/vector_norm.h: the orders and their arithmetic); gradient clipping.
//
// Both accumulate in double and add in an order fixed by the shapes alone (reduce_order.h), so
// results are identical for any thread count.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

template <class T>
void sum_dims(T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner);

template <class T>
void vector_norms(T* norms, const T* const* data, const int64_t* sizes, int count, double ord);

}  // namespace fastnn::cpu
