// Scaled dot-product attention, forward and backward, over N independent (batch, head) blocks:
//   S = scale * Q K^T + M,   P = softmax over each row of S,   O = P V
//   Q [N, Tq, E], K [N, Tk, E], V [N, Tk, Ev], O [N, Tq, Ev], all C-contiguous.
//   M is optional: an additive float mask read through element strides (0 broadcasts), or the
//   causal mask of PyTorch's is_causal (key j is hidden from query i when j > i, top-left aligned).
//   A row whose scores are all -inf (every key masked) gives P = 0, so O = 0 and no gradient
//   flows through it, as in PyTorch.
// Backward recomputes P from Q, K and the mask (forward keeps nothing beyond its inputs):
//   dV = P^T dO,   dP = dO V^T,   dS = P (dP - rowsum(dP P)),   dQ = scale dS K,   dK = scale dS^T Q,
//   dM = dS (only when asked for: a mask that needs a gradient).
// Algorithm: one thread per (batch, head) block when there are at least as many blocks as threads
// (else the blocks run in turn and each product uses every thread); inside a block, the queries
// go in row blocks whose score rows (rows x Tk) stay in L2, the products run through cpu::gemm and
// the softmax through the SIMD row kernels; dK and dV accumulate over row blocks in a fixed order.
// Under a causal mask a row block only computes the keys up to its last query.
// Results are bitwise identical for any thread count.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

struct AttentionSizes {
  int64_t n = 0, tq = 0, tk = 0, e = 0, ev = 0;
};

template <class T>
struct AttentionMask {
  const T* additive = nullptr;  // element (n, i, j) at additive[n * stride_n + i * stride_q + j * stride_k]
  int64_t stride_n = 0, stride_q = 0, stride_k = 0;
  bool causal = false;          // exclusive with `additive`
};

template <class T>
void attention_forward(T* out, const T* q, const T* k, const T* v, const AttentionSizes& s, T scale,
                       const AttentionMask<T>& mask);

// grad_mask: [N, Tq, Tk] C-contiguous (dS of every block), or null when not needed.
template <class T>
void attention_backward(T* grad_q, T* grad_k, T* grad_v, T* grad_mask, const T* grad_out, const T* q, const T* k,
                        const T* v, const AttentionSizes& s, T scale, const AttentionMask<T>& mask);

}  // namespace fastnn::cpu
