// General matrix multiply with a fused epilogue, the kernel under Linear, convolution and RNNs.
//
//   C = act(alpha * op(A) @ op(B) + beta * C + bias)      A: m x k, B: k x n, C: m x n
//
// Every operand is a strided view (row stride, column stride, in elements, any sign), so
// transposes, Fortran order and slices cost no copy. bias (length n, contiguous) is broadcast
// over rows; act is none or relu. beta == 0 never reads C, so C may hold garbage (NaN).
// The sum over k for each C element runs in an order fixed by the blocking alone, never by the
// thread count: results are bitwise identical for any number of threads.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

enum class Activation { none = 0, relu = 1 };

template <class T>
struct GemmProblem {
  int64_t m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t rs_a = 0, cs_a = 0;
  const T* b = nullptr;
  int64_t rs_b = 0, cs_b = 0;
  T* c = nullptr;
  int64_t rs_c = 0, cs_c = 0;
  T alpha = 1, beta = 0;
  const T* bias = nullptr;  // length n, contiguous, or null
  Activation act = Activation::none;
};

template <class T>
void gemm(const GemmProblem<T>& problem);

// op(B) packed once for many products that share it (a recurrent layer's weight, multiplied by
// every time step's state). packed_b_size(g) is how many elements pack_b(g, packed) writes: 0
// when gemm(g) would not pack op(B) at all (few rows or little work). gemm_prepacked(g, packed)
// then computes gemm(g) bit for bit, reading op(B) from packed (or from g.b where packed_b_size
// is 0); g's m, n, k and op(B) must be those it was packed for, A, C and beta may change.
template <class T>
int64_t packed_b_size(const GemmProblem<T>& g);
template <class T>
void pack_b(const GemmProblem<T>& g, T* packed);
template <class T>
void gemm_prepacked(const GemmProblem<T>& g, const T* packed);

// C (m x n, row stride ldc, unit column stride) = beta C + op(A) op(B) + bias: the problem of
// row-major views, as the recurrent layers of both backends build it.
template <class T>
GemmProblem<T> row_major_problem(int64_t m, int64_t n, int64_t k, const T* a, int64_t rs_a, int64_t cs_a, const T* b,
                                 int64_t rs_b, int64_t cs_b, T* c, int64_t ldc, T beta, const T* bias = nullptr) {
  GemmProblem<T> g;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.rs_a = rs_a, g.cs_a = cs_a;
  g.b = b, g.rs_b = rs_b, g.cs_b = cs_b;
  g.c = c, g.rs_c = ldc, g.cs_c = 1;
  g.beta = beta;
  g.bias = bias;
  return g;
}

}  // namespace fastnn::cpu
