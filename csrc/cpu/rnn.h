// Recurrent layers, one layer and one direction at a time, with PyTorch's weight layouts and
// gate orders (G gates of H rows each in weight_ih [G*H, I], weight_hh [G*H, H], biases [G*H]):
//
//   RNN  (G=1)  h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
//   LSTM (G=4)  i, f, g, o = sigm, sigm, tanh, sigm of (W_ih x + b_ih + W_hh h + b_hh)
//               c' = f c + i g,  h' = o tanh(c')
//   GRU  (G=3)  r, z = sigm(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
//               n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = (1 - z) n + z h
//
// Layouts: x [T, B, I], y [T, B, H] (time-major, contiguous), states [B, H]. y[t] is the hidden
// state after input t; with `reverse` the steps run t = T-1 .. 0, so the final state h_n is
// y[T-1] forwards and y[0] in reverse (likewise c_n from `cell`). What backward needs is an
// explicit forward output: `gates` [T, B, G'*H] holds the activated gates (LSTM i, f, g, o; GRU
// r, z, n and W_hn h + b_hn, so G' = 4 for both) and `cell` [T, B, H] the LSTM cell states.
//
// Algorithm: the input projection of all T steps is ONE gemm ([T*B, I] x W_ih^T + biases) into
// the gate buffer; each step adds its recurrent gemm (h [B, H] x W_hh^T) and runs one fused
// pointwise pass (SIMD sigmoid/tanh) over the B rows. Backward walks the steps in reverse
// writing dGates, then forms dx = dGates W_ih, dW_ih = dGates^T X and dW_hh = dGates^T H_prev as
// large gemms over all steps, and the bias gradients as column sums in row order. The gemm
// never splits K and everything else is elementwise, so results are bitwise identical for
// any thread count.
//
// Null pointers: h0 / c0 null means zero initial state; b_ih / b_hh null (both) means no bias;
// any gradient output may be null when it is not wanted. Gradients are written (=), not
// accumulated. dh_n / dc_n (gradients of the final states, added to the last step's) may be null.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

template <class T>
struct RnnWeights {
  const T* w_ih = nullptr;  // [G*H, I]
  const T* w_hh = nullptr;  // [G*H, H]
  const T* b_ih = nullptr;  // [G*H] or null
  const T* b_hh = nullptr;  // [G*H] or null
};

template <class T>
struct RnnWeightGrads {
  T* w_ih = nullptr;
  T* w_hh = nullptr;
  T* b_ih = nullptr;
  T* b_hh = nullptr;
};

struct RnnShape {
  int64_t steps = 0, batch = 0, input_size = 0, hidden_size = 0;
  bool reverse = false;
};

enum class RnnNonlinearity { tanh = 0, relu = 1 };

// ------------------------------------------------------------------------------------- LSTM
template <class T>
void lstm_forward(T* y, T* cell, T* gates,  // [T,B,H], [T,B,H], [T,B,4H]
                  const T* x, const T* h0, const T* c0, const RnnWeights<T>& w, const RnnShape& s);

template <class T>
void lstm_backward(T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw,  // [T,B,I], [B,H], [B,H]
                   const T* dy, const T* dh_n, const T* dc_n,           // [T,B,H], [B,H], [B,H]
                   const T* x, const T* h0, const T* c0, const RnnWeights<T>& w,
                   const T* y, const T* cell, const T* gates, const RnnShape& s);

// ------------------------------------------------------------------------------------- GRU
template <class T>
void gru_forward(T* y, T* gates,  // [T,B,H], [T,B,4H]
                 const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s);

template <class T>
void gru_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n, const T* x, const T* h0,
                  const RnnWeights<T>& w, const T* y, const T* gates, const RnnShape& s);

// ------------------------------------------------------------------------------ RNN (Elman)
// y itself is what backward needs (tanh' = 1 - y^2, relu' = y > 0).
template <class T>
void rnn_forward(T* y, const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s, RnnNonlinearity act);

template <class T>
void rnn_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n, const T* x, const T* h0,
                  const RnnWeights<T>& w, const T* y, const RnnShape& s, RnnNonlinearity act);

// ------------------------------------------------------------------------------------ cells
// One step: the sequence kernels with T = 1 (h1 = y[0], c1 = cell[0]); shapes x [B, I],
// states [B, H], gates [B, 4H].
inline RnnShape cell_shape(int64_t batch, int64_t input_size, int64_t hidden_size) {
  return {1, batch, input_size, hidden_size, false};
}

template <class T>
void lstm_cell_forward(T* h1, T* c1, T* gates, const T* x, const T* h0, const T* c0, const RnnWeights<T>& w,
                       int64_t batch, int64_t input_size, int64_t hidden_size) {
  lstm_forward(h1, c1, gates, x, h0, c0, w, cell_shape(batch, input_size, hidden_size));
}

// h1 is not needed: one step's only previous hidden state is h0.
template <class T>
void lstm_cell_backward(T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw, const T* dh1, const T* dc1, const T* x,
                        const T* h0, const T* c0, const RnnWeights<T>& w, const T* c1, const T* gates, int64_t batch,
                        int64_t input_size, int64_t hidden_size) {
  lstm_backward(dx, dh0, dc0, dw, dh1, static_cast<const T*>(nullptr), dc1, x, h0, c0, w, static_cast<const T*>(nullptr),
                c1, gates, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void gru_cell_forward(T* h1, T* gates, const T* x, const T* h0, const RnnWeights<T>& w, int64_t batch,
                      int64_t input_size, int64_t hidden_size) {
  gru_forward(h1, gates, x, h0, w, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void gru_cell_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dh1, const T* x, const T* h0,
                       const RnnWeights<T>& w, const T* gates, int64_t batch, int64_t input_size,
                       int64_t hidden_size) {
  gru_backward(dx, dh0, dw, dh1, static_cast<const T*>(nullptr), x, h0, w, static_cast<const T*>(nullptr), gates,
               cell_shape(batch, input_size, hidden_size));
}

template <class T>
void rnn_cell_forward(T* h1, const T* x, const T* h0, const RnnWeights<T>& w, int64_t batch, int64_t input_size,
                      int64_t hidden_size, RnnNonlinearity act) {
  rnn_forward(h1, x, h0, w, cell_shape(batch, input_size, hidden_size), act);
}

template <class T>
void rnn_cell_backward(T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dh1, const T* x, const T* h0,
                       const RnnWeights<T>& w, const T* h1, int64_t batch, int64_t input_size, int64_t hidden_size,
                       RnnNonlinearity act) {
  rnn_backward(dx, dh0, dw, dh1, static_cast<const T*>(nullptr), x, h0, w, h1,
               cell_shape(batch, input_size, hidden_size), act);
}

}  // namespace fastnn::cpu
