// fastnn._C.{lstm,gru,rnn}_{forward,backward} (one layer, one direction, whole sequences) and
// the one-step {lstm,gru,rnn}_cell_{forward,backward}: every shape and dtype is checked against
// the weights, outputs are allocated here, and the kernels of cpu/rnn.h run without the GIL.
#include <optional>
#include <string>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "cpu/rnn.h"

namespace fastnn::bindings {

namespace {

using Opt = std::optional<py::array>;

enum class Kind { rnn, lstm, gru };

int64_t gate_count(Kind kind) { return kind == Kind::lstm ? 4 : kind == Kind::gru ? 3 : 1; }
// Width of a saved gate row in hidden sizes (GRU keeps W_hn h + b_hn beside r, z, n); 0: none.
int64_t saved_gate_width(Kind kind) { return kind == Kind::rnn ? 0 : 4; }

std::string dims(std::initializer_list<int64_t> d) {
  std::string s = "(";
  for (auto it = d.begin(); it != d.end(); ++it) s += (it == d.begin() ? "" : ", ") + std::to_string(*it);
  return s + (d.size() == 1 ? ",)" : ")");
}

// One layer's validated arguments: C-contiguous arrays of one dtype and the sizes they imply.
struct Layer {
  std::string fn;  // the function name, for messages
  bool cell = false;
  py::array x, w_ih, w_hh;
  Opt h0, c0, b_ih, b_hh;
  cpu::RnnShape shape;

  std::vector<py::ssize_t> seq(int64_t width) const {  // [T, B, width], or [B, width] for a cell
    if (cell) return {shape.batch, width};
    return {shape.steps, shape.batch, width};
  }
  std::string seq_dims(int64_t width) const {
    return cell ? dims({shape.batch, width}) : dims({shape.steps, shape.batch, width});
  }

  py::array input(py::handle obj, const char* name) const {
    py::array a = float_array(obj, name);
    require_same_dtype(a, x, name, "input");
    return c_contiguous(a);
  }
  // A required array of exactly `expected` shape.
  py::array shaped(py::handle obj, const char* name, const std::vector<py::ssize_t>& expected,
                   const std::string& expected_text) const {
    py::array a = input(obj, name);
    if (shape_of(a) != expected)
      throw py::value_error(fn + ": " + name + " must have shape " + expected_text + ", got " + shape_string(a));
    return a;
  }
  Opt optional(py::handle obj, const char* name, const std::vector<py::ssize_t>& expected,
               const std::string& expected_text) const {
    if (obj.is_none()) return std::nullopt;
    return shaped(obj, name, expected, expected_text);
  }
  Opt state(py::handle obj, const char* name) const {
    return optional(obj, name, {shape.batch, shape.hidden_size}, dims({shape.batch, shape.hidden_size}));
  }
};

Layer parse_layer(Kind kind, const char* fn, bool cell, py::handle x_obj, py::handle h0_obj, py::handle c0_obj,
                  py::handle w_ih_obj, py::handle w_hh_obj, py::handle b_ih_obj, py::handle b_hh_obj, bool reverse) {
  Layer l;
  l.fn = fn;
  l.cell = cell;
  l.x = c_contiguous(float_array(x_obj, "input"));
  if (l.x.ndim() != (cell ? 2 : 3))
    throw py::value_error(l.fn + ": input must be " + (cell ? "2-D (batch, input_size)" : "3-D (seq_len, batch, input_size)") +
                          ", got shape " + shape_string(l.x));
  const int64_t G = gate_count(kind);
  l.w_hh = l.input(w_hh_obj, "weight_hh");
  require_ndim(l.w_hh, 2, "weight_hh");
  const int64_t H = l.w_hh.shape(1);
  if (l.w_hh.shape(0) != G * H)
    throw py::value_error(l.fn + ": weight_hh must have shape (" + std::to_string(G) + " * hidden_size, hidden_size) = " +
                          dims({G * H, H}) + " for hidden_size " + std::to_string(H) + ", got " + shape_string(l.w_hh));
  const int64_t I = l.x.shape(l.x.ndim() - 1);
  l.w_ih = l.input(w_ih_obj, "weight_ih");
  require_ndim(l.w_ih, 2, "weight_ih");
  if (l.w_ih.shape(0) != G * H)
    throw py::value_error(l.fn + ": weight_ih must have " + std::to_string(G * H) + " rows like weight_hh, got shape " +
                          shape_string(l.w_ih));
  if (l.w_ih.shape(1) != I)
    throw py::value_error(l.fn + ": input.size(-1) must be equal to input_size. Expected " +
                          std::to_string(l.w_ih.shape(1)) + ", got " + std::to_string(I));
  if (b_ih_obj.is_none() != b_hh_obj.is_none())
    throw py::value_error(l.fn + ": bias_ih and bias_hh must both be given or both be None");
  l.b_ih = l.optional(b_ih_obj, "bias_ih", {G * H}, dims({G * H}));
  l.b_hh = l.optional(b_hh_obj, "bias_hh", {G * H}, dims({G * H}));
  l.shape = {cell ? 1 : l.x.shape(0), l.x.shape(cell ? 0 : 1), I, H, reverse};
  if (!cell && l.shape.steps < 1) throw py::value_error(l.fn + ": input must have at least one time step, got shape " +
                                                        shape_string(l.x));
  l.h0 = l.state(h0_obj, "h0");
  if (kind == Kind::lstm) l.c0 = l.state(c0_obj, "c0");
  return l;
}

template <class T>
const T* ptr(const py::array& a) {
  return static_cast<const T*>(a.data());
}
template <class T>
const T* ptr(const Opt& a) {
  return a ? ptr<T>(*a) : nullptr;
}
template <class T>
T* mut(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}
template <class T>
T* mut(Opt& a) {
  return a ? mut<T>(*a) : nullptr;
}

template <class T>
cpu::RnnWeights<T> weights(const Layer& l) {
  return {ptr<T>(l.w_ih), ptr<T>(l.w_hh), ptr<T>(l.b_ih), ptr<T>(l.b_hh)};
}

cpu::RnnNonlinearity parse_nonlinearity(const std::string& name) {
  if (name == "tanh") return cpu::RnnNonlinearity::tanh;
  if (name == "relu") return cpu::RnnNonlinearity::relu;
  throw py::value_error("nonlinearity must be 'tanh' or 'relu', got '" + name + "'");
}

// Gradients of one layer's inputs: dx (when asked for), dh0 / dc0 (when the state was given)
// and the weight gradients (the bias ones when the layer has biases).
struct Grads {
  Opt dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh;

  Grads(const Layer& l, bool input_grad) {
    const auto like = [&](const py::array& a) { return empty_like_dtype(l.x, shape_of(a)); };
    if (input_grad) dx = like(l.x);
    if (l.h0) dh0 = like(*l.h0);
    if (l.c0) dc0 = like(*l.c0);
    dw_ih = like(l.w_ih);
    dw_hh = like(l.w_hh);
    if (l.b_ih) {
      db_ih = like(*l.b_ih);
      db_hh = like(*l.b_hh);
    }
  }
  template <class T>
  cpu::RnnWeightGrads<T> weights() {
    return {mut<T>(dw_ih), mut<T>(dw_hh), mut<T>(db_ih), mut<T>(db_hh)};
  }
  static py::object or_none(const Opt& a) { return a ? py::object(*a) : py::object(py::none()); }
  py::tuple result(bool with_dc0) const {
    if (with_dc0)
      return py::make_tuple(or_none(dx), or_none(dh0), or_none(dc0), or_none(dw_ih), or_none(dw_hh), or_none(db_ih),
                            or_none(db_hh));
    return py::make_tuple(or_none(dx), or_none(dh0), or_none(dw_ih), or_none(dw_hh), or_none(db_ih), or_none(db_hh));
  }
};

// ----------------------------------------------------------------------------------------- LSTM
py::tuple lstm_forward_impl(const char* fn, bool cell, py::object x, py::object h0, py::object c0, py::object w_ih,
                            py::object w_hh, py::object b_ih, py::object b_hh, bool reverse) {
  Layer l = parse_layer(Kind::lstm, fn, cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  py::array y = empty_like_dtype(l.x, l.seq(H)), cs = empty_like_dtype(l.x, l.seq(H));
  py::array gates = empty_like_dtype(l.x, l.seq(4 * H));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::lstm_cell_forward(mut<T>(y), mut<T>(cs), mut<T>(gates), ptr<T>(l.x), ptr<T>(l.h0), ptr<T>(l.c0),
                             weights<T>(l), s.batch, s.input_size, s.hidden_size);
    else
      cpu::lstm_forward(mut<T>(y), mut<T>(cs), mut<T>(gates), ptr<T>(l.x), ptr<T>(l.h0), ptr<T>(l.c0), weights<T>(l),
                        s);
  });
  return py::make_tuple(y, cs, gates);
}

py::tuple lstm_backward_impl(const char* fn, bool cell, py::object dy_obj, py::object dh_n_obj, py::object dc_n_obj,
                             py::object x, py::object h0, py::object c0, py::object w_ih, py::object w_hh,
                             py::object b_ih, py::object b_hh, py::object y_obj, py::object cell_obj,
                             py::object gates_obj, bool reverse, bool input_grad) {
  Layer l = parse_layer(Kind::lstm, fn, cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const py::array dy = l.shaped(dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H), l.seq_dims(H));
  const Opt dh_n = cell ? Opt() : l.state(dh_n_obj, "grad_h_n");
  const Opt dc_n = l.state(dc_n_obj, cell ? "grad_c1" : "grad_c_n");
  const Opt y = cell ? Opt() : l.shaped(y_obj, "output", l.seq(H), l.seq_dims(H));
  const py::array cs = l.shaped(cell_obj, cell ? "c1" : "cell", l.seq(H), l.seq_dims(H));
  const py::array gates = l.shaped(gates_obj, "gates", l.seq(4 * H), l.seq_dims(4 * H));
  Grads g(l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::lstm_cell_backward(mut<T>(g.dx), mut<T>(g.dh0), mut<T>(g.dc0), g.weights<T>(), ptr<T>(dy), ptr<T>(dc_n),
                              ptr<T>(l.x), ptr<T>(l.h0), ptr<T>(l.c0), weights<T>(l), ptr<T>(cs), ptr<T>(gates),
                              s.batch, s.input_size, s.hidden_size);
    else
      cpu::lstm_backward(mut<T>(g.dx), mut<T>(g.dh0), mut<T>(g.dc0), g.weights<T>(), ptr<T>(dy), ptr<T>(dh_n),
                         ptr<T>(dc_n), ptr<T>(l.x), ptr<T>(l.h0), ptr<T>(l.c0), weights<T>(l), ptr<T>(y), ptr<T>(cs),
                         ptr<T>(gates), s);
  });
  return g.result(true);
}

// ------------------------------------------------------------------------------------------ GRU
py::tuple gru_forward_impl(const char* fn, bool cell, py::object x, py::object h0, py::object w_ih, py::object w_hh,
                           py::object b_ih, py::object b_hh, bool reverse) {
  Layer l = parse_layer(Kind::gru, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  py::array y = empty_like_dtype(l.x, l.seq(H));
  py::array gates = empty_like_dtype(l.x, l.seq(saved_gate_width(Kind::gru) * H));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::gru_cell_forward(mut<T>(y), mut<T>(gates), ptr<T>(l.x), ptr<T>(l.h0), weights<T>(l), s.batch,
                            s.input_size, s.hidden_size);
    else
      cpu::gru_forward(mut<T>(y), mut<T>(gates), ptr<T>(l.x), ptr<T>(l.h0), weights<T>(l), s);
  });
  return py::make_tuple(y, gates);
}

py::tuple gru_backward_impl(const char* fn, bool cell, py::object dy_obj, py::object dh_n_obj, py::object x,
                            py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh,
                            py::object y_obj, py::object gates_obj, bool reverse, bool input_grad) {
  Layer l = parse_layer(Kind::gru, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size, GS = saved_gate_width(Kind::gru) * H;
  const py::array dy = l.shaped(dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H), l.seq_dims(H));
  const Opt dh_n = cell ? Opt() : l.state(dh_n_obj, "grad_h_n");
  const Opt y = cell ? Opt() : l.shaped(y_obj, "output", l.seq(H), l.seq_dims(H));
  const py::array gates = l.shaped(gates_obj, "gates", l.seq(GS), l.seq_dims(GS));
  Grads g(l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::gru_cell_backward(mut<T>(g.dx), mut<T>(g.dh0), g.weights<T>(), ptr<T>(dy), ptr<T>(l.x), ptr<T>(l.h0),
                             weights<T>(l), ptr<T>(gates), s.batch, s.input_size, s.hidden_size);
    else
      cpu::gru_backward(mut<T>(g.dx), mut<T>(g.dh0), g.weights<T>(), ptr<T>(dy), ptr<T>(dh_n), ptr<T>(l.x),
                        ptr<T>(l.h0), weights<T>(l), ptr<T>(y), ptr<T>(gates), s);
  });
  return g.result(false);
}

// ------------------------------------------------------------------------------------------ RNN
py::array rnn_forward_impl(const char* fn, bool cell, py::object x, py::object h0, py::object w_ih, py::object w_hh,
                           py::object b_ih, py::object b_hh, const std::string& nonlinearity, bool reverse) {
  const cpu::RnnNonlinearity act = parse_nonlinearity(nonlinearity);
  Layer l = parse_layer(Kind::rnn, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  py::array y = empty_like_dtype(l.x, l.seq(l.shape.hidden_size));
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::rnn_cell_forward(mut<T>(y), ptr<T>(l.x), ptr<T>(l.h0), weights<T>(l), s.batch, s.input_size,
                            s.hidden_size, act);
    else
      cpu::rnn_forward(mut<T>(y), ptr<T>(l.x), ptr<T>(l.h0), weights<T>(l), s, act);
  });
  return y;
}

py::tuple rnn_backward_impl(const char* fn, bool cell, py::object dy_obj, py::object dh_n_obj, py::object x,
                            py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh,
                            py::object y_obj, const std::string& nonlinearity, bool reverse, bool input_grad) {
  const cpu::RnnNonlinearity act = parse_nonlinearity(nonlinearity);
  Layer l = parse_layer(Kind::rnn, fn, cell, x, h0, py::none(), w_ih, w_hh, b_ih, b_hh, reverse);
  const int64_t H = l.shape.hidden_size;
  const py::array dy = l.shaped(dy_obj, cell ? "grad_h1" : "grad_output", l.seq(H), l.seq_dims(H));
  const Opt dh_n = cell ? Opt() : l.state(dh_n_obj, "grad_h_n");
  const py::array y = l.shaped(y_obj, cell ? "h1" : "output", l.seq(H), l.seq_dims(H));
  Grads g(l, input_grad);
  with_float_type(l.x, [&](auto tag) {
    using T = decltype(tag);
    const cpu::RnnShape& s = l.shape;
    if (l.cell)
      cpu::rnn_cell_backward(mut<T>(g.dx), mut<T>(g.dh0), g.weights<T>(), ptr<T>(dy), ptr<T>(l.x), ptr<T>(l.h0),
                             weights<T>(l), ptr<T>(y), s.batch, s.input_size, s.hidden_size, act);
    else
      cpu::rnn_backward(mut<T>(g.dx), mut<T>(g.dh0), g.weights<T>(), ptr<T>(dy), ptr<T>(dh_n), ptr<T>(l.x),
                        ptr<T>(l.h0), weights<T>(l), ptr<T>(y), s, act);
  });
  return g.result(false);
}

}  // namespace

void bind_rnn(py::module_& m) {
  const auto none = py::none();
  // Sequences: x [T, B, I]; states [B, H]; one layer, one direction.
  m.def(
      "lstm_forward",
      [](py::object x, py::object h0, py::object c0, py::object w_ih, py::object w_hh, py::object b_ih,
         py::object b_hh, bool reverse) {
        return lstm_forward_impl("lstm_forward", false, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
      },
      py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("weight_ih"), py::arg("weight_hh"),
      py::arg("bias_ih") = none, py::arg("bias_hh") = none, py::arg("reverse") = false, R"doc(-> (y [T, B, H], cell [T, B, H], gates [T, B, 4H]); h_n = y[-1] (reverse: y[0]), likewise c_n.)doc");
  m.def(
      "lstm_backward",
      [](py::object dy, py::object dh_n, py::object dc_n, py::object x, py::object h0, py::object c0, py::object w_ih,
         py::object w_hh, py::object b_ih, py::object b_hh, py::object y, py::object cs, py::object gates,
         bool reverse, bool input_grad) {
        return lstm_backward_impl("lstm_backward", false, dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, cs,
                                  gates, reverse, input_grad);
      },
      py::arg("grad_output"), py::arg("grad_h_n"), py::arg("grad_c_n"), py::arg("input"), py::arg("h0"),
      py::arg("c0"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"),
      py::arg("output"), py::arg("cell"), py::arg("gates"), py::arg("reverse") = false,
      py::arg("input_grad") = true, R"doc(-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "gru_forward",
      [](py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh,
         bool reverse) { return gru_forward_impl("gru_forward", false, x, h0, w_ih, w_hh, b_ih, b_hh, reverse); },
      py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih") = none,
      py::arg("bias_hh") = none, py::arg("reverse") = false, R"doc(-> (y [T, B, H], gates [T, B, 4H]).)doc");
  m.def(
      "gru_backward",
      [](py::object dy, py::object dh_n, py::object x, py::object h0, py::object w_ih, py::object w_hh,
         py::object b_ih, py::object b_hh, py::object y, py::object gates, bool reverse, bool input_grad) {
        return gru_backward_impl("gru_backward", false, dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, y, gates, reverse,
                                 input_grad);
      },
      py::arg("grad_output"), py::arg("grad_h_n"), py::arg("input"), py::arg("h0"), py::arg("weight_ih"),
      py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"), py::arg("output"), py::arg("gates"),
      py::arg("reverse") = false, py::arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "rnn_forward",
      [](py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh,
         const std::string& nonlinearity, bool reverse) {
        return rnn_forward_impl("rnn_forward", false, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse);
      },
      py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih") = none,
      py::arg("bias_hh") = none, py::arg("nonlinearity") = "tanh", py::arg("reverse") = false, R"doc(-> y [T, B, H] (nonlinearity 'tanh' or 'relu'); y is all that backward needs.)doc");
  m.def(
      "rnn_backward",
      [](py::object dy, py::object dh_n, py::object x, py::object h0, py::object w_ih, py::object w_hh,
         py::object b_ih, py::object b_hh, py::object y, const std::string& nonlinearity, bool reverse,
         bool input_grad) {
        return rnn_backward_impl("rnn_backward", false, dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, y, nonlinearity,
                                 reverse, input_grad);
      },
      py::arg("grad_output"), py::arg("grad_h_n"), py::arg("input"), py::arg("h0"), py::arg("weight_ih"),
      py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"), py::arg("output"),
      py::arg("nonlinearity") = "tanh", py::arg("reverse") = false, py::arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");

  // Cells: x [B, I]; states [B, H]; one step.
  m.def(
      "lstm_cell_forward",
      [](py::object x, py::object h0, py::object c0, py::object w_ih, py::object w_hh, py::object b_ih,
         py::object b_hh) {
        return lstm_forward_impl("lstm_cell_forward", true, x, h0, c0, w_ih, w_hh, b_ih, b_hh, false);
      },
      py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("weight_ih"), py::arg("weight_hh"),
      py::arg("bias_ih") = none, py::arg("bias_hh") = none, R"doc(-> (h1, c1, gates [B, 4H]).)doc");
  m.def(
      "lstm_cell_backward",
      [](py::object dh1, py::object dc1, py::object x, py::object h0, py::object c0, py::object w_ih, py::object w_hh,
         py::object b_ih, py::object b_hh, py::object c1, py::object gates, bool input_grad) {
        return lstm_backward_impl("lstm_cell_backward", true, dh1, py::none(), dc1, x, h0, c0, w_ih, w_hh, b_ih, b_hh, py::none(),
                                  c1, gates, false, input_grad);
      },
      py::arg("grad_h1"), py::arg("grad_c1"), py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("weight_ih"),
      py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"), py::arg("c1"), py::arg("gates"),
      py::arg("input_grad") = true, R"doc(-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh); grad_c1 may be None.)doc");
  m.def(
      "gru_cell_forward",
      [](py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh) {
        return gru_forward_impl("gru_cell_forward", true, x, h0, w_ih, w_hh, b_ih, b_hh, false);
      },
      py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih") = none,
      py::arg("bias_hh") = none, R"doc(-> (h1, gates [B, 4H]).)doc");
  m.def(
      "gru_cell_backward",
      [](py::object dh1, py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih,
         py::object b_hh, py::object gates, bool input_grad) {
        return gru_backward_impl("gru_cell_backward", true, dh1, py::none(), x, h0, w_ih, w_hh, b_ih, b_hh, py::none(), gates,
                                 false, input_grad);
      },
      py::arg("grad_h1"), py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"),
      py::arg("bias_ih"), py::arg("bias_hh"), py::arg("gates"), py::arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
  m.def(
      "rnn_cell_forward",
      [](py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih, py::object b_hh,
         const std::string& nonlinearity) {
        return rnn_forward_impl("rnn_cell_forward", true, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, false);
      },
      py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih") = none,
      py::arg("bias_hh") = none, py::arg("nonlinearity") = "tanh", R"doc(-> h1.)doc");
  m.def(
      "rnn_cell_backward",
      [](py::object dh1, py::object x, py::object h0, py::object w_ih, py::object w_hh, py::object b_ih,
         py::object b_hh, py::object h1, const std::string& nonlinearity, bool input_grad) {
        return rnn_backward_impl("rnn_cell_backward", true, dh1, py::none(), x, h0, w_ih, w_hh, b_ih, b_hh, h1,
                                 nonlinearity, false, input_grad);
      },
      py::arg("grad_h1"), py::arg("input"), py::arg("h0"), py::arg("weight_ih"), py::arg("weight_hh"),
      py::arg("bias_ih"), py::arg("bias_hh"), py::arg("h1"), py::arg("nonlinearity") = "tanh",
      py::arg("input_grad") = true, R"doc(-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).)doc");
}

}  // namespace fastnn::bindings
