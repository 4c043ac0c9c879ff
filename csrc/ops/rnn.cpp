#include "ops/rnn.h"

#include "ops/checks.h"

namespace fastnn::ops {

int64_t rnn_gate_count(RnnKind kind) { return kind == RnnKind::lstm ? 4 : kind == RnnKind::gru ? 3 : 1; }

int64_t rnn_saved_gate_width(RnnKind kind) { return kind == RnnKind::rnn ? 0 : 4; }

cpu::RnnNonlinearity parse_nonlinearity(const std::string& name) {
  if (name == "tanh") return cpu::RnnNonlinearity::tanh;
  if (name == "relu") return cpu::RnnNonlinearity::relu;
  value_error("nonlinearity must be 'tanh' or 'relu', got '" + name + "'");
}

void rnn_input_check(const char* fn, const Array& a, const char* name, const Array& input, const Shape& expected) {
  require_same_dtype(a, input, name, "input");
  if (a.dims() != expected)
    value_error(std::string(fn) + ": " + name + " must have shape " + shape_string(expected) + ", got " +
                shape_string(a));
}

cpu::RnnShape rnn_layer_check(RnnKind kind, const char* fn, bool cell, const Array& x, const Array& w_ih,
                              const Array& w_hh, const Array* b_ih, const Array* b_hh, const Array* h0,
                              const Array* c0, bool reverse) {
  const std::string f = std::string(fn) + ": ";
  if (x.ndim != (cell ? 2 : 3))
    value_error(f + "input must be " + (cell ? "2-D (batch, input_size)" : "3-D (seq_len, batch, input_size)") +
                ", got shape " + shape_string(x));
  const int64_t G = rnn_gate_count(kind);
  require_same_dtype(w_hh, x, "weight_hh", "input");
  require_ndim(w_hh, 2, "weight_hh");
  const int64_t H = w_hh.shape[1];
  const int64_t rows = G * H;
  if (w_hh.shape[0] != rows)
    value_error(f + "weight_hh must have shape (" + std::to_string(G) + " * hidden_size, hidden_size) = " +
                shape_string(Shape{rows, H}) + " for hidden_size " + std::to_string(H) + ", got " +
                shape_string(w_hh));
  const int64_t I = x.shape[x.ndim - 1];
  require_same_dtype(w_ih, x, "weight_ih", "input");
  require_ndim(w_ih, 2, "weight_ih");
  if (w_ih.shape[0] != rows)
    value_error(f + "weight_ih must have " + std::to_string(rows) + " rows like weight_hh, got shape " +
                shape_string(w_ih));
  if (w_ih.shape[1] != I)
    value_error(f + "input.size(-1) must be equal to input_size. Expected " + std::to_string(w_ih.shape[1]) +
                ", got " + std::to_string(I));
  if (!b_ih != !b_hh) value_error(f + "bias_ih and bias_hh must both be given or both be None");
  if (b_ih) rnn_input_check(fn, *b_ih, "bias_ih", x, {rows});
  if (b_hh) rnn_input_check(fn, *b_hh, "bias_hh", x, {rows});
  cpu::RnnShape s{cell ? 1 : x.shape[0], x.shape[cell ? 0 : 1], I, H, reverse};
  if (!cell && s.steps < 1) value_error(f + "input must have at least one time step, got shape " + shape_string(x));
  if (h0) rnn_input_check(fn, *h0, "h0", x, {s.batch, H});
  if (c0) rnn_input_check(fn, *c0, "c0", x, {s.batch, H});
  return s;
}

}  // namespace fastnn::ops
