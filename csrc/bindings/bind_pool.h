// max_pool2d, avg_pool2d, adaptive_avg_pool2d and upsample_nearest2d (forward, backward): the
// binding template (see binding.h); checks and geometry in ops/pool.h, kernels in cpu/pool.h.
#pragma once
#include "bindings/binding.h"
#include "ops/pool.h"

namespace fastnn::bindings {

namespace pool_detail {

// An int (or real, for scale factors) or a pair of them as (height, width); a sequence of
// another length is a TypeError, as PyTorch's "int or a pair of ints".
template <class T, class Parse>
void pair_of(py::handle obj, const char* name, const char* what, Parse parse, T values[2]) {
  const bool scalar = !py::isinstance<py::iterable>(obj) || PyUnicode_Check(obj.ptr()) ||
                      (py::isinstance<py::array>(obj) && py::reinterpret_borrow<py::array>(obj).ndim() == 0);
  if (scalar) {
    values[0] = values[1] = parse(obj, name);
    return;
  }
  py::list items;  // owned references: a generator's items are gone once iterated
  for (py::handle item : py::reinterpret_borrow<py::iterable>(obj)) items.append(item);
  if (items.size() != 2)
    ops::type_error(std::string(name) + " must be " + what + ", got " + py::repr(obj).cast<std::string>());
  values[0] = parse(items[0], name);
  values[1] = parse(items[1], name);
}

inline void int_pair(py::handle obj, const char* name, int64_t values[2]) {
  pair_of(obj, name, "an int or a pair of ints", int_arg, values);
}

// input_size / output_size: a pair of sizes > 0.
inline void size_pair(py::handle obj, const char* name, int64_t values[2]) {
  int_pair(obj, name, values);
  ops::require_positive_pair(values, name);
}

// kernel_size, stride (None: kernel_size), padding, dilation.
inline cpu::PoolWindow window(py::handle kernel_obj, py::handle stride_obj, py::handle padding_obj,
                              py::handle dilation_obj) {
  int64_t kernel[2], stride[2], padding[2], dilation[2] = {1, 1};
  int_pair(kernel_obj, "kernel_size", kernel);
  if (!stride_obj.is_none()) int_pair(stride_obj, "stride", stride);
  int_pair(padding_obj, "padding", padding);
  if (dilation_obj) int_pair(dilation_obj, "dilation", dilation);
  return ops::pool_window(kernel, stride_obj.is_none() ? nullptr : stride, padding, dilation);
}

// divisor_override: None (0, no override) or a non-zero int.
inline int64_t divisor(py::handle obj) {
  if (obj.is_none()) return 0;
  const int64_t d = int_arg(obj, "divisor_override");
  ops::divisor_override_check(d);
  return d;
}

// scale_factors: None ((0, 0): none given), a real or a pair of reals, positive and finite.
inline void scales(py::handle obj, double values[2]) {
  values[0] = values[1] = 0.0;
  if (obj.is_none()) return;
  pair_of(obj, "scale_factors", "None, a float or a pair of floats", float_arg, values);
  ops::upsample_scales_check(values);
}

template <class Backend>
py::tuple max_pool2d_forward(py::handle x_obj, py::handle kernel, py::handle stride, py::handle padding,
                             py::handle dilation, py::handle ceil_obj, py::handle out_obj, py::handle indices_obj) {
  const cpu::PoolWindow w = window(kernel, stride, padding, dilation);
  const bool ceil_mode = bool_arg(ceil_obj, "ceil_mode");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const int64_t planes = ops::pool_planes_check(x, "x");
  const cpu::PlaneShape s = ops::pooled_shape(planes, x.shape[x.ndim - 2], x.shape[x.ndim - 1], w, ceil_mode);
  const ops::Shape out_shape = ops::with_spatial(x, s.out_h, s.out_w, "kernel_size");
  const ops::Array& out = call.output(out_obj, "out", x.dtype, out_shape);
  const ops::Array& indices = call.output(indices_obj, "indices", ops::DType::int64, out_shape);
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::max_pool2d_forward(call.stream(), out.out<T>(), indices.out<int64_t>(), x.in<T>(), s, w);
  });
  return results(call, &out, &indices);
}

template <class Backend>
py::object max_pool2d_backward(py::handle dy_obj, py::handle indices_obj, py::handle input_size, py::handle out_obj) {
  int64_t in[2];
  size_pair(input_size, "input_size", in);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const int64_t planes = ops::pool_planes_check(dy, "grad_out");
  const ops::Array& indices = call.input(indices_obj, "indices");
  ops::max_pool2d_indices_check(indices, dy);
  const cpu::PlaneShape s{planes, in[0], in[1], dy.shape[dy.ndim - 2], dy.shape[dy.ndim - 1]};
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, ops::with_spatial(dy, in[0], in[1], "input_size"));
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::max_pool2d_backward(call.stream(), out.out<T>(), dy.in<T>(), indices.in<int64_t>(), s);
  });
  return call.object(out);
}

template <class Backend>
py::object avg_pool2d_forward(py::handle x_obj, py::handle kernel, py::handle stride, py::handle padding,
                              py::handle ceil_obj, py::handle include_pad_obj, py::handle divisor_obj,
                              py::handle out_obj) {
  const cpu::PoolWindow w = window(kernel, stride, padding, py::handle());
  const bool ceil_mode = bool_arg(ceil_obj, "ceil_mode");
  const bool count_include_pad = bool_arg(include_pad_obj, "count_include_pad");
  const int64_t div = divisor(divisor_obj);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const int64_t planes = ops::pool_planes_check(x, "x");
  const cpu::PlaneShape s = ops::pooled_shape(planes, x.shape[x.ndim - 2], x.shape[x.ndim - 1], w, ceil_mode);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::with_spatial(x, s.out_h, s.out_w, "kernel_size"));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::avg_pool2d_forward(call.stream(), out.out<T>(), x.in<T>(), s, w, count_include_pad, div);
  });
  return call.object(out);
}

template <class Backend>
py::object avg_pool2d_backward(py::handle dy_obj, py::handle input_size, py::handle kernel, py::handle stride,
                               py::handle padding, py::handle ceil_obj, py::handle include_pad_obj,
                               py::handle divisor_obj, py::handle out_obj) {
  int64_t in[2];
  size_pair(input_size, "input_size", in);
  const cpu::PoolWindow w = window(kernel, stride, padding, py::handle());
  const bool ceil_mode = bool_arg(ceil_obj, "ceil_mode");
  const bool count_include_pad = bool_arg(include_pad_obj, "count_include_pad");
  const int64_t div = divisor(divisor_obj);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const int64_t planes = ops::pool_planes_check(dy, "grad_out");
  const cpu::PlaneShape s = ops::pooled_shape(planes, in[0], in[1], w, ceil_mode);
  ops::require_pool_output_size(dy, s);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, ops::with_spatial(dy, in[0], in[1], "input_size"));
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::avg_pool2d_backward(call.stream(), out.out<T>(), dy.in<T>(), s, w, count_include_pad, div);
  });
  return call.object(out);
}

template <class Backend>
py::object adaptive_avg_pool2d_forward(py::handle x_obj, py::handle output_size, py::handle out_obj) {
  int64_t o[2];
  size_pair(output_size, "output_size", o);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const int64_t planes = ops::pool_planes_check(x, "x");
  const cpu::PlaneShape s{planes, x.shape[x.ndim - 2], x.shape[x.ndim - 1], o[0], o[1]};
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::with_spatial(x, o[0], o[1], "output_size"));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::adaptive_avg_pool2d_forward(call.stream(), out.out<T>(), x.in<T>(), s);
  });
  return call.object(out);
}

template <class Backend>
py::object adaptive_avg_pool2d_backward(py::handle dy_obj, py::handle input_size, py::handle out_obj) {
  int64_t in[2];
  size_pair(input_size, "input_size", in);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const int64_t planes = ops::pool_planes_check(dy, "grad_out");
  const cpu::PlaneShape s{planes, in[0], in[1], dy.shape[dy.ndim - 2], dy.shape[dy.ndim - 1]};
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, ops::with_spatial(dy, in[0], in[1], "input_size"));
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::adaptive_avg_pool2d_backward(call.stream(), out.out<T>(), dy.in<T>(), s);
  });
  return call.object(out);
}

template <class Backend>
py::object upsample_nearest2d_forward(py::handle x_obj, py::handle output_size, py::handle scales_obj,
                                      py::handle out_obj) {
  int64_t o[2];
  size_pair(output_size, "output_size", o);
  double scale[2];
  scales(scales_obj, scale);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const int64_t planes = ops::pool_planes_check(x, "x");
  const cpu::PlaneShape s{planes, x.shape[x.ndim - 2], x.shape[x.ndim - 1], o[0], o[1]};
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::with_spatial(x, o[0], o[1], "output_size"));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::upsample_nearest2d_forward(call.stream(), out.out<T>(), x.in<T>(), s, scale[0], scale[1]);
  });
  return call.object(out);
}

template <class Backend>
py::object upsample_nearest2d_backward(py::handle dy_obj, py::handle input_size, py::handle scales_obj,
                                       py::handle out_obj) {
  int64_t in[2];
  size_pair(input_size, "input_size", in);
  double scale[2];
  scales(scales_obj, scale);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const int64_t planes = ops::pool_planes_check(dy, "grad_out");
  const cpu::PlaneShape s{planes, in[0], in[1], dy.shape[dy.ndim - 2], dy.shape[dy.ndim - 1]};
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, ops::with_spatial(dy, in[0], in[1], "input_size"));
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::upsample_nearest2d_backward(call.stream(), out.out<T>(), dy.in<T>(), s, scale[0], scale[1]);
  });
  return call.object(out);
}

}  // namespace pool_detail

template <class Backend>
void bind_pool(py::module_& m) {
  using namespace pool_detail;
  using py::arg;
  m.def("max_pool2d_forward", &max_pool2d_forward<Backend>, arg("x"), arg("kernel_size"), arg("stride") = py::none(),
        arg("padding") = 0, arg("dilation") = 1, arg("ceil_mode") = false, arg("out") = py::none(),
        arg("indices") = py::none(),
        R"doc((y, indices): window maxima (NaN wins, ties keep the first) and their flat per-plane
positions ih * W + iw as int64. stride None means kernel_size; padding <= kernel_size / 2.)doc");
  m.def("max_pool2d_backward", &max_pool2d_backward<Backend>, arg("grad_out"), arg("indices"), arg("input_size"),
        arg("out") = py::none(),
        R"doc(grad_in [..., H, W] (input_size = (H, W)): zeros, plus grad_out scattered to `indices`.)doc");
  m.def("avg_pool2d_forward", &avg_pool2d_forward<Backend>, arg("x"), arg("kernel_size"), arg("stride") = py::none(),
        arg("padding") = 0, arg("ceil_mode") = false, arg("count_include_pad") = true,
        arg("divisor_override") = py::none(), arg("out") = py::none(),
        R"doc(Window means: the sum over the window inside x divided by divisor_override, or by the window
size clipped to the padded input (count_include_pad) or to the input.)doc");
  m.def("avg_pool2d_backward", &avg_pool2d_backward<Backend>, arg("grad_out"), arg("input_size"), arg("kernel_size"),
        arg("stride") = py::none(), arg("padding") = 0, arg("ceil_mode") = false, arg("count_include_pad") = true,
        arg("divisor_override") = py::none(), arg("out") = py::none(),
        R"doc(grad_in [..., H, W]: each grad_out element spread over its window, divided like the forward.)doc");
  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward<Backend>, arg("x"), arg("output_size"),
        arg("out") = py::none(),
        R"doc(Means over windows [floor(i H / OH), ceil((i + 1) H / OH)) (columns alike).)doc");
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward<Backend>, arg("grad_out"), arg("input_size"),
        arg("out") = py::none(), R"doc(grad_in [..., H, W] of adaptive_avg_pool2d_forward.)doc");
  m.def("upsample_nearest2d_forward", &upsample_nearest2d_forward<Backend>, arg("x"), arg("output_size"),
        arg("scale_factors") = py::none(), arg("out") = py::none(),
        R"doc(Nearest-neighbour resize to output_size with PyTorch's index rule; scale_factors (the
factors interpolate was given, or None when it was given the size) set that rule's scale.)doc");
  m.def("upsample_nearest2d_backward", &upsample_nearest2d_backward<Backend>, arg("grad_out"), arg("input_size"),
        arg("scale_factors") = py::none(), arg("out") = py::none(),
        R"doc(grad_in [..., H, W]: each grad_out element added to its nearest source.)doc");
}

}  // namespace fastnn::bindings
