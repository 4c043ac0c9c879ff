// batch_norm and layer_norm (forward, backward): the binding template (see binding.h); checks
// in ops/norm.h, kernels in cpu/norm.h. Backward computes only the gradients asked for (None
// otherwise).
#pragma once
#include "bindings/binding.h"
#include "ops/norm.h"

namespace fastnn::bindings {

namespace norm_detail {

// The gradients a norm backward may return: each allocated only when asked for, else null.
template <class Call>
struct NormGrads {
  const ops::Array *dx, *dweight, *dbias;
  NormGrads(Call& call, const ops::Array& x, const ops::Shape& param_shape, py::handle input_obj,
            py::handle weight_obj, py::handle bias_obj)
      : dx(bool_arg(input_obj, "input_grad") ? &call.allocate("grad_x", x.dtype, x.dims()) : nullptr),
        dweight(bool_arg(weight_obj, "weight_grad") ? &call.allocate("grad_weight", x.dtype, param_shape) : nullptr),
        dbias(bool_arg(bias_obj, "bias_grad") ? &call.allocate("grad_bias", x.dtype, param_shape) : nullptr) {}
};

template <class Backend>
py::tuple batch_norm_forward(py::handle x_obj, py::handle weight_obj, py::handle bias_obj, py::handle mean_obj,
                             py::handle var_obj, py::handle training_obj, py::handle momentum_obj, py::handle eps_obj,
                             py::handle out_obj) {
  const bool training = bool_arg(training_obj, "training");
  const double momentum = float_arg(momentum_obj, "momentum"), eps = float_arg(eps_obj, "eps");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  // Running statistics are updated in place: never converted, so they must be exact already.
  const ops::Array* running_mean = call.optional_in_out(mean_obj, "running_mean");
  const ops::Array* running_var = call.optional_in_out(var_obj, "running_var");
  const ops::ChannelSizes v =
      ops::batch_norm_forward_check(x, weight, bias, running_mean, running_var, training, eps);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  const ops::Array& mean = call.allocate("mean", x.dtype, {v.c});
  const ops::Array& invstd = call.allocate("invstd", x.dtype, {v.c});
  call.allow_in_place("out", "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    Backend::batch_norm_forward(call.stream(), out.out<T>(), mean.out<T>(), invstd.out<T>(),
                                out_or_null<T>(running_mean), out_or_null<T>(running_var), x.in<T>(),
                                in_or_null<T>(weight), in_or_null<T>(bias), v.n, v.c, v.s, training, momentum, eps);
  });
  return results(call, &out, &mean, &invstd);
}

template <class Backend>
py::tuple batch_norm_backward(py::handle dy_obj, py::handle x_obj, py::handle mean_obj, py::handle invstd_obj,
                              py::handle weight_obj, py::handle training_obj, py::handle input_grad,
                              py::handle weight_grad, py::handle bias_grad) {
  const bool training = bool_arg(training_obj, "training");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& mean = call.float_input(mean_obj, "mean");
  const ops::Array& invstd = call.float_input(invstd_obj, "invstd");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const ops::ChannelSizes v = ops::batch_norm_backward_check(dy, x, mean, invstd, weight);
  const NormGrads<typename Backend::Call> g(call, x, {v.c}, input_grad, weight_grad, bias_grad);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    Backend::batch_norm_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dweight),
                                 out_or_null<T>(g.dbias), dy.in<T>(), x.in<T>(), mean.in<T>(), invstd.in<T>(),
                                 in_or_null<T>(weight), v.n, v.c, v.s, training);
  });
  return results(call, g.dx, g.dweight, g.dbias);
}

template <class Backend>
py::tuple layer_norm_forward(py::handle x_obj, py::handle normalized_obj, py::handle weight_obj, py::handle bias_obj,
                             py::handle eps_obj, py::handle out_obj) {
  const ops::Shape normalized = shape_arg(normalized_obj, "normalized_shape");
  const double eps = float_arg(eps_obj, "eps");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  const ops::RowSizes v = ops::layer_norm_forward_check(x, normalized, weight, bias, eps);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  const ops::Array& mean = call.allocate("mean", x.dtype, v.leading);
  const ops::Array& rstd = call.allocate("rstd", x.dtype, v.leading);
  call.allow_in_place("out", "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null;
    Backend::layer_norm_forward(call.stream(), out.out<T>(), mean.out<T>(), rstd.out<T>(), x.in<T>(),
                                in_or_null<T>(weight), in_or_null<T>(bias), v.rows, v.cols, eps);
  });
  return results(call, &out, &mean, &rstd);
}

template <class Backend>
py::tuple layer_norm_backward(py::handle dy_obj, py::handle x_obj, py::handle mean_obj, py::handle rstd_obj,
                              py::handle normalized_obj, py::handle weight_obj, py::handle input_grad,
                              py::handle weight_grad, py::handle bias_grad) {
  const ops::Shape normalized = shape_arg(normalized_obj, "normalized_shape");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& mean = call.float_input(mean_obj, "mean");
  const ops::Array& rstd = call.float_input(rstd_obj, "rstd");
  const ops::Array* weight = call.optional_float_input(weight_obj, "weight");
  const ops::RowSizes v = ops::layer_norm_backward_check(dy, x, mean, rstd, normalized, weight);
  const NormGrads<typename Backend::Call> g(call, x, normalized, input_grad, weight_grad, bias_grad);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    using ops::in_or_null, ops::out_or_null;
    Backend::layer_norm_backward(call.stream(), out_or_null<T>(g.dx), out_or_null<T>(g.dweight),
                                 out_or_null<T>(g.dbias), dy.in<T>(), x.in<T>(), mean.in<T>(), rstd.in<T>(),
                                 in_or_null<T>(weight), v.rows, v.cols);
  });
  return results(call, g.dx, g.dweight, g.dbias);
}

}  // namespace norm_detail

template <class Backend>
void bind_norm(py::module_& m) {
  using namespace norm_detail;
  using py::arg;
  m.def("batch_norm_forward", &batch_norm_forward<Backend>, arg("x"), arg("weight") = py::none(),
        arg("bias") = py::none(), arg("running_mean") = py::none(), arg("running_var") = py::none(),
        arg("training") = true, arg("momentum") = 0.1, arg("eps") = 1e-5, arg("out") = py::none(),
        R"doc((y, mean, invstd) for x [N, C, ...]: y = (x - mean) * invstd * weight + bias per channel.

training: batch statistics (biased variance), and running_mean/running_var (writeable [C]
arrays of x's dtype, or None) move by `momentum` towards the batch mean and unbiased variance.
Otherwise mean = running_mean and invstd = 1 / sqrt(running_var + eps).)doc");
  m.def("batch_norm_backward", &batch_norm_backward<Backend>, arg("grad_out"), arg("x"), arg("mean"), arg("invstd"),
        arg("weight") = py::none(), arg("training") = true, arg("input_grad") = true, arg("weight_grad") = true,
        arg("bias_grad") = true,
        R"doc((grad_x, grad_weight, grad_bias), each None when not asked for; mean, invstd from the forward.)doc");
  m.def("layer_norm_forward", &layer_norm_forward<Backend>, arg("x"), arg("normalized_shape"),
        arg("weight") = py::none(), arg("bias") = py::none(), arg("eps") = 1e-5, arg("out") = py::none(),
        R"doc((y, mean, rstd): normalisation over the trailing normalized_shape, y = (x - mean) * rstd *
weight + bias; mean and rstd have the leading shape x.shape[:-len(normalized_shape)].)doc");
  m.def("layer_norm_backward", &layer_norm_backward<Backend>, arg("grad_out"), arg("x"), arg("mean"), arg("rstd"),
        arg("normalized_shape"), arg("weight") = py::none(), arg("input_grad") = true, arg("weight_grad") = true,
        arg("bias_grad") = true,
        R"doc((grad_x, grad_weight, grad_bias), each None when not asked for; mean, rstd from the forward.)doc");
}

}  // namespace fastnn::bindings
