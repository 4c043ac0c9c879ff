// Embedding lookup and its gradient, weight [V, D] row-major, ids [N], rows of out [N, D]:
//   forward:  out[n, :] = weight[ids[n], :]
//   backward: grad_weight[v, :] = sum of grad_out[n, :] over n with ids[n] == v, in order of n;
//             the row padding_idx gets no gradient (stays 0). padding_idx < 0: no padding row.
// The backward scatter-add is made deterministic by ownership, not atomics: threads split the
// D columns (in cache-line-wide groups, so no two threads write one line) and every thread walks
// all N ids in order, so each sum runs in the order of n whatever the thread count.
// Ids must lie in [0, V): the bindings check (a kernel never reads outside weight).
#pragma once
#include <cstdint>

namespace fastnn::cpu {

template <class T>
void embedding_forward(T* out, const T* weight, const int64_t* ids, int64_t n, int64_t d);

// grad_weight [V, D] is overwritten (zeroed, then accumulated).
template <class T>
void embedding_backward(T* grad_weight, const T* grad_out, const int64_t* ids, int64_t n, int64_t num_embeddings,
                        int64_t d, int64_t padding_idx);

}  // namespace fastnn::cpu
