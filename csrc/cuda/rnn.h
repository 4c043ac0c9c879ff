// CUDA recurrent layers: the contract of cpu/rnn.h (LSTM, GRU and Elman RNN with tanh or relu,
// one layer and one direction per call, whole sequences or one cell step; PyTorch's weight
// layouts and gate orders; the saved gates [T, B, 4H] and LSTM cells [T, B, H]; null pointers
// for zero initial states, no bias and unwanted gradients) on device memory, enqueued on
// `stream`. No atomics: every sum runs in a fixed order, so results are bitwise repeatable.
#pragma once
#include <cstdint>

#include "cpu/rnn.h"

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

using cpu::cell_shape;
using cpu::RnnNonlinearity;
using cpu::RnnShape;
using cpu::RnnWeightGrads;
using cpu::RnnWeights;

// Whether layers with hidden sizes up to 256 run their recurrence as one persistent kernel
// (rnn_persistent.cuh; the default) or as a gemm and a pointwise launch per step; for tests and
// benchmarks (fastnn._cuda._set_rnn_persistent_kernels).
void set_rnn_persistent_kernels(bool enabled);
bool rnn_persistent_kernels();

// ------------------------------------------------------------------------------------- LSTM
template <class T>
void lstm_forward(cudaStream_t stream, T* y, T* cell, T* gates, const T* x, const T* h0, const T* c0,
                  const RnnWeights<T>& w, const RnnShape& s);

template <class T>
void lstm_backward(cudaStream_t stream, T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                   const T* dc_n, const T* x, const T* h0, const T* c0, const RnnWeights<T>& w, const T* y,
                   const T* cell, const T* gates, const RnnShape& s);

// ------------------------------------------------------------------------------------- GRU
template <class T>
void gru_forward(cudaStream_t stream, T* y, T* gates, const T* x, const T* h0, const RnnWeights<T>& w,
                 const RnnShape& s);

template <class T>
void gru_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                  const T* x, const T* h0, const RnnWeights<T>& w, const T* y, const T* gates, const RnnShape& s);

// ------------------------------------------------------------------------------ RNN (Elman)
template <class T>
void rnn_forward(cudaStream_t stream, T* y, const T* x, const T* h0, const RnnWeights<T>& w, const RnnShape& s,
                 RnnNonlinearity act);

template <class T>
void rnn_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dy, const T* dh_n,
                  const T* x, const T* h0, const RnnWeights<T>& w, const T* y, const RnnShape& s, RnnNonlinearity act);

// ------------------------------------------------------------------------------------ cells
// One step: the sequence kernels with T = 1, as in cpu/rnn.h.
template <class T>
void lstm_cell_forward(cudaStream_t stream, T* h1, T* c1, T* gates, const T* x, const T* h0, const T* c0,
                       const RnnWeights<T>& w, int64_t batch, int64_t input_size, int64_t hidden_size) {
  lstm_forward(stream, h1, c1, gates, x, h0, c0, w, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void lstm_cell_backward(cudaStream_t stream, T* dx, T* dh0, T* dc0, const RnnWeightGrads<T>& dw, const T* dh1,
                        const T* dc1, const T* x, const T* h0, const T* c0, const RnnWeights<T>& w, const T* c1,
                        const T* gates, int64_t batch, int64_t input_size, int64_t hidden_size) {
  lstm_backward(stream, dx, dh0, dc0, dw, dh1, static_cast<const T*>(nullptr), dc1, x, h0, c0, w,
                static_cast<const T*>(nullptr), c1, gates, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void gru_cell_forward(cudaStream_t stream, T* h1, T* gates, const T* x, const T* h0, const RnnWeights<T>& w,
                      int64_t batch, int64_t input_size, int64_t hidden_size) {
  gru_forward(stream, h1, gates, x, h0, w, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void gru_cell_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dh1, const T* x,
                       const T* h0, const RnnWeights<T>& w, const T* gates, int64_t batch, int64_t input_size,
                       int64_t hidden_size) {
  gru_backward(stream, dx, dh0, dw, dh1, static_cast<const T*>(nullptr), x, h0, w, static_cast<const T*>(nullptr),
               gates, cell_shape(batch, input_size, hidden_size));
}

template <class T>
void rnn_cell_forward(cudaStream_t stream, T* h1, const T* x, const T* h0, const RnnWeights<T>& w, int64_t batch,
                      int64_t input_size, int64_t hidden_size, RnnNonlinearity act) {
  rnn_forward(stream, h1, x, h0, w, cell_shape(batch, input_size, hidden_size), act);
}

template <class T>
void rnn_cell_backward(cudaStream_t stream, T* dx, T* dh0, const RnnWeightGrads<T>& dw, const T* dh1, const T* x,
                       const T* h0, const RnnWeights<T>& w, const T* h1, int64_t batch, int64_t input_size,
                       int64_t hidden_size, RnnNonlinearity act) {
  rnn_backward(stream, dx, dh0, dw, dh1, static_cast<const T*>(nullptr), x, h0, w, h1,
               cell_shape(batch, input_size, hidden_size), act);
}

}  // namespace fastnn::cuda
