// group_norm_forward / group_norm_backward: the binding template (see binding.h); checks in
// ops/group_norm.h, kernels in cpu/group_norm.h. Backward computes only the gradients asked
// for (None otherwise).
#pragma once
#include "bindings/binding.h"
#include "ops/group_norm.h"

namespace fastnn::bindings {

namespace group_norm_detail {

template <class Backend>
py::tuple group_norm_forward(py::handle x_obj, py::handle groups_obj, py::handle weight_obj, py::handle bias_obj,
                             py::handle eps_obj, py::handle out_obj) {
  const int64_t num_groups = int_arg(groups_obj, "num_groups");
  const double eps = float_arg(eps_obj, "eps");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  const cpu::GroupNormGeometry g = ops::group_norm_forward_check(x, num_groups, weight, bias, eps);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  const ops::Array& mean = call.allocate("mean", x.dtype, {g.n, g.groups});
  const ops::Array& rstd = call.allocate("rstd", x.dtype, {g.n, g.groups});
  call.allow_in_place("out", "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::group_norm_forward(call.stream(), out.out<T>(), mean.out<T>(), rstd.out<T>(), x.in<T>(),
                                ops::in_or_null<T>(weight), ops::in_or_null<T>(bias), g, eps);
  });
  return results(call, &out, &mean, &rstd);
}

template <class Backend>
py::tuple group_norm_backward(py::handle dy_obj, py::handle x_obj, py::handle mean_obj, py::handle rstd_obj,
                              py::handle groups_obj, py::handle weight_obj, py::handle input_grad,
                              py::handle weight_grad, py::handle bias_grad) {
  const int64_t num_groups = int_arg(groups_obj, "num_groups");
  const bool want_dx = bool_arg(input_grad, "input_grad"), want_dw = bool_arg(weight_grad, "weight_grad"),
             want_db = bool_arg(bias_grad, "bias_grad");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& mean = call.float_input(mean_obj, "mean");
  const ops::Array& rstd = call.float_input(rstd_obj, "rstd");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const cpu::GroupNormGeometry g = ops::group_norm_backward_check(dy, x, mean, rstd, num_groups, weight);
  const ops::Array* dx = want_dx ? &call.allocate("grad_x", x.dtype, x.dims()) : nullptr;
  const ops::Array* dw = want_dw ? &call.allocate("grad_weight", x.dtype, {g.c}) : nullptr;
  const ops::Array* db = want_db ? &call.allocate("grad_bias", x.dtype, {g.c}) : nullptr;
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    Backend::group_norm_backward(call.stream(), out_or_null<T>(dx), out_or_null<T>(dw), out_or_null<T>(db),
                                 dy.in<T>(), x.in<T>(), mean.in<T>(), rstd.in<T>(), in_or_null<T>(weight), g);
  });
  return results(call, dx, dw, db);
}

}  // namespace group_norm_detail

template <class Backend>
void bind_group_norm(py::module_& m) {
  using namespace group_norm_detail;
  using py::arg;
  m.def("group_norm_forward", &group_norm_forward<Backend>, arg("x"), arg("num_groups"), arg("weight") = py::none(),
        arg("bias") = py::none(), arg("eps") = 1e-5, arg("out") = py::none(),
        "(y, mean, rstd): normalisation of x [N, C, ...] over each of num_groups channel groups, then weight and bias "
        "per channel.");
  m.def("group_norm_backward", &group_norm_backward<Backend>, arg("grad_out"), arg("x"), arg("mean"), arg("rstd"),
        arg("num_groups"), arg("weight") = py::none(), arg("input_grad") = true, arg("weight_grad") = true,
        arg("bias_grad") = true,
        "(grad_x, grad_weight, grad_bias), each None when not asked for; mean, rstd from the forward.");
}

}  // namespace fastnn::bindings
