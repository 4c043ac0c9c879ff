// fastnn._C.<activation>_forward / _backward: checks every argument, then runs the activation
// kernels (cpu/activation.h) without the GIL. Inputs of any layout are read through a
// C-contiguous copy when they are not one; outputs must be C-contiguous (or are allocated).
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/activation.h"

namespace fastnn::bindings {

namespace {

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

py::array forward(ActOp op, const ActParams<double>& params, py::object x_obj, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  require_same_or_no_overlap(out, "out", x, "x");
  const int64_t n = x.size();
  const bool f32 = is_float32(x);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::activation_forward(op, static_cast<float*>(out.mutable_data()), static_cast<const float*>(x.data()), n,
                              cast_params<float>(params));
    else
      cpu::activation_forward(op, static_cast<double*>(out.mutable_data()), static_cast<const double*>(x.data()), n,
                              params);
  }
  return out;
}

py::array backward(ActOp op, const ActParams<double>& params, py::object dy_obj, py::object saved_obj,
                   py::object out_obj) {
  const char* saved_name = cpu::activation_backward_uses_output(op) ? "y" : "x";
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  const py::array saved = c_contiguous(float_array(saved_obj, saved_name));
  require_same_dtype(saved, dy, saved_name, "grad_out");
  require_same_shape(saved, saved_name, dy, "grad_out");
  py::array out = output_array(out_obj, "out", dy.dtype(), shape_of(dy));
  require_same_or_no_overlap(out, "out", dy, "grad_out");
  require_same_or_no_overlap(out, "out", saved, saved_name);
  const int64_t n = dy.size();
  const bool f32 = is_float32(dy);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::activation_backward(op, static_cast<float*>(out.mutable_data()), static_cast<const float*>(dy.data()),
                               static_cast<const float*>(saved.data()), n, cast_params<float>(params));
    else
      cpu::activation_backward(op, static_cast<double*>(out.mutable_data()), static_cast<const double*>(dy.data()),
                               static_cast<const double*>(saved.data()), n, params);
  }
  return out;
}

ActOp gelu_op(const std::string& approximate) {
  if (approximate == "none") return ActOp::gelu;
  if (approximate == "tanh") return ActOp::gelu_tanh;
  throw py::value_error("approximate must be 'none' or 'tanh', got '" + approximate + "'");
}

ActParams<double> leaky(double negative_slope) {
  ActParams<double> p;
  p.negative_slope = negative_slope;
  return p;
}

ActParams<double> elu(double alpha) {
  ActParams<double> p;
  p.alpha = alpha;
  return p;
}

ActParams<double> softplus(double beta, double threshold) {
  ActParams<double> p;
  p.beta = beta;
  p.threshold = threshold;
  return p;
}

// Registers <name>_forward(x, out=None) and <name>_backward(grad_out, x_or_y, out=None) for the
// activations without parameters.
void def_plain(py::module_& m, const char* name, ActOp op, const char* formula) {
  const char* saved = cpu::activation_backward_uses_output(op) ? "y" : "x";
  m.def((std::string(name) + "_forward").c_str(),
        [op](py::object x, py::object out) { return forward(op, {}, x, out); }, py::arg("x"),
        py::arg("out") = py::none(), formula);
  m.def((std::string(name) + "_backward").c_str(),
        [op](py::object dy, py::object s, py::object out) { return backward(op, {}, dy, s, out); },
        py::arg("grad_out"), py::arg(saved), py::arg("out") = py::none());
}

}  // namespace

void bind_activation(py::module_& m) {
  def_plain(m, "relu", ActOp::relu, "y = max(x, 0)");
  def_plain(m, "sigmoid", ActOp::sigmoid, "y = 1 / (1 + exp(-x))");
  def_plain(m, "tanh", ActOp::tanh, "y = tanh(x)");
  def_plain(m, "silu", ActOp::silu, "y = x * sigmoid(x)");

  m.def("leaky_relu_forward", [](py::object x, double s, py::object out) { return forward(ActOp::leaky_relu, leaky(s), x, out); },
        py::arg("x"), py::arg("negative_slope") = 0.01, py::arg("out") = py::none());
  m.def("leaky_relu_backward",
        [](py::object dy, py::object x, double s, py::object out) { return backward(ActOp::leaky_relu, leaky(s), dy, x, out); },
        py::arg("grad_out"), py::arg("x"), py::arg("negative_slope") = 0.01, py::arg("out") = py::none());

  m.def("elu_forward", [](py::object x, double a, py::object out) { return forward(ActOp::elu, elu(a), x, out); },
        py::arg("x"), py::arg("alpha") = 1.0, py::arg("out") = py::none());
  m.def("elu_backward",
        [](py::object dy, py::object x, double a, py::object out) { return backward(ActOp::elu, elu(a), dy, x, out); },
        py::arg("grad_out"), py::arg("x"), py::arg("alpha") = 1.0, py::arg("out") = py::none());

  m.def("gelu_forward",
        [](py::object x, const std::string& approximate, py::object out) { return forward(gelu_op(approximate), {}, x, out); },
        py::arg("x"), py::arg("approximate") = "none", py::arg("out") = py::none());
  m.def("gelu_backward",
        [](py::object dy, py::object x, const std::string& approximate, py::object out) {
          return backward(gelu_op(approximate), {}, dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("approximate") = "none", py::arg("out") = py::none());

  m.def("softplus_forward",
        [](py::object x, double beta, double threshold, py::object out) {
          return forward(ActOp::softplus, softplus(beta, threshold), x, out);
        },
        py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0, py::arg("out") = py::none());
  m.def("softplus_backward",
        [](py::object dy, py::object x, double beta, double threshold, py::object out) {
          return backward(ActOp::softplus, softplus(beta, threshold), dy, x, out);
        },
        py::arg("grad_out"), py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0,
        py::arg("out") = py::none());
}

}  // namespace fastnn::bindings
