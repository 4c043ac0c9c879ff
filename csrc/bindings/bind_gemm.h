// gemm: the binding template (see binding.h); checks in ops/gemm.h.
#pragma once
#include "bindings/binding.h"
#include "cpu/gemm.h"
#include "ops/gemm.h"

namespace fastnn::bindings {

template <class Backend>
py::object gemm(py::handle a_obj, py::handle b_obj, py::handle c_obj, py::handle alpha_obj, py::handle beta_obj,
                py::handle trans_a_obj, py::handle trans_b_obj, py::handle bias_obj, py::handle activation_obj) {
  const double alpha = float_arg(alpha_obj, "alpha"), beta = float_arg(beta_obj, "beta");
  const bool trans_a = bool_arg(trans_a_obj, "trans_a"), trans_b = bool_arg(trans_b_obj, "trans_b");
  const ops::GemmActivation act = activation_obj.is_none()
                                      ? ops::GemmActivation::none
                                      : ops::parse_gemm_activation(str_arg(activation_obj, "activation"));
  typename Backend::Call call;
  const ops::Array& a = call.float_input(a_obj, "a", Layout::strided);
  const ops::Array& b = call.float_input(b_obj, "b", Layout::strided);
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  const ops::GemmSizes s = ops::gemm_check(a, trans_a, b, trans_b, bias, beta, !c_obj.is_none());
  const ops::Array& c = call.output(c_obj, "c", a.dtype, {s.m, s.n}, Layout::strided, "a");
  call.check_aliasing();
  with_float_type(a, [&](auto tag) {
    using T = decltype(tag);
    cpu::GemmProblem<T> g;
    g.m = s.m, g.n = s.n, g.k = s.k;
    g.a = a.in<T>();
    g.rs_a = a.strides[trans_a ? 1 : 0], g.cs_a = a.strides[trans_a ? 0 : 1];
    g.b = b.in<T>();
    g.rs_b = b.strides[trans_b ? 1 : 0], g.cs_b = b.strides[trans_b ? 0 : 1];
    g.c = c.out<T>();
    g.rs_c = c.strides[0], g.cs_c = c.strides[1];
    g.alpha = static_cast<T>(alpha), g.beta = static_cast<T>(beta);
    g.bias = ops::in_or_null<T>(bias);
    g.act = act == ops::GemmActivation::relu ? cpu::Activation::relu : cpu::Activation::none;
    Backend::gemm(call.stream(), g);
  });
  return call.object(c);
}

template <class Backend>
void bind_gemm(py::module_& m) {
  m.def("gemm", &gemm<Backend>, py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("bias") = py::none(),
        py::arg("activation") = py::none(),
        R"(C = activation(alpha * op(a) @ op(b) + beta * c + bias), op = identity or transpose.

a, b: 2-D float32/float64 arrays of one dtype, any strides. c: None (allocated, C-order) or a
writeable array of shape (m, n) that shares no memory with a or b. bias: length-n vector
broadcast over rows. activation: None or "relu". Returns c.)");
}

}  // namespace fastnn::bindings
