// Recurrent layers (cpu/rnn.h), one layer and one direction: every array is float32/float64 of
// input's dtype. With G gates (RNN 1, LSTM 4, GRU 3) and hidden size H (weight_hh's columns):
//   input [T, B, I] (sequences, T >= 1) or [B, I] (cells); weight_ih [G*H, I]; weight_hh
//   [G*H, H]; bias_ih, bias_hh [G*H] (both or neither); h0, c0 (LSTM) [B, H] or None.
// Backward inputs (grad_output, output, cell, gates, grad_h_n, ...) have the sequence shape
// [T, B, width] ([B, width] for cells) or the state shape [B, H]: rnn_input_check.
// Messages start with the function's name ("lstm_forward: ..."), as PyTorch's do.
#pragma once
#include <string>

#include "cpu/rnn.h"
#include "ops/array.h"

namespace fastnn::ops {

enum class RnnKind { rnn, lstm, gru };

// Gates of a kind (G), and the width of a saved gate row in hidden sizes (GRU keeps W_hn h + b_hn
// beside r, z, n; a plain RNN saves none).
int64_t rnn_gate_count(RnnKind kind);
int64_t rnn_saved_gate_width(RnnKind kind);

// "tanh" / "relu"; ValueError otherwise.
cpu::RnnNonlinearity parse_nonlinearity(const std::string& name);

// The layer's sizes, after checking input, the weights, the biases and the initial states.
cpu::RnnShape rnn_layer_check(RnnKind kind, const char* fn, bool cell, const Array& input, const Array& weight_ih,
                              const Array& weight_hh, const Array* bias_ih, const Array* bias_hh, const Array* h0,
                              const Array* c0, bool reverse);

// A further array of the layer: input's dtype and exactly the shape `expected`.
void rnn_input_check(const char* fn, const Array& a, const char* name, const Array& input, const Shape& expected);

}  // namespace fastnn::ops
