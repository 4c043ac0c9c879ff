// The activations <name>_forward(x, [params], out=None) and <name>_backward(grad_out, x or y,
// [params], out=None): the binding template (see binding.h); checks in ops/activation.h.
// Semantics are PyTorch's, NaN included (relu'(0) = 0; NaN in, NaN out); the kernels are
// cpu/activation.h's ActOp family.
#pragma once
#include "bindings/binding.h"
#include "cpu/activation.h"
#include "ops/activation.h"

namespace fastnn::bindings {

namespace activation_detail {

using cpu::ActOp;
using cpu::ActParams;

template <class T>
ActParams<T> cast_params(const ActParams<double>& p) {
  ActParams<T> q;
  q.negative_slope = T(p.negative_slope);
  q.alpha = T(p.alpha);
  q.beta = T(p.beta);
  q.threshold = T(p.threshold);
  return q;
}

template <class Backend>
py::object forward(ActOp op, const ActParams<double>& params, py::handle x_obj, py::handle out_obj) {
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  ops::activation_forward_check(x);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  call.allow_in_place("out", "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::activation_forward(call.stream(), op, out.out<T>(), x.in<T>(), x.size(), cast_params<T>(params));
  });
  return call.object(out);
}

template <class Backend>
py::object backward(ActOp op, const ActParams<double>& params, py::handle dy_obj, py::handle saved_obj,
                    py::handle out_obj) {
  const char* saved_name = cpu::activation_backward_uses_output(op) ? "y" : "x";
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& saved = call.float_input(saved_obj, saved_name);
  ops::activation_backward_check(dy, saved, saved_name);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, dy.dims());
  call.allow_in_place("out", "grad_out");
  call.allow_in_place("out", saved_name);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::activation_backward(call.stream(), op, out.out<T>(), dy.in<T>(), saved.in<T>(), dy.size(),
                                 cast_params<T>(params));
  });
  return call.object(out);
}

inline ActParams<double> leaky(py::handle negative_slope) {
  ActParams<double> p;
  p.negative_slope = float_arg(negative_slope, "negative_slope");
  return p;
}

inline ActParams<double> elu(py::handle alpha) {
  ActParams<double> p;
  p.alpha = float_arg(alpha, "alpha");
  return p;
}

inline ActParams<double> softplus(py::handle beta, py::handle threshold) {
  ActParams<double> p;
  p.beta = float_arg(beta, "beta");
  p.threshold = float_arg(threshold, "threshold");
  return p;
}

inline ActOp gelu_op(py::handle approximate) {
  return ops::parse_gelu_approximation(str_arg(approximate, "approximate")) == ops::GeluApproximation::tanh
             ? ActOp::gelu_tanh
             : ActOp::gelu;
}

// <name>_forward(x, out=None) and <name>_backward(grad_out, saved, out=None) of an activation
// without parameters; `saved` is x or y (the forward output), as the derivative needs.
template <class Backend>
void def_plain(py::module_& m, const char* forward_name, const char* backward_name, ActOp op, const char* forward_doc,
               const char* backward_doc) {
  const char* saved = cpu::activation_backward_uses_output(op) ? "y" : "x";
  m.def(forward_name, [op](py::handle x, py::handle out) { return forward<Backend>(op, {}, x, out); }, py::arg("x"),
        py::arg("out") = py::none(), forward_doc);
  m.def(backward_name,
        [op](py::handle dy, py::handle s, py::handle out) { return backward<Backend>(op, {}, dy, s, out); },
        py::arg("grad_out"), py::arg(saved), py::arg("out") = py::none(), backward_doc);
}

}  // namespace activation_detail

// x: float32/float64, any layout (read through a C-contiguous copy when it is not one); out:
// None or a C-contiguous writeable array of x's shape and dtype, which may be x itself.
template <class Backend>
void bind_activation(py::module_& m) {
  using namespace activation_detail;
  def_plain<Backend>(m, "relu_forward", "relu_backward", ActOp::relu, "y = max(x, 0).",
                     "grad_in = grad_out where x > 0, else 0.");
  def_plain<Backend>(m, "sigmoid_forward", "sigmoid_backward", ActOp::sigmoid, "y = 1 / (1 + exp(-x)).",
                     "grad_in = grad_out * y * (1 - y), from the forward output y.");
  def_plain<Backend>(m, "tanh_forward", "tanh_backward", ActOp::tanh, "y = tanh(x).",
                     "grad_in = grad_out * (1 - y**2), from the forward output y.");
  def_plain<Backend>(m, "silu_forward", "silu_backward", ActOp::silu, "y = x * sigmoid(x).",
                     "grad_in = grad_out * s * (1 + x * (1 - s)), s = sigmoid(x).");

  m.def("leaky_relu_forward",
        [](py::handle x, py::handle s, py::handle out) { return forward<Backend>(ActOp::leaky_relu, leaky(s), x, out); },
        py::arg("x"), py::arg("negative_slope") = 0.01, py::arg("out") = py::none(),
        "y = x if x > 0 else negative_slope * x.");
  m.def("leaky_relu_backward",
        [](py::handle dy, py::handle x, py::handle s, py::handle out) {
          return backward<Backend>(ActOp::leaky_relu, leaky(s), dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("negative_slope") = 0.01, py::arg("out") = py::none(),
        "grad_in = grad_out * (1 if x > 0 else negative_slope).");

  m.def("elu_forward", [](py::handle x, py::handle a, py::handle out) { return forward<Backend>(ActOp::elu, elu(a), x, out); },
        py::arg("x"), py::arg("alpha") = 1.0, py::arg("out") = py::none(), "y = x if x > 0 else alpha * (exp(x) - 1).");
  m.def("elu_backward",
        [](py::handle dy, py::handle x, py::handle a, py::handle out) {
          return backward<Backend>(ActOp::elu, elu(a), dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("alpha") = 1.0, py::arg("out") = py::none(),
        "grad_in = grad_out * (1 if x > 0 else alpha * exp(x)).");

  m.def("gelu_forward",
        [](py::handle x, py::handle approximate, py::handle out) {
          return forward<Backend>(gelu_op(approximate), {}, x, out);
        },
        py::arg("x"), py::arg("approximate") = "none", py::arg("out") = py::none(),
        "y = x * Phi(x) (approximate=\"none\", erf form) or the tanh approximation (\"tanh\").");
  m.def("gelu_backward",
        [](py::handle dy, py::handle x, py::handle approximate, py::handle out) {
          return backward<Backend>(gelu_op(approximate), {}, dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("approximate") = "none", py::arg("out") = py::none(),
        "grad_in = grad_out * d gelu / dx, for the same `approximate` as the forward.");

  m.def("softplus_forward",
        [](py::handle x, py::handle beta, py::handle threshold, py::handle out) {
          return forward<Backend>(ActOp::softplus, softplus(beta, threshold), x, out);
        },
        py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0, py::arg("out") = py::none(),
        "y = log(1 + exp(beta * x)) / beta, and y = x where beta * x > threshold.");
  m.def("softplus_backward",
        [](py::handle dy, py::handle x, py::handle beta, py::handle threshold, py::handle out) {
          return backward<Backend>(ActOp::softplus, softplus(beta, threshold), dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0,
        py::arg("out") = py::none(), "grad_in = grad_out * sigmoid(beta * x), and grad_out where beta * x > threshold.");
}

}  // namespace fastnn::bindings
