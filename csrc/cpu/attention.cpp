// Scaled dot-product attention drivers (formulas, layouts and the blocking: attention.h).
//
// Per (batch, head) block and per row block of queries: S = scale Q K^T by cpu::gemm into a
// per-thread scratch buffer, the mask added in place, the softmax of each row by the SIMD row
// kernel, then O = P V by cpu::gemm. Backward recomputes the same P bitwise (same code, same
// order) and runs the four products of the gradient through cpu::gemm; dK and dV are zeroed once
// per block and accumulated row block after row block.
#include "cpu/attention.h"

#include <algorithm>
#include <limits>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/gemm.h"
#include "cpu/simd/pointwise_kernels.h"

namespace fastnn::cpu {

namespace {

// Score elements per row block (rows x visible keys): 128 KiB of float stays in L2 with Q, K, V.
constexpr int64_t kScoreBlockElements = int64_t(1) << 15;

template <class T>
const PointwiseKernels<T>& kernels() {
  return pointwise_kernels(simd_level(), static_cast<T*>(nullptr));
}

int64_t rows_per_block(const AttentionSizes& s) {
  return std::clamp<int64_t>(kScoreBlockElements / std::max<int64_t>(1, s.tk), 1, std::max<int64_t>(1, s.tq));
}

// Keys that the queries before row i_end can see: all, or under the causal mask those j < i_end.
template <class T>
int64_t visible_keys(const AttentionSizes& s, const AttentionMask<T>& mask, int64_t i_end) {
  return mask.causal ? std::min(s.tk, i_end) : s.tk;
}

// C (m x n, row stride rs_c) = alpha * A B + beta * C with A (m x k) and B (k x n) strided.
template <class T>
void matmul(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a, const T* b,
            int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c) {
  GemmProblem<T> g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.rs_a = rs_a;
  g.cs_a = cs_a;
  g.b = b;
  g.rs_b = rs_b;
  g.cs_b = cs_b;
  g.c = c;
  g.rs_c = rs_c;
  g.cs_c = 1;
  g.alpha = alpha;
  g.beta = beta;
  gemm(g);
}

// Rows i0 .. i0 + rows of block b's probabilities P into p (row stride cols, cols visible keys).
template <class T>
void probabilities(T* p, int64_t cols, const T* q, const T* k, const AttentionSizes& s, T scale,
                   const AttentionMask<T>& mask, int64_t b, int64_t i0, int64_t rows) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  matmul(rows, cols, s.e, scale, q + (b * s.tq + i0) * s.e, s.e, int64_t(1), k + b * s.tk * s.e, int64_t(1), s.e,
         T(0), p, cols);
  const PointwiseKernels<T>& kern = kernels<T>();
  for (int64_t r = 0; r < rows; ++r) {
    T* row = p + r * cols;
    const int64_t i = i0 + r;
    if (mask.additive) {
      const T* m = mask.additive + b * mask.stride_n + i * mask.stride_q;
      for (int64_t j = 0; j < cols; ++j) row[j] += m[j * mask.stride_k];
    } else if (mask.causal) {
      std::fill(row + std::min(cols, i + 1), row + cols, ninf);
    }
    // Every key masked: P = 0 rather than the softmax's 0/0 (PyTorch's convention). The scan
    // stops at the first visible key, which is almost always the first.
    if (std::all_of(row, row + cols, [](T x) { return x == ninf; })) std::fill(row, row + cols, T(0));
    else kern.softmax_rows(row, row, 1, cols, false);
  }
}

// body(b) for every block: one thread per block when there are enough blocks, else the blocks in
// turn with every thread inside each product. Either way each block's arithmetic is the same.
template <class Body>
void for_each_block(int64_t n, Body&& body) {
  if (n >= num_threads()) {
    parallel_for(n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) body(b);
    });
  } else {
    for (int64_t b = 0; b < n; ++b) body(b);
  }
}

}  // namespace

template <class T>
void attention_forward(T* out, const T* q, const T* k, const T* v, const AttentionSizes& s, T scale,
                       const AttentionMask<T>& mask) {
  const int64_t block_rows = rows_per_block(s);
  for_each_block(s.n, [&](int64_t b) {
    T* p = workspace_array<T>(WorkspaceSlot::scratch0, size_t(block_rows * s.tk));
    for (int64_t i0 = 0; i0 < s.tq; i0 += block_rows) {
      const int64_t rows = std::min(block_rows, s.tq - i0), cols = visible_keys(s, mask, i0 + rows);
      probabilities(p, cols, q, k, s, scale, mask, b, i0, rows);
      matmul(rows, s.ev, cols, T(1), p, cols, int64_t(1), v + b * s.tk * s.ev, s.ev, int64_t(1), T(0),
             out + (b * s.tq + i0) * s.ev, s.ev);
    }
  });
}

template <class T>
void attention_backward(T* grad_q, T* grad_k, T* grad_v, T* grad_mask, const T* grad_out, const T* q, const T* k,
                        const T* v, const AttentionSizes& s, T scale, const AttentionMask<T>& mask) {
  const int64_t block_rows = rows_per_block(s);
  for_each_block(s.n, [&](int64_t b) {
    T* p = workspace_array<T>(WorkspaceSlot::scratch0, size_t(block_rows * s.tk));
    T* ds = workspace_array<T>(WorkspaceSlot::scratch1, size_t(block_rows * s.tk));
    const T* k_b = k + b * s.tk * s.e;
    const T* v_b = v + b * s.tk * s.ev;
    T* dk_b = grad_k + b * s.tk * s.e;
    T* dv_b = grad_v + b * s.tk * s.ev;
    std::fill_n(dk_b, s.tk * s.e, T(0));
    std::fill_n(dv_b, s.tk * s.ev, T(0));
    for (int64_t i0 = 0; i0 < s.tq; i0 += block_rows) {
      const int64_t rows = std::min(block_rows, s.tq - i0), cols = visible_keys(s, mask, i0 + rows);
      const T* q_blk = q + (b * s.tq + i0) * s.e;
      const T* do_blk = grad_out + (b * s.tq + i0) * s.ev;
      probabilities(p, cols, q, k, s, scale, mask, b, i0, rows);
      // dV[:cols] += P^T dO
      matmul(cols, s.ev, rows, T(1), p, int64_t(1), cols, do_blk, s.ev, int64_t(1), T(1), dv_b, s.ev);
      // dP = dO V^T, then dS = P (dP - rowsum(dP P)) in place
      matmul(rows, cols, s.ev, T(1), do_blk, s.ev, int64_t(1), v_b, int64_t(1), s.ev, T(0), ds, cols);
      kernels<T>().softmax_backward_rows(ds, ds, p, rows, cols, false);
      if (grad_mask) {
        for (int64_t r = 0; r < rows; ++r) {
          T* dm = grad_mask + (b * s.tq + i0 + r) * s.tk;
          std::copy_n(ds + r * cols, cols, dm);
          std::fill(dm + cols, dm + s.tk, T(0));
        }
      }
      // dQ = scale dS K;  dK[:cols] += scale dS^T Q
      matmul(rows, s.e, cols, scale, ds, cols, int64_t(1), k_b, s.e, int64_t(1), T(0), grad_q + (b * s.tq + i0) * s.e,
             s.e);
      matmul(cols, s.e, rows, scale, ds, int64_t(1), cols, q_blk, s.e, int64_t(1), T(1), dk_b, s.e);
    }
  });
}

template void attention_forward<float>(float*, const float*, const float*, const float*, const AttentionSizes&, float,
                                       const AttentionMask<float>&);
template void attention_forward<double>(double*, const double*, const double*, const double*, const AttentionSizes&,
                                        double, const AttentionMask<double>&);
template void attention_backward<float>(float*, float*, float*, float*, const float*, const float*, const float*,
                                        const float*, const AttentionSizes&, float, const AttentionMask<float>&);
template void attention_backward<double>(double*, double*, double*, double*, const double*, const double*,
                                         const double*, const double*, const AttentionSizes&, double,
                                         const AttentionMask<double>&);

}  // namespace fastnn::cpu
