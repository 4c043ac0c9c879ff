// Recurrent layers on CUDA                                                 (contract: rnn.h)
//
// Formulas (cpu/rnn.h), G gates of H rows each, PyTorch's gate orders:
//   RNN  (G=1)  h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu (relu keeps NaN)
//   LSTM (G=4)  i, f, g, o = sigm, sigm, tanh, sigm of (W_ih x + b_ih + W_hh h + b_hh)
//               c' = f c + i g,  h' = o tanh(c')
//   GRU  (G=3)  r, z = sigm(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
//               n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = n + z (h - n)
//   Backward takes the derivatives from the saved outputs: sigm' = s (1 - s), tanh' = (1 - t)(1 + t).
//
// Layouts: x [T, B, I], y [T, B, H] (time-major, contiguous), states [B, H]; weight_ih [G*H, I],
// weight_hh [G*H, H], biases [G*H]. The saved gate rows are 4H wide (LSTM i, f, g, o activated;
// GRU r, z, n and W_hn h + b_hn), cell [T, B, H] holds the LSTM cell states. With `reverse` the
// steps run t = T-1 .. 0.
//
// Algorithm: for hidden sizes up to 256 (and shared memory permitting) the recurrence of a layer,
// forward and backward, is ONE persistent kernel (rnn_persistent.cuh) between the big gemms
// below; otherwise, or after set_rnn_persistent_kernels(false), it runs per step as the CPU kernel does:
// - forward: the input projection of all T steps is ONE gemm (cuda::gemm, [T*B, I] x W_ih^T) into
//   the gate buffer, with the bias in its epilogue (LSTM and RNN: b_ih + b_hh, added elementwise
//   in that order first; GRU: b_ih, the input columns [0, 3H) of each 4H-wide row). Each step then
//   runs one recurrent gemm h_prev [B, H] x W_hh^T (LSTM, RNN: accumulated into the step's gate
//   rows, beta = 1; GRU: into a [B, 3H] buffer with b_hh, since r multiplies W_hn h + b_hn) and one
//   fused pointwise kernel over the B x H state elements (one thread per element, a grid-stride
//   loop) that activates the gates and writes c and h. A null h0 skips the first recurrent gemm
//   (GRU: a zero state in the workspace, for b_hh), a null c0 reads as zero.
// - backward: the steps in reverse; per step a fused pointwise kernel writes dGates from dy, the
//   gradient reaching h from the later step and the saved gates (and carries dc, or GRU's z dh),
//   and one gemm dGates [B, G*H] x W_hh gives the next step's dh (GRU: added to z dh, beta = 1);
//   at step 0 that gemm writes dh0 itself (skipped when dh0 is not wanted). Then over all steps at
//   once: dx = dGates W_ih, dW_ih = dGates^T X and dW_hh = dGates^T H_prev (H_prev: y shifted one
//   step against the loop, h0 first; GRU uses its hidden-side dGates here) as large gemms, and the
//   bias gradients as column sums, one thread per column summing the T*B rows in order.
// The gemm sums each element in one thread in a fixed order and everything else is elementwise,
// so results never depend on the schedule: bitwise repeatable, no atomics anywhere.
//
// Kernels: 256 threads per block, grid-stride loops; float and double.
#include <atomic>

#include "cuda/gemm.h"
#include "cuda/launch.cuh"
#include "cuda/rnn.h"
#include "cuda/rnn_cells.cuh"
#include "cuda/rnn_persistent.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;

template <class T>
__device__ __forceinline__ T load_or_zero(const T* p, int64_t i) {
  return p ? p[i] : T(0);
}

// ----------------------------------------------------------------------------------------------
// kernels: one thread per state element e = b * H + j of a step (grid-stride)

template <class T>
__global__ void __launch_bounds__(kThreads) add_kernel(T* out, const T* a, const T* b, int64_t n) {
  FASTNN_GRID_STRIDE(i, n, kThreads) out[i] = a[i] + b[i];
}

// gates [B, 4H]: pre-activations in, i, f, g, o out; c = f c_prev + i g; h = o tanh(c).
template <class T>
__global__ void __launch_bounds__(kThreads)
    lstm_forward_kernel(T* gates, T* c, T* h, const T* c_prev, int64_t batch, int64_t hidden) {
  FASTNN_GRID_STRIDE(e, batch * hidden, kThreads) {
    const int64_t b = e / hidden, j = e - b * hidden;
    T* g = gates + b * 4 * hidden + j;
    const auto r = rnn_cells::lstm_forward(g[0], g[hidden], g[2 * hidden], g[3 * hidden], load_or_zero(c_prev, e));
    g[0] = r.i;
    g[hidden] = r.f;
    g[2 * hidden] = r.g;
    g[3 * hidden] = r.o;
    c[e] = r.c;
    h[e] = r.h;
  }
}

// dgates [B, 4H] from dh = dy + dh_rec and dc = dc_in + dh o tanh'(c); dc_out = dc f (dc_in and
// dc_out may be the same buffer; null dh_rec, dc_in, c_prev read as zero, a null dc_out is skipped).
template <class T>
__global__ void __launch_bounds__(kThreads)
    lstm_backward_kernel(T* dgates, T* dc_out, const T* dc_in, const T* dy, const T* dh_rec, const T* gates, const T* c,
                         const T* c_prev, int64_t batch, int64_t hidden) {
  FASTNN_GRID_STRIDE(e, batch * hidden, kThreads) {
    const int64_t b = e / hidden, j = e - b * hidden, row = b * 4 * hidden + j;
    const auto r = rnn_cells::lstm_backward(gates[row], gates[row + hidden], gates[row + 2 * hidden],
                                            gates[row + 3 * hidden], c[e], load_or_zero(c_prev, e),
                                            dy[e] + load_or_zero(dh_rec, e), load_or_zero(dc_in, e));
    T* d = dgates + row;
    d[0] = r.di;
    d[hidden] = r.df;
    d[2 * hidden] = r.dg;
    d[3 * hidden] = r.do_;
    if (dc_out) dc_out[e] = r.dc_prev;
  }
}

// gates [B, 4H]: input projections (with b_ih) in columns [0, 3H) on entry, r, z, n, hn on exit;
// hproj [B, 3H] = W_hh h_prev + b_hh; h = n + z (h_prev - n).
template <class T>
__global__ void __launch_bounds__(kThreads)
    gru_forward_kernel(T* gates, T* h, const T* hproj, const T* h_prev, int64_t batch, int64_t hidden) {
  FASTNN_GRID_STRIDE(e, batch * hidden, kThreads) {
    const int64_t b = e / hidden, j = e - b * hidden;
    T* g = gates + b * 4 * hidden + j;
    const T* hp = hproj + b * 3 * hidden + j;
    const T hn = hp[2 * hidden];
    const auto r = rnn_cells::gru_forward(g[0], g[hidden], g[2 * hidden], hp[0], hp[hidden], hn, h_prev[e]);
    g[0] = r.r;
    g[hidden] = r.z;
    g[2 * hidden] = r.n;
    g[3 * hidden] = hn;
    h[e] = r.h;
  }
}

// dgx / dgh [B, 3H]: gradients of the input / hidden projections from dh = dy + carry_in;
// carry_out = z dh (the direct part of the gradient for h_prev; skipped when null). carry_in and
// carry_out may be the same buffer; a null carry_in or h_prev reads as zero.
template <class T>
__global__ void __launch_bounds__(kThreads)
    gru_backward_kernel(T* dgx, T* dgh, T* carry_out, const T* carry_in, const T* dy, const T* gates, const T* h_prev,
                        int64_t batch, int64_t hidden) {
  FASTNN_GRID_STRIDE(e, batch * hidden, kThreads) {
    const int64_t b = e / hidden, j = e - b * hidden, row = b * 4 * hidden + j, out = b * 3 * hidden + j;
    const T r = gates[row];
    const auto d = rnn_cells::gru_backward(r, gates[row + hidden], gates[row + 2 * hidden], gates[row + 3 * hidden],
                                           load_or_zero(h_prev, e), dy[e] + load_or_zero(carry_in, e));
    dgx[out] = d.dr;
    dgx[out + hidden] = d.dz;
    dgx[out + 2 * hidden] = d.dn;
    dgh[out] = d.dr;
    dgh[out + hidden] = d.dz;
    dgh[out + 2 * hidden] = d.dn * r;
    if (carry_out) carry_out[e] = d.carry;
  }
}

// h = act(h) in place over n pre-activations (relu: 0 > a ? 0 : a, so NaN stays NaN).
template <class T>
__global__ void __launch_bounds__(kThreads) rnn_forward_kernel(T* h, int64_t n, bool relu) {
  FASTNN_GRID_STRIDE(e, n, kThreads) h[e] = rnn_cells::rnn_forward(h[e], relu);
}

// dpre = (dy + dh_rec) act'(from the output h); a null dh_rec reads as zero.
template <class T>
__global__ void __launch_bounds__(kThreads)
    rnn_backward_kernel(T* dpre, const T* dy, const T* dh_rec, const T* h, int64_t n, bool relu) {
  FASTNN_GRID_STRIDE(e, n, kThreads) dpre[e] = rnn_cells::rnn_backward(h[e], dy[e] + load_or_zero(dh_rec, e), relu);
}

// db [n] = column sums of dg [rows, n] (row stride ldg), each column summed by one thread in row
// order.
template <class T>
__global__ void __launch_bounds__(kThreads)
    column_sums_kernel(T* db, const T* dg, int64_t rows, int64_t n, int64_t ldg) {
  FASTNN_GRID_STRIDE(j, n, kThreads) {
    T s = T(0);
    for (int64_t r = 0; r < rows; ++r) s += dg[r * ldg + j];
    db[j] = s;
  }
}

// ----------------------------------------------------------------------------------------------
// launcher helpers

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string("fastnn::cuda::rnn: ") + what + " failed: " + cudaGetErrorName(e));
}

// C (m x n, row stride ldc) = beta C + op(A) op(B) + bias, all row-major views.
template <class T>
void matmul(cudaStream_t stream, int64_t m, int64_t n, int64_t k, const T* a, int64_t rs_a, int64_t cs_a, const T* b,
            int64_t rs_b, int64_t cs_b, T* c, int64_t ldc, T beta, const T* bias = nullptr) {
  gemm(cpu::row_major_problem(m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, beta, bias), stream);
}

// C [m, n] (+)= A [m, k] W^T for W [n, k]: the input and recurrent projections.
template <class T>
void times_wt(cudaStream_t stream, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* w, T* c,
              int64_t ldc, T beta, const T* bias = nullptr) {
  matmul(stream, m, n, k, a, lda, int64_t(1), w, int64_t(1), k, c, ldc, beta, bias);
}

// C [m, n] (+)= A [m, k] W for W [k, n] row-major: gradients flowing back through a projection.
template <class T>
void times_w(cudaStream_t stream, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* w, T* c,
             int64_t ldc, T beta) {
  matmul(stream, m, n, k, a, lda, int64_t(1), w, n, int64_t(1), c, ldc, beta);
}

// dW [n, k] (+)= dG^T X for dG [rows, n] (row stride ldg) and X [rows, k].
template <class T>
void grad_weight(cudaStream_t stream, int64_t n, int64_t k, int64_t rows, const T* dg, int64_t ldg, const T* x, T* dw,
                 T beta) {
  matmul(stream, n, k, rows, dg, int64_t(1), ldg, x, k, int64_t(1), dw, k, beta);
}

template <class T>
void column_sums(cudaStream_t stream, T* db, const T* dg, int64_t rows, int64_t n, int64_t ldg) {
  if (n == 0) return;
  FASTNN_LAUNCH(column_sums_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, db, dg, rows, n,
                                       ldg);
}

// Carves one workspace into arrays of T, each starting on a 256-byte boundary.
template <class T>
class Scratch {
 public:
  static int64_t padded(int64_t count) {
    constexpr int64_t per = 256 / sizeof(T);
    return (count + per - 1) / per * per;
  }
  Scratch(int64_t total, cudaStream_t stream) : memory_(size_t(total) * sizeof(T), stream), next_(memory_.as<T>()) {}
  T* take(int64_t count) {
    T* p = next_;
    next_ += padded(count);
    return p;
  }

 private:
  Workspace memory_;
  T* next_;
};

// The time step processed at position `step` of the loop, and the views of one step.
struct Steps {
  const RnnShape& s;
  int64_t at(int64_t step) const { return s.reverse ? s.steps - 1 - step : step; }
  // Offset of time t's row block in a [T, B, width] array.
  int64_t offset(int64_t t, int64_t width) const { return t * s.batch * width; }
};

// b_ih + b_hh into `bias` (n elements), or null without bias: LSTM and RNN add both to the input
// projection.
template <class T>
const T* combined_bias(cudaStream_t stream, T* bias, const RnnWeights<T>& w, int64_t n) {
  if (!w.b_ih) return nullptr;
  FASTNN_LAUNCH(add_kernel<T>)(grid_stride_blocks(n, kThreads), dim3(kThreads), 0, stream, bias, w.b_ih, w.b_hh, n);
  return bias;
}

// The gradients that depend on dG over all steps at once: dx = dG W_ih, dW_ih = dG^T X and
// dW_hh = dG^T H_prev, where H_prev is y shifted one step against the direction of the loop,
// with h0 (zero when null) at the first step. dgx feeds the input side, dgh the hidden side.
template <class T>
void weight_and_input_grads(cudaStream_t stream, T* dx, const RnnWeightGrads<T>& dw, const T* dgx, const T* dgh,
                            int64_t gw, const T* x, const T* h0, const RnnWeights<T>& w, const T* y,
                            const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, rows = s.steps * B;
  if (dx) times_w(stream, rows, I, gw, dgx, gw, w.w_ih, dx, I, T(0));
  if (dw.w_ih) grad_weight(stream, gw, I, rows, dgx, gw, x, dw.w_ih, T(0));
  if (dw.b_ih) column_sums(stream, dw.b_ih, dgx, rows, gw, gw);
  if (dw.b_hh) column_sums(stream, dw.b_hh, dgh, rows, gw, gw);
  if (dw.w_hh) {
    // Forwards, steps 1..T-1 pair with y[0..T-2]; in reverse, steps 0..T-2 with y[1..T-1].
    const int64_t later = (s.steps - 1) * B;
    const T* dg_first = dgh + (s.reverse ? later : 0) * gw;
    if (later > 0) {
      const T* dg_shifted = s.reverse ? dgh : dgh + B * gw;
      const T* y_shifted = s.reverse ? y + B * H : y;
      grad_weight(stream, gw, H, later, dg_shifted, gw, y_shifted, dw.w_hh, T(0));
    }
    if (h0)
      grad_weight(stream, gw, H, B, dg_first, gw, h0, dw.w_hh, later > 0 ? T(1) : T(0));
    else if (later == 0)
      check(cudaMemsetAsync(dw.w_hh, 0, sizeof(T) * size_t(gw * H), stream), "cudaMemsetAsync");
  }
}

dim3 state_blocks(int64_t n) { return grid_stride_blocks(n, kThreads); }

std::atomic<bool> persistent_enabled{true};

using rnn_persistent::Cell;

// Batch rows per block of the persistent kernels for this recurrence, 0 for the per-step path
// (persistent kernels off, H above their limit, or nothing to run).
template <class T>
int persistent_rows(Cell cell, const RnnShape& s, int states) {
  if (!persistent_enabled.load(std::memory_order_relaxed) || s.batch == 0 || s.steps == 0 || s.hidden_size == 0)
    return 0;
  return rnn_persistent::rows_per_block(cell, s.hidden_size, states, sizeof(T));
}

template <class T>
int forward_rows(Cell cell, const RnnShape& s) {
  return persistent_rows<T>(cell, s, rnn_persistent::kForwardStates);
}
template <class T>
int backward_rows(Cell cell, const RnnShape& s) {
  return persistent_rows<T>(cell, s, rnn_persistent::kBackwardStates);
}

Cell rnn_cell(RnnNonlinearity act) { return act == RnnNonlinearity::relu ? Cell::rnn_relu : Cell::rnn_tanh; }

}  // namespace

void set_rnn_persistent_kernels(bool enabled) { persistent_enabled.store(enabled, std::memory_order_relaxed); }
bool rnn_persistent_kernels() { return persistent_enabled.load(std::memory_order_relaxed); }

// ----------------------------------------------------------------------------------------- LSTM
template <class T>
void lstm_forward(cudaStream_t stream, T* y, T* cell, T* gates, const T* x, const T* h0, const T* c0,
                  const RnnWeights<T>& w, const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, G = 4 * H, BH = B * H;
  const Steps steps{s};
  Scratch<T> scratch(Scratch<T>::padded(G), stream);
  times_wt(stream, s.steps * B, G, I, x, I, w.w_ih, gates, G, T(0), combined_bias(stream, scratch.take(G), w, G));
  if (BH == 0) return;
  if (const int rows = forward_rows<T>(Cell::lstm, s))
    return rnn_persistent::forward<T, Cell::lstm>(
        stream, {gates, y, cell, h0, c0, nullptr, nullptr, s.steps, B, H, s.reverse, rows}, w.w_hh);
  for (int64_t step = 0; step < s.steps; ++step) {
    const int64_t t = steps.at(step);
    const bool first = step == 0;
    const T* h_prev = first ? h0 : y + steps.offset(steps.at(step - 1), H);
    const T* c_prev = first ? c0 : cell + steps.offset(steps.at(step - 1), H);
    T* g = gates + steps.offset(t, G);
    if (h_prev) times_wt(stream, B, G, H, h_prev, H, w.w_hh, g, G, T(1));
    FASTNN_LAUNCH(lstm_forward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, g, cell + steps.offset(t, H),
                                          y + steps.offset(t, H), c_prev, B, H);
  }
}

template <class T>
void lstm_backward(cudaStream_t stream, T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                   const T* dc_n, const T* x, const T* h0, const T* c0, const RnnWeights<T>& w, const T* y,
                   const T* cell, const T* gates, const RnnShape& s) {
  const int64_t B = s.batch, H = s.hidden_size, G = 4 * H, BH = B * H;
  const Steps steps{s};
  const int rows = backward_rows<T>(Cell::lstm, s);
  const int64_t carried = rows ? 0 : 2 * Scratch<T>::padded(BH);  // the per-step loop's dh and dc
  Scratch<T> scratch(Scratch<T>::padded(s.steps * B * G) + carried, stream);
  T* dgates = scratch.take(s.steps * B * G);
  if (rows) {
    rnn_persistent::backward<T, Cell::lstm>(stream, {dgates, dgates, dh0, dc0, dy, dh_n, dc_n, gates, cell, c0, nullptr,
                                                     nullptr, w.w_hh, s.steps, B, H, s.reverse, rows});
  } else if (BH > 0) {
    T* dh = scratch.take(BH);  // the gradient reaching h from the later step
    T* dc = scratch.take(BH);  // and reaching c
    for (int64_t step = s.steps - 1; step >= 0; --step) {
      const int64_t t = steps.at(step);
      const bool last = step == s.steps - 1, first = step == 0;
      const T* c_prev = first ? c0 : cell + steps.offset(steps.at(step - 1), H);
      T* dg = dgates + steps.offset(t, G);
      FASTNN_LAUNCH(lstm_backward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, dg, first ? dc0 : dc,
                                             last ? dc_n : dc, dy + steps.offset(t, H), last ? dh_n : dh,
                                             gates + steps.offset(t, G), cell + steps.offset(t, H), c_prev, B, H);
      T* dh_out = first ? dh0 : dh;
      if (dh_out) times_w(stream, B, H, G, dg, G, w.w_hh, dh_out, H, T(0));
    }
  }
  weight_and_input_grads(stream, dx, dw, dgates, dgates, G, x, h0, w, y, s);
}

// ------------------------------------------------------------------------------------------ GRU
template <class T>
void gru_forward(cudaStream_t stream, T* y, T* gates, const T* x, const T* h0, const RnnWeights<T>& w,
                 const RnnShape& s) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, G = 3 * H, GS = 4 * H, BH = B * H;
  const Steps steps{s};
  // The input projections land in columns [0, 3H) of each 4H-wide gate row.
  times_wt(stream, s.steps * B, G, I, x, I, w.w_ih, gates, GS, T(0), w.b_ih);
  if (BH == 0) return;
  if (const int rows = forward_rows<T>(Cell::gru, s))
    return rnn_persistent::forward<T, Cell::gru>(
        stream, {gates, y, nullptr, h0, nullptr, nullptr, w.b_hh, s.steps, B, H, s.reverse, rows}, w.w_hh);
  Scratch<T> scratch(Scratch<T>::padded(B * G) + Scratch<T>::padded(BH), stream);
  T* hproj = scratch.take(B * G);
  T* zeros = scratch.take(BH);
  if (!h0) check(cudaMemsetAsync(zeros, 0, sizeof(T) * size_t(BH), stream), "cudaMemsetAsync");
  for (int64_t step = 0; step < s.steps; ++step) {
    const int64_t t = steps.at(step);
    const T* h_prev = step == 0 ? (h0 ? h0 : zeros) : y + steps.offset(steps.at(step - 1), H);
    times_wt(stream, B, G, H, h_prev, H, w.w_hh, hproj, G, T(0), w.b_hh);
    FASTNN_LAUNCH(gru_forward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, gates + steps.offset(t, GS),
                                         y + steps.offset(t, H), hproj, h_prev, B, H);
  }
}

template <class T>
void gru_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                  const T* x, const T* h0, const RnnWeights<T>& w, const T* y, const T* gates, const RnnShape& s) {
  const int64_t B = s.batch, H = s.hidden_size, G = 3 * H, GS = 4 * H, BH = B * H;
  const Steps steps{s};
  const int64_t n_grad = s.steps * B * G;
  const int rows = backward_rows<T>(Cell::gru, s);
  const int64_t carried = rows ? 0 : Scratch<T>::padded(BH);  // the per-step loop's carry
  Scratch<T> scratch(2 * Scratch<T>::padded(n_grad) + carried, stream);
  T* dgx = scratch.take(n_grad);
  T* dgh = scratch.take(n_grad);
  if (rows) {
    rnn_persistent::backward<T, Cell::gru>(stream, {dgx, dgh, dh0, nullptr, dy, dh_n, nullptr, gates, nullptr, nullptr,
                                                    y, h0, w.w_hh, s.steps, B, H, s.reverse, rows});
  } else if (BH > 0) {
    T* carry = scratch.take(BH);  // the gradient reaching h from the later step
    for (int64_t step = s.steps - 1; step >= 0; --step) {
      const int64_t t = steps.at(step);
      const bool last = step == s.steps - 1, first = step == 0;
      const T* h_prev = first ? h0 : y + steps.offset(steps.at(step - 1), H);
      T* gx = dgx + steps.offset(t, G);
      T* gh = dgh + steps.offset(t, G);
      T* carry_out = first ? dh0 : carry;
      FASTNN_LAUNCH(gru_backward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, gx, gh, carry_out,
                                            last ? dh_n : carry, dy + steps.offset(t, H), gates + steps.offset(t, GS),
                                            h_prev, B, H);
      if (carry_out) times_w(stream, B, H, G, gh, G, w.w_hh, carry_out, H, T(1));
    }
  }
  weight_and_input_grads(stream, dx, dw, dgx, dgh, G, x, h0, w, y, s);
}

// ------------------------------------------------------------------------------------------ RNN
template <class T>
void rnn_forward(cudaStream_t stream, T* y, const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s,
                 RnnNonlinearity act) {
  const int64_t B = s.batch, I = s.input_size, H = s.hidden_size, BH = B * H;
  const Steps steps{s};
  const bool relu = act == RnnNonlinearity::relu;
  Scratch<T> scratch(Scratch<T>::padded(H), stream);
  // y holds the pre-activations until each step turns its rows into hidden states.
  times_wt(stream, s.steps * B, H, I, x, I, w.w_ih, y, H, T(0), combined_bias(stream, scratch.take(H), w, H));
  if (BH == 0) return;
  if (const int rows = forward_rows<T>(rnn_cell(act), s)) {
    const rnn_persistent::ForwardArgs<T> a{y,       y,       nullptr, h0, nullptr,   nullptr,
                                           nullptr, s.steps, B,       H,  s.reverse, rows};
    return relu ? rnn_persistent::forward<T, Cell::rnn_relu>(stream, a, w.w_hh)
                : rnn_persistent::forward<T, Cell::rnn_tanh>(stream, a, w.w_hh);
  }
  for (int64_t step = 0; step < s.steps; ++step) {
    const T* h_prev = step == 0 ? h0 : y + steps.offset(steps.at(step - 1), H);
    T* h = y + steps.offset(steps.at(step), H);
    if (h_prev) times_wt(stream, B, H, H, h_prev, H, w.w_hh, h, H, T(1));
    FASTNN_LAUNCH(rnn_forward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, h, BH, relu);
  }
}

template <class T>
void rnn_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                  const T* x, const T* h0, const RnnWeights<T>& w, const T* y, const RnnShape& s, RnnNonlinearity act) {
  const int64_t B = s.batch, H = s.hidden_size, BH = B * H;
  const Steps steps{s};
  const bool relu = act == RnnNonlinearity::relu;
  const int rows = backward_rows<T>(rnn_cell(act), s);
  const int64_t carried = rows ? 0 : Scratch<T>::padded(BH);  // the per-step loop's dh
  Scratch<T> scratch(Scratch<T>::padded(s.steps * BH) + carried, stream);
  T* dpre = scratch.take(s.steps * BH);
  if (rows) {
    const rnn_persistent::BackwardArgs<T> a{dpre,    dpre,    dh0,     nullptr, dy,        dh_n,
                                            nullptr, y,       nullptr, nullptr, nullptr,   nullptr,
                                            w.w_hh,  s.steps, B,       H,       s.reverse, rows};
    if (relu)
      rnn_persistent::backward<T, Cell::rnn_relu>(stream, a);
    else
      rnn_persistent::backward<T, Cell::rnn_tanh>(stream, a);
  } else if (BH > 0) {
    T* dh = scratch.take(BH);  // the gradient reaching h from the later step
    for (int64_t step = s.steps - 1; step >= 0; --step) {
      const int64_t o = steps.offset(steps.at(step), H);
      const bool last = step == s.steps - 1, first = step == 0;
      FASTNN_LAUNCH(rnn_backward_kernel<T>)(state_blocks(BH), dim3(kThreads), 0, stream, dpre + o, dy + o,
                                            last ? dh_n : dh, y + o, BH, relu);
      T* dh_out = first ? dh0 : dh;
      if (dh_out) times_w(stream, B, H, H, dpre + o, H, w.w_hh, dh_out, H, T(0));
    }
  }
  weight_and_input_grads(stream, dx, dw, dpre, dpre, H, x, h0, w, y, s);
}

#define FASTNN_INSTANTIATE_RNN(T)                                                                                  \
  template void lstm_forward<T>(cudaStream_t, T*, T*, T*, const T*, const T*, const T*, const RnnWeights<T>&,      \
                                const RnnShape&);                                                                  \
  template void lstm_backward<T>(cudaStream_t, T*, T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*, \
                                 const T*, const T*, const T*, const RnnWeights<T>&, const T*, const T*, const T*, \
                                 const RnnShape&);                                                                 \
  template void gru_forward<T>(cudaStream_t, T*, T*, const T*, const T*, const RnnWeights<T>&, const RnnShape&);   \
  template void gru_backward<T>(cudaStream_t, T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*,      \
                                const T*, const RnnWeights<T>&, const T*, const T*, const RnnShape&);              \
  template void rnn_forward<T>(cudaStream_t, T*, const T*, const T*, const RnnWeights<T>&, const RnnShape&,        \
                               RnnNonlinearity);                                                                   \
  template void rnn_backward<T>(cudaStream_t, T*, T*, const RnnWeightGrads<T>&, const T*, const T*, const T*,      \
                                const T*, const RnnWeights<T>&, const T*, const RnnShape&, RnnNonlinearity);
FASTNN_INSTANTIATE_RNN(float)
FASTNN_INSTANTIATE_RNN(double)
#undef FASTNN_INSTANTIATE_RNN

}  // namespace fastnn::cuda
