// conv{1d,2d}_{forward,backward_input,backward_weight}, conv_backward_bias and
// conv_transpose2d_*: the binding template (see binding.h); checks and geometry in ops/conv.h,
// kernels in cpu/conv.h (every conv runs as a conv2d: conv1d with H = kH = 1, conv_transpose2d
// with forward and backward-input swapped).
#pragma once
#include "bindings/binding.h"
#include "ops/conv.h"

namespace fastnn::bindings {

namespace conv_detail {

// stride, padding, dilation, groups and algorithm of a call with `dims` spatial dimensions;
// padding may be 'valid' / 'same' when strings_allowed.
inline ops::ConvOptions options(int dims, py::handle stride, py::handle padding, py::handle dilation,
                                py::handle groups, py::handle algorithm, bool strings_allowed) {
  ops::ConvOptions o;
  o.dims = dims;
  int64_t values[2];
  int_tuple_arg(stride, "stride", dims, values);
  o.stride[0] = values[0], o.stride[1] = values[dims - 1];
  int_tuple_arg(dilation, "dilation", dims, values);
  o.dilation[0] = values[0], o.dilation[1] = values[dims - 1];
  if (PyUnicode_Check(padding.ptr())) {
    o.pad_mode = ops::parse_conv_padding(str_arg(padding, "padding"), strings_allowed);
  } else {
    int_tuple_arg(padding, "padding", dims, values);
    o.padding[0] = values[0], o.padding[1] = values[dims - 1];
  }
  o.groups = int_arg(groups, "groups");
  o.algorithm = ops::parse_conv_algorithm(str_arg(algorithm, "algorithm"));
  ops::conv_options_check(o);
  return o;
}

template <class Backend, int Dims>
py::object forward(py::handle x_obj, py::handle w_obj, py::handle bias_obj, py::handle stride, py::handle padding,
                   py::handle dilation, py::handle groups, py::handle out_obj, py::handle algorithm) {
  const ops::ConvOptions o = options(Dims, stride, padding, dilation, groups, algorithm, true);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "input");
  const ops::Array& w = call.float_input(w_obj, "weight");
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  const cpu::Conv2dShape s = ops::conv_forward_check(o, x, w, bias);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::conv_output_shape(s, Dims));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_forward(call.stream(), out.out<T>(), x.in<T>(), w.in<T>(), ops::in_or_null<T>(bias), s,
                            o.algorithm);
  });
  return call.object(out);
}

template <class Backend, int Dims>
py::object backward_input(py::handle dy_obj, py::handle w_obj, py::handle input_size, py::handle stride,
                          py::handle padding, py::handle dilation, py::handle groups, py::handle out_obj,
                          py::handle algorithm) {
  const ops::Shape in_shape = shape_arg(input_size, "input_size");
  const ops::ConvOptions o = options(Dims, stride, padding, dilation, groups, algorithm, true);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_output");
  const ops::Array& w = call.float_input(w_obj, "weight");
  const cpu::Conv2dShape s = ops::conv_backward_input_check(o, dy, w, in_shape);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, in_shape);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_backward_input(call.stream(), out.out<T>(), dy.in<T>(), w.in<T>(), s, o.algorithm);
  });
  return call.object(out);
}

template <class Backend, int Dims>
py::object backward_weight(py::handle dy_obj, py::handle x_obj, py::handle weight_size, py::handle stride,
                           py::handle padding, py::handle dilation, py::handle groups, py::handle out_obj,
                           py::handle algorithm) {
  const ops::Shape w_shape = shape_arg(weight_size, "weight_size");
  const ops::ConvOptions o = options(Dims, stride, padding, dilation, groups, algorithm, true);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_output");
  const ops::Array& x = call.float_input(x_obj, "input");
  const cpu::Conv2dShape s = ops::conv_backward_weight_check(o, dy, x, w_shape);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, w_shape);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_backward_weight(call.stream(), out.out<T>(), dy.in<T>(), x.in<T>(), s, o.algorithm);
  });
  return call.object(out);
}

template <class Backend>
py::object backward_bias(py::handle dy_obj, py::handle out_obj) {
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_output");
  const ops::BiasGradSizes n = ops::conv_backward_bias_check(dy);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, {n.channels});
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_backward_bias(call.stream(), out.out<T>(), dy.in<T>(), n.batch, n.channels, n.plane);
  });
  return call.object(out);
}

template <class Backend>
py::object transpose_forward(py::handle x_obj, py::handle w_obj, py::handle bias_obj, py::handle stride,
                             py::handle padding, py::handle output_padding_obj, py::handle groups, py::handle dilation,
                             py::handle out_obj, py::handle algorithm) {
  const ops::ConvOptions o = options(2, stride, padding, dilation, groups, algorithm, false);
  int64_t output_padding[2];
  int_tuple_arg(output_padding_obj, "output_padding", 2, output_padding);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "input");
  const ops::Array& w = call.float_input(w_obj, "weight");
  const ops::Array* bias = call.optional_float_input(bias_obj, "bias");
  const cpu::Conv2dShape s = ops::conv_transpose2d_forward_check(o, x, w, bias, output_padding);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::conv_input_shape(s, 2));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_backward_input(call.stream(), out.out<T>(), x.in<T>(), w.in<T>(), s, o.algorithm);
    if (bias)
      Backend::conv_add_bias(call.stream(), out.out<T>(), bias->in<T>(), s.batch, s.in_channels, s.in_h * s.in_w);
  });
  return call.object(out);
}

// The transposed conv's input gradient is the conv2d of grad_output (its output) with the
// same weight; its weight gradient is conv2d's weight gradient with input and grad_output swapped.
template <class Backend>
py::object transpose_backward_input(py::handle dy_obj, py::handle w_obj, py::handle stride, py::handle padding,
                                    py::handle groups, py::handle dilation, py::handle out_obj, py::handle algorithm) {
  const ops::ConvOptions o = options(2, stride, padding, dilation, groups, algorithm, false);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_output");
  const ops::Array& w = call.float_input(w_obj, "weight");
  const cpu::Conv2dShape s = ops::conv_transpose2d_backward_input_check(o, dy, w);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, ops::conv_output_shape(s, 2));
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_forward(call.stream(), out.out<T>(), dy.in<T>(), w.in<T>(), static_cast<const T*>(nullptr), s,
                            o.algorithm);
  });
  return call.object(out);
}

template <class Backend>
py::object transpose_backward_weight(py::handle dy_obj, py::handle x_obj, py::handle weight_size, py::handle stride,
                                     py::handle padding, py::handle groups, py::handle dilation, py::handle out_obj,
                                     py::handle algorithm) {
  const ops::Shape w_shape = shape_arg(weight_size, "weight_size");
  const ops::ConvOptions o = options(2, stride, padding, dilation, groups, algorithm, false);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_output");
  const ops::Array& x = call.float_input(x_obj, "input");
  const cpu::Conv2dShape s = ops::conv_transpose2d_backward_weight_check(o, dy, x, w_shape);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, w_shape);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::conv2d_backward_weight(call.stream(), out.out<T>(), x.in<T>(), dy.in<T>(), s, o.algorithm);
  });
  return call.object(out);
}

}  // namespace conv_detail

template <class Backend>
void bind_conv(py::module_& m) {
  using namespace conv_detail;
  using py::arg;
  m.def("conv1d_forward", &forward<Backend, 1>, arg("input"), arg("weight"), arg("bias") = py::none(),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(y = conv1d(input, weight) + bias: [N, C, L] x [O, C/groups, k] -> [N, O, OL].)doc");
  m.def("conv1d_backward_input", &backward_input<Backend, 1>, arg("grad_output"), arg("weight"), arg("input_size"),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(Gradient of conv1d with respect to its input, of shape input_size (N, C, L).)doc");
  m.def("conv1d_backward_weight", &backward_weight<Backend, 1>, arg("grad_output"), arg("input"), arg("weight_size"),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(Gradient of conv1d with respect to its weight, of shape weight_size (O, C/groups, k).)doc");
  m.def("conv2d_forward", &forward<Backend, 2>, arg("input"), arg("weight"), arg("bias") = py::none(),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(y = conv2d(input, weight) + bias: [N, C, H, W] x [O, C/groups, kH, kW] -> [N, O, OH, OW].)doc");
  m.def("conv2d_backward_input", &backward_input<Backend, 2>, arg("grad_output"), arg("weight"), arg("input_size"),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(Gradient of conv2d with respect to its input, of shape input_size (N, C, H, W).)doc");
  m.def("conv2d_backward_weight", &backward_weight<Backend, 2>, arg("grad_output"), arg("input"), arg("weight_size"),
        arg("stride") = 1, arg("padding") = 0, arg("dilation") = 1, arg("groups") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(Gradient of conv2d with respect to its weight, of shape weight_size (O, C/groups, kH, kW).)doc");
  m.def("conv_backward_bias", &backward_bias<Backend>, arg("grad_output"), arg("out") = py::none(),
        R"doc(Bias gradient of any conv or conv_transpose: grad_output summed over every dim but 1.)doc");
  m.def("conv_transpose2d_forward", &transpose_forward<Backend>, arg("input"), arg("weight"), arg("bias") = py::none(),
        arg("stride") = 1, arg("padding") = 0, arg("output_padding") = 0, arg("groups") = 1, arg("dilation") = 1,
        arg("out") = py::none(), arg("algorithm") = "auto",
        R"doc(Transposed conv2d (PyTorch's argument order): [N, Cin, H, W] x [Cin, Cout/groups, kH, kW] ->
[N, Cout, (H-1)*s - 2*p + d*(kH-1) + output_padding + 1, ...].)doc");
  m.def("conv_transpose2d_backward_input", &transpose_backward_input<Backend>, arg("grad_output"), arg("weight"),
        arg("stride") = 1, arg("padding") = 0, arg("groups") = 1, arg("dilation") = 1, arg("out") = py::none(),
        arg("algorithm") = "auto",
        R"doc(Gradient of conv_transpose2d with respect to its input (a conv2d of grad_output).)doc");
  m.def("conv_transpose2d_backward_weight", &transpose_backward_weight<Backend>, arg("grad_output"), arg("input"),
        arg("weight_size"), arg("stride") = 1, arg("padding") = 0, arg("groups") = 1, arg("dilation") = 1,
        arg("out") = py::none(), arg("algorithm") = "auto",
        R"doc(Gradient of conv_transpose2d with respect to its weight, of shape weight_size.)doc");
}

}  // namespace fastnn::bindings
