// Recurrent drivers: the gemms around the time loop and the threading of the pointwise passes.
// Formulas, layouts and the algorithm: rnn.h. Each time step's pointwise pass splits the batch
// rows over threads (every element is computed alone, so the split never changes a result);
// the bias gradients are column sums, each column summed over the rows in order.
#include "cpu/rnn.h"

#include <algorithm>
#include <cstring>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/gemm.h"
#include "cpu/simd/rnn_gate_kernels.h"

namespace fastnn::cpu {

const RnnGateKernels<float>& rnn_gate_kernels(SimdLevel level, float*) {
#if defined(FASTNN_HAVE_X86_SIMD)
  if (level == SimdLevel::avx512) return avx512::rnn_gates_f32;
  if (level == SimdLevel::avx2) return avx2::rnn_gates_f32;
#endif
  return generic::rnn_gates_f32;
}

const RnnGateKernels<double>& rnn_gate_kernels(SimdLevel, double*) { return generic::rnn_gates_f64; }

namespace {

template <class T>
const RnnGateKernels<T>& gate_kernels() {
  return rnn_gate_kernels(simd_level(), static_cast<T*>(nullptr));
}

// Below this many state elements per thread a time step's pointwise pass stays on one thread
// (waking a pool thread costs about as much as a few thousand sigmoids).
constexpr int64_t kMinElementsPerThread = 4096;

// body(row_begin, row_end) over the batch rows of one step, split over threads.
template <class Body>
void for_rows(int64_t batch, int64_t hidden, Body&& body) {
  parallel_for(batch, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, hidden)), body);
}

// C (m x n, row stride ldc) = beta C + op(A) op(B) + bias, all row-major views.
template <class T>
void matmul(int64_t m, int64_t n, int64_t k, const T* a, int64_t rs_a, int64_t cs_a, const T* b, int64_t rs_b,
            int64_t cs_b, T* c, int64_t ldc, T beta, const T* bias = nullptr) {
  gemm(row_major_problem(m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, beta, bias));
}

// C [m, n] (+)= A [m, k] W^T for W [n, k] (the Linear form): the input and recurrent projections.
template <class T>
void times_wt(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* w, T* c, int64_t ldc, T beta,
              const T* bias = nullptr) {
  matmul(m, n, k, a, lda, int64_t(1), w, int64_t(1), k, c, ldc, beta, bias);
}

// C [m, n] (+)= A [m, k] W (+ bias) for W [k, n] row-major: gradients flowing back through a
// projection, and the recurrent products through a transposed weight (see transposed()).
template <class T>
void times_w(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* w, T* c, int64_t ldc, T beta,
             const T* bias = nullptr) {
  matmul(m, n, k, a, lda, int64_t(1), w, n, int64_t(1), c, ldc, beta, bias);
}

// dW [n, k] (+)= dG^T X for dG [rows, n] (row stride ldg) and X [rows, k]: a weight gradient
// summed over every step at once (the rows are the gemm's K, which it never splits).
template <class T>
void grad_weight(int64_t n, int64_t k, int64_t rows, const T* dg, int64_t ldg, const T* x, T* dw, T beta) {
  matmul(n, k, rows, dg, int64_t(1), ldg, x, k, int64_t(1), dw, k, beta);
}

// db [n] = column sums of dG [rows, n] (row stride ldg), each column in row order.
template <class T>
void column_sums(T* db, const T* dg, int64_t rows, int64_t n, int64_t ldg) {
  parallel_for(n, 256, [&](int64_t j0, int64_t j1) {
    std::fill(db + j0, db + j1, T(0));
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = dg + r * ldg;
      for (int64_t j = j0; j < j1; ++j) db[j] += row[j];
    }
  });
}

// Carves one workspace slot into 64-byte aligned arrays, so a kernel makes one request per slot.
template <class T>
class Scratch {
 public:
  static int64_t padded(int64_t count) { return (count + 15) / 16 * 16; }
  Scratch(WorkspaceSlot slot, int64_t total) : next_(workspace_array<T>(slot, static_cast<size_t>(total))) {}
  T* take(int64_t count) {
    T* p = next_;
    next_ += padded(count);
    return p;
  }
  T* zeros(int64_t count) {
    T* p = take(count);
    std::memset(p, 0, sizeof(T) * count);
    return p;
  }
  T* copy_or_zeros(const T* src, int64_t count) {
    if (!src) return zeros(count);
    T* p = take(count);
    std::memcpy(p, src, sizeof(T) * count);
    return p;
  }

 private:
  T* next_;
};

// W^T [k, n] of W [n, k], for the per-step recurrent product h W_hh^T: with B row-major the
// gemm packs it into panels; read through W's own strides (k-contiguous columns) it takes the
// dot-product path at small batch, measured 2x slower per step here (m 32, n 512, k 128).
template <class T>
T* transposed(Scratch<T>& scratch, const T* w, int64_t n, int64_t k) {
  T* wt = scratch.take(n * k);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) wt[j * n + i] = w[i * k + j];
  return wt;
}

// The recurrent product of every time step, C [B, n] (+)= A [B, k] W (+ bias) for W [k, n]
// row-major, A and C contiguous: W is packed for the gemm once per sequence (a workspace slot of
// its own) instead of on every step, with the same result.
template <class T>
class StepProduct {
 public:
  StepProduct(int64_t m, int64_t n, int64_t k, const T* w, T beta, const T* bias = nullptr)
      : g_(row_major_problem(m, n, k, static_cast<const T*>(nullptr), k, int64_t(1), w, n, int64_t(1),
                             static_cast<T*>(nullptr), n, beta, bias)) {
    const int64_t size = packed_b_size(g_);
    if (size == 0) return;
    packed_ = workspace_array<T>(WorkspaceSlot::packed_b, static_cast<size_t>(size));
    pack_b(g_, packed_);
  }
  void operator()(const T* a, T* c) const {
    GemmProblem<T> g = g_;
    g.a = a, g.c = c;
    gemm_prepacked(g, packed_);
  }

 private:
  GemmProblem<T> g_;
  T* packed_ = nullptr;
};

// The time step processed at position `step` of the loop, and the views of one step.
struct Steps {
  const RnnShape& s;
  int64_t at(int64_t step) const { return s.reverse ? s.steps - 1 - step : step; }
  // Offset of time t's row block in a [T, B, width] array.
  int64_t offset(int64_t t, int64_t width) const { return t * s.batch * width; }
};

// b_ih + b_hh, or null without bias: LSTM and RNN add both to the input projection.
template <class T>
const T* combined_bias(Scratch<T>& scratch, const RnnWeights<T>& w, int64_t n) {
  if (!w.b_ih) return nullptr;
  T* bias = scratch.take(n);
  for (int64_t j = 0; j < n; ++j) bias[j] = w.b_ih[j] + w.b_hh[j];
  return bias;
}

// The gradients that depend on dG over all steps at once: dx = dG W_ih, dW_ih = dG^T X and
// dW_hh = dG^T H_prev, where H_prev is y shifted one step against the direction of the loop,
// with h0 at the first step. dgx feeds the input side, dgh the hidden side (they differ for GRU).
template <class T>
void weight_and_input_grads(T* dx, const RnnWeightGrads<T>& dw, const T* dgx, const T* dgh, int64_t gw,
                            const T* x, const T* h0, const RnnWeights<T>& w, const T* y, const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, rows = s.steps * B;
  if (dx) times_w(rows, I, gw, dgx, gw, w.w_ih, dx, I, T(0));
  if (dw.w_ih) grad_weight(gw, I, rows, dgx, gw, x, dw.w_ih, T(0));
  if (dw.b_ih) column_sums(dw.b_ih, dgx, rows, gw, gw);
  if (dw.b_hh) column_sums(dw.b_hh, dgh, rows, gw, gw);
  if (dw.w_hh) {
    // Forwards, steps 1..T-1 pair with y[0..T-2]; in reverse, steps 0..T-2 with y[1..T-1].
    const int64_t later = (s.steps - 1) * B;
    const T* dg_shifted = s.reverse ? dgh : dgh + B * gw;
    const T* y_shifted = s.reverse ? y + B * H : y;
    const T* dg_first = dgh + (s.reverse ? later : 0) * gw;
    grad_weight(gw, H, later, dg_shifted, gw, y_shifted, dw.w_hh, T(0));
    grad_weight(gw, H, B, dg_first, gw, h0, dw.w_hh, T(1));
  }
}

}  // namespace

// ----------------------------------------------------------------------------------------- LSTM
template <class T>
void lstm_forward(T* y, T* cell, T* gates, const T* x, const T* h0, const T* c0, const RnnWeights<T>& w,
                  const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, G = 4 * H;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  Scratch<T> scratch(WorkspaceSlot::scratch1,
                     2 * Scratch<T>::padded(B * H) + Scratch<T>::padded(G) + Scratch<T>::padded(G * H));
  const T* h_init = h0 ? h0 : scratch.zeros(B * H);
  const T* c_init = c0 ? c0 : scratch.zeros(B * H);
  const T* w_hh_t = transposed(scratch, w.w_hh, G, H);
  times_wt(s.steps * B, G, I, x, I, w.w_ih, gates, G, T(0), combined_bias(scratch, w, G));
  const StepProduct<T> recurrent(B, G, H, w_hh_t, T(1));
  for (int64_t step = 0; step < s.steps; ++step) {
    const int64_t t = steps.at(step);
    const bool first = step == 0;
    const T* h_prev = first ? h_init : y + steps.offset(steps.at(step - 1), H);
    const T* c_prev = first ? c_init : cell + steps.offset(steps.at(step - 1), H);
    T* g = gates + steps.offset(t, G);
    recurrent(h_prev, g);
    T* c = cell + steps.offset(t, H);
    T* h = y + steps.offset(t, H);
    for_rows(B, H, [&](int64_t b0, int64_t b1) {
      k.lstm_forward(g + b0 * G, c + b0 * H, h + b0 * H, c_prev + b0 * H, b1 - b0, H);
    });
  }
}

template <class T>
void lstm_backward(T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n, const T* dc_n,
                   const T* x, const T* h0, const T* c0, const RnnWeights<T>& w, const T* y, const T* cell,
                   const T* gates, const RnnShape& s) {
  const int64_t B = s.batch, H = s.hidden_size, G = 4 * H, BH = B * H;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  T* dgates = workspace_array<T>(WorkspaceSlot::scratch0, static_cast<size_t>(s.steps * B * G));
  Scratch<T> scratch(WorkspaceSlot::scratch1, 4 * Scratch<T>::padded(BH));
  const T* h_init = h0 ? h0 : scratch.zeros(BH);
  const T* c_init = c0 ? c0 : scratch.zeros(BH);
  T* dh = scratch.copy_or_zeros(dh_n, BH);  // the gradient reaching h from later steps
  T* dc = scratch.copy_or_zeros(dc_n, BH);  // and reaching c
  const StepProduct<T> recurrent(B, H, G, w.w_hh, T(0));
  for (int64_t step = s.steps - 1; step >= 0; --step) {
    const int64_t t = steps.at(step);
    const T* c_prev = step == 0 ? c_init : cell + steps.offset(steps.at(step - 1), H);
    T* dg = dgates + steps.offset(t, G);
    const T* g = gates + steps.offset(t, G);
    const T* c = cell + steps.offset(t, H);
    const T* dyt = dy + steps.offset(t, H);
    for_rows(B, H, [&](int64_t b0, int64_t b1) {
      const int64_t o = b0 * H;
      k.lstm_backward(dg + b0 * G, dc + o, dyt + o, dh + o, g + b0 * G, c + o, c_prev + o, b1 - b0, H);
    });
    recurrent(dg, dh);
  }
  if (dh0) std::memcpy(dh0, dh, sizeof(T) * BH);
  if (dc0) std::memcpy(dc0, dc, sizeof(T) * BH);
  weight_and_input_grads(dx, dw, dgates, dgates, G, x, h_init, w, y, s);
}

// ------------------------------------------------------------------------------------------ GRU
template <class T>
void gru_forward(T* y, T* gates, const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, G = 3 * H, GS = 4 * H;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  Scratch<T> scratch(WorkspaceSlot::scratch1,
                     Scratch<T>::padded(B * H) + Scratch<T>::padded(B * G) + Scratch<T>::padded(G * H));
  const T* h_init = h0 ? h0 : scratch.zeros(B * H);
  const T* w_hh_t = transposed(scratch, w.w_hh, G, H);
  T* hproj = scratch.take(B * G);
  // The input projections land in columns [0, 3H) of each 4H-wide gate row.
  times_wt(s.steps * B, G, I, x, I, w.w_ih, gates, GS, T(0), w.b_ih);
  const StepProduct<T> recurrent(B, G, H, w_hh_t, T(0), w.b_hh);
  for (int64_t step = 0; step < s.steps; ++step) {
    const int64_t t = steps.at(step);
    const T* h_prev = step == 0 ? h_init : y + steps.offset(steps.at(step - 1), H);
    recurrent(h_prev, hproj);
    T* g = gates + steps.offset(t, GS);
    T* h = y + steps.offset(t, H);
    for_rows(B, H, [&](int64_t b0, int64_t b1) {
      k.gru_forward(g + b0 * GS, h + b0 * H, hproj + b0 * G, h_prev + b0 * H, b1 - b0, H);
    });
  }
}

template <class T>
void gru_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n, const T* x, const T* h0,
                  const RnnWeights<T>& w, const T* y, const T* gates, const RnnShape& s) {
  const int64_t B = s.batch, H = s.hidden_size, G = 3 * H, GS = 4 * H, BH = B * H;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  const int64_t n_grad = s.steps * B * G;
  T* dgx = workspace_array<T>(WorkspaceSlot::scratch0, static_cast<size_t>(2 * n_grad));
  T* dgh = dgx + n_grad;
  Scratch<T> scratch(WorkspaceSlot::scratch1, 2 * Scratch<T>::padded(BH));
  const T* h_init = h0 ? h0 : scratch.zeros(BH);
  T* carry = scratch.copy_or_zeros(dh_n, BH);  // the gradient reaching h from later steps
  const StepProduct<T> recurrent(B, H, G, w.w_hh, T(1));
  for (int64_t step = s.steps - 1; step >= 0; --step) {
    const int64_t t = steps.at(step);
    const T* h_prev = step == 0 ? h_init : y + steps.offset(steps.at(step - 1), H);
    T* gx = dgx + steps.offset(t, G);
    T* gh = dgh + steps.offset(t, G);
    const T* g = gates + steps.offset(t, GS);
    const T* dyt = dy + steps.offset(t, H);
    for_rows(B, H, [&](int64_t b0, int64_t b1) {
      const int64_t o = b0 * H;
      k.gru_backward(gx + b0 * G, gh + b0 * G, carry + o, dyt + o, g + b0 * GS, h_prev + o, b1 - b0, H);
    });
    recurrent(gh, carry);
  }
  if (dh0) std::memcpy(dh0, carry, sizeof(T) * BH);
  weight_and_input_grads(dx, dw, dgx, dgh, G, x, h_init, w, y, s);
}

// ------------------------------------------------------------------------------------------ RNN
template <class T>
void rnn_forward(T* y, const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s, RnnNonlinearity act) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  const bool relu = act == RnnNonlinearity::relu;
  Scratch<T> scratch(WorkspaceSlot::scratch1,
                     Scratch<T>::padded(B * H) + Scratch<T>::padded(H) + Scratch<T>::padded(H * H));
  const T* h_init = h0 ? h0 : scratch.zeros(B * H);
  const T* w_hh_t = transposed(scratch, w.w_hh, H, H);
  // y holds the pre-activations until each step turns its rows into hidden states.
  times_wt(s.steps * B, H, I, x, I, w.w_ih, y, H, T(0), combined_bias(scratch, w, H));
  const StepProduct<T> recurrent(B, H, H, w_hh_t, T(1));
  for (int64_t step = 0; step < s.steps; ++step) {
    const T* h_prev = step == 0 ? h_init : y + steps.offset(steps.at(step - 1), H);
    T* h = y + steps.offset(steps.at(step), H);
    recurrent(h_prev, h);
    for_rows(B, H, [&](int64_t b0, int64_t b1) { k.rnn_forward(h + b0 * H, (b1 - b0) * H, relu); });
  }
}

template <class T>
void rnn_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n, const T* x, const T* h0,
                  const RnnWeights<T>& w, const T* y, const RnnShape& s, RnnNonlinearity act) {
  const int64_t B = s.batch, H = s.hidden_size, BH = B * H;
  const RnnGateKernels<T>& k = gate_kernels<T>();
  const Steps steps{s};
  const bool relu = act == RnnNonlinearity::relu;
  T* dpre = workspace_array<T>(WorkspaceSlot::scratch0, static_cast<size_t>(s.steps * BH));
  Scratch<T> scratch(WorkspaceSlot::scratch1, 2 * Scratch<T>::padded(BH));
  const T* h_init = h0 ? h0 : scratch.zeros(BH);
  T* dh = scratch.copy_or_zeros(dh_n, BH);  // the gradient reaching h from later steps
  const StepProduct<T> recurrent(B, H, H, w.w_hh, T(0));
  for (int64_t step = s.steps - 1; step >= 0; --step) {
    const int64_t o = steps.offset(steps.at(step), H);
    T* dp = dpre + o;
    for_rows(B, H, [&](int64_t b0, int64_t b1) {
      const int64_t r = b0 * H;
      k.rnn_backward(dp + r, dy + o + r, dh + r, y + o + r, (b1 - b0) * H, relu);
    });
    recurrent(dp, dh);
  }
  if (dh0) std::memcpy(dh0, dh, sizeof(T) * BH);
  weight_and_input_grads(dx, dw, dpre, dpre, H, x, h_init, w, y, s);
}

#define FASTNN_INSTANTIATE_RNN(T)                                                                                \
  template void lstm_forward<T>(T*, T*, T*, const T*, const T*, const T*, const RnnWeights<T>&, const RnnShape&); \
  template void lstm_backward<T>(T*, T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*, const T*,    \
                                 const T*, const T*, const RnnWeights<T>&, const T*, const T*, const T*,         \
                                 const RnnShape&);                                                               \
  template void gru_forward<T>(T*, T*, const T*, const T*, const RnnWeights<T>&, const RnnShape&);              \
  template void gru_backward<T>(T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*, const T*,        \
                                const RnnWeights<T>&, const T*, const T*, const RnnShape&);                      \
  template void rnn_forward<T>(T*, const T*, const T*, const RnnWeights<T>&, const RnnShape&, RnnNonlinearity);  \
  template void rnn_backward<T>(T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*, const T*,        \
                                const RnnWeights<T>&, const T*, const RnnShape&, RnnNonlinearity);
FASTNN_INSTANTIATE_RNN(float)
FASTNN_INSTANTIATE_RNN(double)
#undef FASTNN_INSTANTIATE_RNN

}  // namespace fastnn::cpu
