// {lstm,gru,rnn}_{forward,backward} (one layer, one direction, whole sequences) and the one-step
// {lstm,gru,rnn}_cell_{forward,backward}: the binding template (see binding.h); checks in
// ops/rnn.h, kernels in cpu/rnn.h. Every output is allocated here; backward returns the
// gradients of the arrays given (None for h0, c0, biases that were None, and for the input
// when input_grad is False).
#pragma once
#include "bindings/binding.h"
#include "ops/rnn.h"

namespace fastnn::bindings {

namespace rnn_detail {

using ops::RnnKind;

// One layer's arrays, checked against each other, and the sizes they imply.
template <class Call>
struct Layer {
  const char* fn;  // the function name, for messages
  bool cell;
  const ops::Array& x;
  const ops::Array& w_ih;
  const ops::Array& w_hh;
  const ops::Array* b_ih;
  const ops::Array* b_hh;
  const ops::Array* h0;
  const ops::Array* c0;
  cpu::RnnShape shape;

  Layer(Call& call, RnnKind kind, const char* fn_name, bool is_cell, py::handle x_obj, py::handle h0_obj,
        py::handle c0_obj, py::handle w_ih_obj, py::handle w_hh_obj, py::handle b_ih_obj, py::handle b_hh_obj,
        bool reverse)
      : fn(fn_name),
        cell(is_cell),
        x(call.float_input(x_obj, "input")),
        w_ih(call.float_input(w_ih_obj, "weight_ih")),
        w_hh(call.float_input(w_hh_obj, "weight_hh")),
        b_ih(call.optional_float_input(b_ih_obj, "bias_ih")),
        b_hh(call.optional_float_input(b_hh_obj, "bias_hh")),
        h0(call.optional_float_input(h0_obj, "h0")),
        c0(kind == RnnKind::lstm ? call.optional_float_input(c0_obj, "c0") : nullptr),
        shape(ops::rnn_layer_check(kind, fn, cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse)) {}

  // [T, B, width], or [B, width] for a cell.
  ops::Shape seq(int64_t width) const {
    return cell ? ops::Shape{shape.batch, width} : ops::Shape{shape.steps, shape.batch, width};
  }
  ops::Shape state_shape() const { return {shape.batch, shape.hidden_size}; }
  // A further input of the layer's dtype and exactly the shape `expected`; None is null.
  const ops::Array* optional(Call& call, py::handle obj, const char* name, const ops::Shape& expected) const {
    const ops::Array* a = call.optional_float_input(obj, name);
    if (a) ops::rnn_input_check(fn, *a, name, x, expected);
    return a;
  }
  const ops::Array& shaped(Call& call, py::handle obj, const char* name, const ops::Shape& expected) const {
    const ops::Array& a = call.float_input(obj, name);
    ops::rnn_input_check(fn, a, name, x, expected);
    return a;
  }
  template <class T>
  cpu::RnnWeights<T> weights() const {
    return {w_ih.in<T>(), w_hh.in<T>(), ops::in_or_null<T>(b_ih), ops::in_or_null<T>(b_hh)};
  }
};

// Gradients of one layer's inputs: dx (when asked for), dh0 / dc0 (when the state was given)
// and the weight gradients (the bias ones when the layer has biases).
template <class Call>
struct Grads {
  const ops::Array *dx, *dh0, *dc0, *dw_ih, *dw_hh, *db_ih, *db_hh;

  Grads(Call& call, const Layer<Call>& l, bool input_grad) {
    const ops::DType t = l.x.dtype;
    dx = input_grad ? &call.allocate("grad_input", t, l.x.dims()) : nullptr;
    dh0 = l.h0 ? &call.allocate("grad_h0", t, l.h0->dims()) : nullptr;
    dc0 = l.c0 ? &call.allocate("grad_c0", t, l.c0->dims()) : nullptr;
    dw_ih = &call.allocate("grad_weight_ih", t, l.w_ih.dims());
    dw_hh = &call.allocate("grad_weight_hh", t, l.w_hh.dims());
    db_ih = l.b_ih ? &call.allocate("grad_bias_ih", t, l.b_ih->dims()) : nullptr;
    db_hh = l.b_hh ? &call.allocate("grad_bias_hh", t, l.b_hh->dims()) : nullptr;
  }
  template <class T>
  cpu::RnnWeightGrads<T> weights() const {
    return {dw_ih->out<T>(), dw_hh->out<T>(), ops::out_or_null<T>(db_ih), ops::out_or_null<T>(db_hh)};
  }
};

// ----------------------------------------------------------------------------------------- LSTM
template <class Backend>
py::tuple lstm_forward(const char* fn, bool cell, py::handle x, py::handle h0, py::handle c0, py::handle w_ih,
                       py::handle w_hh, py::handle b_ih, py::handle b_hh, bool reverse) {
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::lstm, fn, cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const ops::Array& y = call.allocate(cell ? "h1" : "output", l.x.dtype, l.seq(H));
  const ops::Array& cs = call.allocate(cell ? "c1" : "cell", l.x.dtype, l.seq(H));
  const ops::Array& gates = call.allocate("gates", l.x.dtype, l.seq(4 * H));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::lstm_cell_forward(call.stream(), y.out<T>(), cs.out<T>(), gates.out<T>(), l.x.template in<T>(),
                                 in_or_null<T>(l.h0), in_or_null<T>(l.c0), l.template weights<T>(), s.batch,
                                 s.input_size, s.hidden_size);
    else
      Backend::lstm_forward(call.stream(), y.out<T>(), cs.out<T>(), gates.out<T>(), l.x.template in<T>(), in_or_null<T>(l.h0),
                            in_or_null<T>(l.c0), l.template weights<T>(), s);
  });
  return results(call, &y, &cs, &gates);
}

template <class Backend>
py::tuple lstm_backward(const char* fn, bool cell, py::handle dy_obj, py::handle dh_n_obj, py::handle dc_n_obj,
                        py::handle x, py::handle h0, py::handle c0, py::handle w_ih, py::handle w_hh, py::handle b_ih,
                        py::handle b_hh, py::handle y_obj, py::handle cell_obj, py::handle gates_obj, bool reverse,
                        bool input_grad) {
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::lstm, fn, cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const ops::Array& dy = l.shaped(call, dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H));
  const ops::Array* dh_n = cell ? nullptr : l.optional(call, dh_n_obj, "grad_h_n", l.state_shape());
  const ops::Array* dc_n = l.optional(call, dc_n_obj, cell ? "grad_c1" : "grad_c_n", l.state_shape());
  const ops::Array* y = cell ? nullptr : &l.shaped(call, y_obj, "output", l.seq(H));
  const ops::Array& cs = l.shaped(call, cell_obj, cell ? "c1" : "cell", l.seq(H));
  const ops::Array& gates = l.shaped(call, gates_obj, "gates", l.seq(4 * H));
  const Grads<Call> g(call, l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::lstm_cell_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), out_or_null<T>(g.dc0),
                                  g.template weights<T>(), dy.in<T>(), in_or_null<T>(dc_n), l.x.template in<T>(),
                                  in_or_null<T>(l.h0), in_or_null<T>(l.c0), l.template weights<T>(), cs.in<T>(),
                                  gates.in<T>(), s.batch, s.input_size, s.hidden_size);
    else
      Backend::lstm_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), out_or_null<T>(g.dc0),
                             g.template weights<T>(), dy.in<T>(), in_or_null<T>(dh_n), in_or_null<T>(dc_n),
                             l.x.template in<T>(), in_or_null<T>(l.h0), in_or_null<T>(l.c0), l.template weights<T>(),
                             y->in<T>(), cs.in<T>(), gates.in<T>(), s);
  });
  return results(call, g.dx, g.dh0, g.dc0, g.dw_ih, g.dw_hh, g.db_ih, g.db_hh);
}

// ------------------------------------------------------------------------------------------ GRU
template <class Backend>
py::tuple gru_forward(const char* fn, bool cell, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh,
                      py::handle b_ih, py::handle b_hh, bool reverse) {
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::gru, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const ops::Array& y = call.allocate(cell ? "h1" : "output", l.x.dtype, l.seq(H));
  const ops::Array& gates =
      call.allocate("gates", l.x.dtype, l.seq(ops::rnn_saved_gate_width(RnnKind::gru) * H));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::gru_cell_forward(call.stream(), y.out<T>(), gates.out<T>(), l.x.template in<T>(), in_or_null<T>(l.h0),
                                l.template weights<T>(), s.batch, s.input_size, s.hidden_size);
    else
      Backend::gru_forward(call.stream(), y.out<T>(), gates.out<T>(), l.x.template in<T>(), in_or_null<T>(l.h0),
                           l.template weights<T>(), s);
  });
  return results(call, &y, &gates);
}

template <class Backend>
py::tuple gru_backward(const char* fn, bool cell, py::handle dy_obj, py::handle dh_n_obj, py::handle x, py::handle h0,
                       py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh, py::handle y_obj,
                       py::handle gates_obj, bool reverse, bool input_grad) {
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::gru, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const ops::Array& dy = l.shaped(call, dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H));
  const ops::Array* dh_n = cell ? nullptr : l.optional(call, dh_n_obj, "grad_h_n", l.state_shape());
  const ops::Array* y = cell ? nullptr : &l.shaped(call, y_obj, "output", l.seq(H));
  const ops::Array& gates =
      l.shaped(call, gates_obj, "gates", l.seq(ops::rnn_saved_gate_width(RnnKind::gru) * H));
  const Grads<Call> g(call, l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::gru_cell_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), g.template weights<T>(),
                                 dy.in<T>(), l.x.template in<T>(), in_or_null<T>(l.h0), l.template weights<T>(), gates.in<T>(),
                                 s.batch, s.input_size, s.hidden_size);
    else
      Backend::gru_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), g.template weights<T>(),
                            dy.in<T>(), in_or_null<T>(dh_n), l.x.template in<T>(), in_or_null<T>(l.h0),
                            l.template weights<T>(), y->in<T>(), gates.in<T>(), s);
  });
  return results(call, g.dx, g.dh0, g.dw_ih, g.dw_hh, g.db_ih, g.db_hh);
}

// ------------------------------------------------------------------------------------------ RNN
template <class Backend>
py::object rnn_forward(const char* fn, bool cell, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh,
                       py::handle b_ih, py::handle b_hh, py::handle nonlinearity, bool reverse) {
  const cpu::RnnNonlinearity act = ops::parse_nonlinearity(str_arg(nonlinearity, "nonlinearity"));
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::rnn, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const ops::Array& y = call.allocate(cell ? "h1" : "output", l.x.dtype, l.seq(l.shape.hidden_size));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::rnn_cell_forward(call.stream(), y.out<T>(), l.x.template in<T>(), in_or_null<T>(l.h0), l.template weights<T>(),
                                s.batch, s.input_size, s.hidden_size, act);
    else
      Backend::rnn_forward(call.stream(), y.out<T>(), l.x.template in<T>(), in_or_null<T>(l.h0), l.template weights<T>(), s,
                           act);
  });
  return call.object(y);
}

template <class Backend>
py::tuple rnn_backward(const char* fn, bool cell, py::handle dy_obj, py::handle dh_n_obj, py::handle x, py::handle h0,
                       py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh, py::handle y_obj,
                       py::handle nonlinearity, bool reverse, bool input_grad) {
  const cpu::RnnNonlinearity act = ops::parse_nonlinearity(str_arg(nonlinearity, "nonlinearity"));
  using Call = typename Backend::Call;
  Call call;
  const Layer<Call> l(call, RnnKind::rnn, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const ops::Array& dy = l.shaped(call, dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H));
  const ops::Array* dh_n = cell ? nullptr : l.optional(call, dh_n_obj, "grad_h_n", l.state_shape());
  const ops::Array& y = l.shaped(call, y_obj, cell ? "h1" : "output", l.seq(H));
  const Grads<Call> g(call, l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    const cpu::RnnShape& s = l.shape;
    if (cell)
      Backend::rnn_cell_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), g.template weights<T>(),
                                 dy.in<T>(), l.x.template in<T>(), in_or_null<T>(l.h0), l.template weights<T>(), y.in<T>(),
                                 s.batch, s.input_size, s.hidden_size, act);
    else
      Backend::rnn_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dh0), g.template weights<T>(),
                            dy.in<T>(), in_or_null<T>(dh_n), l.x.template in<T>(), in_or_null<T>(l.h0),
                            l.template weights<T>(), y.in<T>(), s, act);
  });
  return results(call, g.dx, g.dh0, g.dw_ih, g.dw_hh, g.db_ih, g.db_hh);
}

}  // namespace rnn_detail

template <class Backend>
void bind_rnn(py::module_& m) {
  using namespace rnn_detail;
  using py::arg;
  const auto none = py::none();
  // Sequences: x [T, B, I]; states [B, H]; one layer, one direction.
  m.def(
      "lstm_forward",
      [](py::handle x, py::handle h0, py::handle c0, py::handle w_ih, py::handle w_hh, py::handle b_ih,
         py::handle b_hh, py::handle reverse) {
        return lstm_forward<Backend>("lstm_forward", false, x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                     bool_arg(reverse, "reverse"));
      },
      arg("input"), arg("h0"), arg("c0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none,
      arg("bias_hh") = none, arg("reverse") = false,
      R"doc(-> (y [T, B, H], cell [T, B, H], gates [T, B, 4H]); h_n = y[-1] (reverse: y[0]), likewise c_n.)doc");
  m.def(
      "lstm_backward",
      [](py::handle dy, py::handle dh_n, py::handle dc_n, py::handle x, py::handle h0, py::handle c0, py::handle w_ih,
         py::handle w_hh, py::handle b_ih, py::handle b_hh, py::handle y, py::handle cs, py::handle gates,
         py::handle reverse, py::handle input_grad) {
        return lstm_backward<Backend>("lstm_backward", false, dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, cs,
                                      gates, bool_arg(reverse, "reverse"), bool_arg(input_grad, "input_grad"));
      },
      arg("grad_output"), arg("grad_h_n"), arg("grad_c_n"), arg("input"), arg("h0"), arg("c0"), arg("weight_ih"),
      arg("weight_hh"), arg("bias_ih"), arg("bias_hh"), arg("output"), arg("cell"), arg("gates"),
      arg("reverse") = false, arg("input_grad") = true, R"doc(-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "gru_forward",
      [](py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh,
         py::handle reverse) {
        return gru_forward<Backend>("gru_forward", false, x, h0, w_ih, w_hh, b_ih, b_hh, bool_arg(reverse, "reverse"));
      },
      arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none, arg("bias_hh") = none,
      arg("reverse") = false, R"doc(-> (y [T, B, H], gates [T, B, 4H]).)doc");
  m.def(
      "gru_backward",
      [](py::handle dy, py::handle dh_n, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh,
         py::handle b_ih, py::handle b_hh, py::handle y, py::handle gates, py::handle reverse, py::handle input_grad) {
        return gru_backward<Backend>("gru_backward", false, dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, y, gates,
                                     bool_arg(reverse, "reverse"), bool_arg(input_grad, "input_grad"));
      },
      arg("grad_output"), arg("grad_h_n"), arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"),
      arg("bias_ih"), arg("bias_hh"), arg("output"), arg("gates"), arg("reverse") = false, arg("input_grad") = true,
      R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "rnn_forward",
      [](py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh,
         py::handle nonlinearity, py::handle reverse) {
        return rnn_forward<Backend>("rnn_forward", false, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity,
                                    bool_arg(reverse, "reverse"));
      },
      arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none, arg("bias_hh") = none,
      arg("nonlinearity") = "tanh", arg("reverse") = false,
      R"doc(-> y [T, B, H] (nonlinearity 'tanh' or 'relu'); y is all that backward needs.)doc");
  m.def(
      "rnn_backward",
      [](py::handle dy, py::handle dh_n, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh,
         py::handle b_ih, py::handle b_hh, py::handle y, py::handle nonlinearity, py::handle reverse,
         py::handle input_grad) {
        return rnn_backward<Backend>("rnn_backward", false, dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, y, nonlinearity,
                                     bool_arg(reverse, "reverse"), bool_arg(input_grad, "input_grad"));
      },
      arg("grad_output"), arg("grad_h_n"), arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"),
      arg("bias_ih"), arg("bias_hh"), arg("output"), arg("nonlinearity") = "tanh", arg("reverse") = false,
      arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");

  // Cells: x [B, I]; states [B, H]; one step.
  m.def(
      "lstm_cell_forward",
      [](py::handle x, py::handle h0, py::handle c0, py::handle w_ih, py::handle w_hh, py::handle b_ih,
         py::handle b_hh) {
        return lstm_forward<Backend>("lstm_cell_forward", true, x, h0, c0, w_ih, w_hh, b_ih, b_hh, false);
      },
      arg("input"), arg("h0"), arg("c0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none,
      arg("bias_hh") = none, R"doc(-> (h1, c1, gates [B, 4H]).)doc");
  m.def(
      "lstm_cell_backward",
      [](py::handle dh1, py::handle dc1, py::handle x, py::handle h0, py::handle c0, py::handle w_ih, py::handle w_hh,
         py::handle b_ih, py::handle b_hh, py::handle c1, py::handle gates, py::handle input_grad) {
        return lstm_backward<Backend>("lstm_cell_backward", true, dh1, py::none(), dc1, x, h0, c0, w_ih, w_hh, b_ih,
                                      b_hh, py::none(), c1, gates, false, bool_arg(input_grad, "input_grad"));
      },
      arg("grad_h1"), arg("grad_c1"), arg("input"), arg("h0"), arg("c0"), arg("weight_ih"), arg("weight_hh"),
      arg("bias_ih"), arg("bias_hh"), arg("c1"), arg("gates"), arg("input_grad") = true,
      R"doc(-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh); grad_c1 may be None.)doc");
  m.def(
      "gru_cell_forward",
      [](py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh) {
        return gru_forward<Backend>("gru_cell_forward", true, x, h0, w_ih, w_hh, b_ih, b_hh, false);
      },
      arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none, arg("bias_hh") = none,
      R"doc(-> (h1, gates [B, 4H]).)doc");
  m.def(
      "gru_cell_backward",
      [](py::handle dh1, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih,
         py::handle b_hh, py::handle gates, py::handle input_grad) {
        return gru_backward<Backend>("gru_cell_backward", true, dh1, py::none(), x, h0, w_ih, w_hh, b_ih, b_hh,
                                     py::none(), gates, false, bool_arg(input_grad, "input_grad"));
      },
      arg("grad_h1"), arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih"), arg("bias_hh"),
      arg("gates"), arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "rnn_cell_forward",
      [](py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh,
         py::handle nonlinearity) {
        return rnn_forward<Backend>("rnn_cell_forward", true, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, false);
      },
      arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih") = none, arg("bias_hh") = none,
      arg("nonlinearity") = "tanh", R"doc(-> h1.)doc");
  m.def(
      "rnn_cell_backward",
      [](py::handle dh1, py::handle x, py::handle h0, py::handle w_ih, py::handle w_hh, py::handle b_ih,
         py::handle b_hh, py::handle h1, py::handle nonlinearity, py::handle input_grad) {
        return rnn_backward<Backend>("rnn_cell_backward", true, dh1, py::none(), x, h0, w_ih, w_hh, b_ih, b_hh, h1,
                                     nonlinearity, false, bool_arg(input_grad, "input_grad"));
      },
      arg("grad_h1"), arg("input"), arg("h0"), arg("weight_ih"), arg("weight_hh"), arg("bias_ih"), arg("bias_hh"),
      arg("h1"), arg("nonlinearity") = "tanh", arg("input_grad") = true,
      R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
}

}  // namespace fastnn::bindings
