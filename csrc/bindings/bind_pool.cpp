// fastnn._C pooling and nearest upsampling (forward, backward): checks the input layout, window
// arguments and output sizes with PyTorch's rules, then runs the kernels of cpu/pool.h without
// the GIL. Inputs are [C, H, W] or [N, C, H, W]; every leading dimension is a plane.
#include <array>
#include <cmath>

#include "bindings/args.h"
#include "bindings/arrays.h"
#include "ops/checks.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "cpu/pool.h"

namespace fastnn::bindings {

namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_string(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

// An int, or a sequence of two ints, as (height, width); TypeError otherwise.
Pair int_pair(py::handle obj, const char* name) {
  auto as_int = [&](py::handle v) {
    if (py::isinstance<py::bool_>(v) || !py::hasattr(v, "__index__"))
      throw py::type_error(std::string(name) + " must be an int or a pair of ints, got " +
                           py::repr(obj).cast<std::string>());
    return int_arg(v, name);
  };
  if (py::isinstance<py::sequence>(obj) && !py::isinstance<py::str>(obj)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() != 2)
      throw py::type_error(std::string(name) + " must be an int or a pair of ints, got " +
                           py::repr(obj).cast<std::string>());
    return {as_int(seq[0]), as_int(seq[1])};
  }
  const int64_t v = as_int(obj);
  return {v, v};
}

void require_positive(const Pair& p, const char* name) {
  if (p[0] <= 0 || p[1] <= 0)
    throw py::value_error(std::string(name) + " must be greater than zero, got " + pair_string(p));
}

// A pooled or upsampled input: 3-D or 4-D with non-empty planes, as a C-contiguous array.
py::array plane_input(py::handle obj, const char* name) {
  py::array x = c_contiguous(float_array(obj, name));
  if (x.ndim() != 3 && x.ndim() != 4)
    throw py::value_error(std::string(name) + " must be 3-D [C, H, W] or 4-D [N, C, H, W], got shape " +
                          shape_string(x));
  for (py::ssize_t d = x.ndim() - 3; d < x.ndim(); ++d)
    if (x.shape(d) == 0)
      throw py::value_error(std::string(name) + " must have non-zero channels, height and width, got shape " +
                            shape_string(x));
  return x;
}

int64_t planes_of(const py::array& a) {
  int64_t planes = 1;
  for (py::ssize_t d = 0; d + 2 < a.ndim(); ++d) planes *= a.shape(d);
  return planes;
}

// a's shape with the last two dimensions replaced by (h, w).
std::vector<py::ssize_t> with_spatial(const py::array& a, int64_t h, int64_t w) {
  std::vector<py::ssize_t> shape = shape_of(a);
  shape[shape.size() - 2] = h;
  shape[shape.size() - 1] = w;
  return shape;
}

// The window arguments, checked as PyTorch checks them; stride None means kernel_size.
cpu::PoolWindow pool_window(py::handle kernel_obj, py::handle stride_obj, py::handle padding_obj,
                            py::handle dilation_obj) {
  const Pair k = int_pair(kernel_obj, "kernel_size");
  const Pair st = stride_obj.is_none() ? k : int_pair(stride_obj, "stride");
  const Pair pad = int_pair(padding_obj, "padding");
  const Pair dil = int_pair(dilation_obj, "dilation");
  require_positive(k, "kernel_size");
  require_positive(st, "stride");
  require_positive(dil, "dilation");
  if (pad[0] < 0 || pad[1] < 0) throw py::value_error("padding must be non-negative, got " + pair_string(pad));
  if (pad[0] > k[0] / 2 || pad[1] > k[1] / 2)
    throw py::value_error("padding must be at most half of kernel_size, got padding " + pair_string(pad) +
                          " for kernel_size " + pair_string(k));
  return {k[0], k[1], st[0], st[1], pad[0], pad[1], dil[0], dil[1]};
}

// The planes of an input of spatial size (in_h, in_w) pooled by w; ValueError when the window
// does not fit the padded input.
cpu::PlaneShape pooled_shape(int64_t planes, int64_t in_h, int64_t in_w, const cpu::PoolWindow& w, bool ceil_mode) {
  cpu::PlaneShape s{planes, in_h, in_w, 0, 0};
  // The geometry in checked arithmetic: a window and padding whose sizes overflow int64 are refused.
  const int64_t in[2] = {in_h, in_w}, k[2] = {w.kernel_h, w.kernel_w}, pad[2] = {w.pad_h, w.pad_w},
                dil[2] = {w.dilation_h, w.dilation_w};
  for (int d = 0; d < 2; ++d) {
    ops::checked_add(in[d], ops::checked_mul(2, pad[d], "the padded input size"), "the padded input size");
    ops::checked_add(ops::checked_mul(dil[d], k[d] - 1, "the dilated kernel size"), 1, "the dilated kernel size");
  }
  ops::checked_mul(k[0], k[1], "kernel_size[0] * kernel_size[1] (the window size)");
  s.out_h = cpu::pool_output_size(in_h, w.kernel_h, w.pad_h, w.stride_h, w.dilation_h, ceil_mode);
  s.out_w = cpu::pool_output_size(in_w, w.kernel_w, w.pad_w, w.stride_w, w.dilation_w, ceil_mode);
  if (s.out_h < 1 || s.out_w < 1)
    throw py::value_error("kernel_size " + pair_string({w.kernel_h, w.kernel_w}) + " with dilation " +
                          pair_string({w.dilation_h, w.dilation_w}) + " is larger than the padded input: input " +
                          pair_string({in_h, in_w}) + " with padding " + pair_string({w.pad_h, w.pad_w}) +
                          " gives output size " + pair_string({s.out_h, s.out_w}));
  return s;
}

// ValueError unless grad_out has the spatial size of the forward's output.
void require_output_size(const py::array& g, const cpu::PlaneShape& s) {
  if (g.shape(g.ndim() - 2) != s.out_h || g.shape(g.ndim() - 1) != s.out_w)
    throw py::value_error("grad_out must have spatial size " + pair_string({s.out_h, s.out_w}) +
                          " (the forward's output for this input size and window), got shape " + shape_string(g));
}

// ---------------------------------------------------------------------------------- max pool
py::tuple max_pool2d_forward(py::object x_obj, py::object kernel, py::object stride, py::object padding,
                             py::object dilation, bool ceil_mode, py::object out_obj, py::object indices_obj) {
  const py::array x = plane_input(x_obj, "x");
  const cpu::PoolWindow w = pool_window(kernel, stride, padding, dilation);
  const cpu::PlaneShape s = pooled_shape(planes_of(x), x.shape(x.ndim() - 2), x.shape(x.ndim() - 1), w, ceil_mode);
  py::array out = output_array(out_obj, "out", x.dtype(), with_spatial(x, s.out_h, s.out_w));
  py::array indices = output_array(indices_obj, "indices", py::dtype::of<int64_t>(), with_spatial(x, s.out_h, s.out_w));
  require_no_overlap(out, "out", x, "x");
  require_no_overlap(indices, "indices", x, "x");
  require_no_overlap(indices, "indices", out, "out");
  int64_t* idx = static_cast<int64_t*>(indices.mutable_data());
  with_float_type(x, [&](auto t) {
    using T = decltype(t);
    cpu::max_pool2d_forward(data_ptr<T>(out), idx, data_ptr<T>(x), s, w);
  });
  return py::make_tuple(out, indices);
}

py::array max_pool2d_backward(py::object dy_obj, py::object indices_obj, py::object input_size, py::object out_obj) {
  const Pair in = int_pair(input_size, "input_size");
  require_positive(in, "input_size");
  const py::array dy = plane_input(dy_obj, "grad_out");
  if (!py::isinstance<py::array>(indices_obj) || py::reinterpret_borrow<py::array>(indices_obj).dtype().num() !=
                                                     py::dtype::of<int64_t>().num())
    throw py::type_error("indices must be a numpy.ndarray of int64 (from max_pool2d_forward), got " +
                         py::repr(py::type::handle_of(indices_obj)).cast<std::string>());
  const py::array indices = c_contiguous(py::reinterpret_borrow<py::array>(indices_obj));
  require_same_shape(indices, "indices", dy, "grad_out");
  const cpu::PlaneShape s{planes_of(dy), in[0], in[1], dy.shape(dy.ndim() - 2), dy.shape(dy.ndim() - 1)};
  py::array out = output_array(out_obj, "out", dy.dtype(), with_spatial(dy, in[0], in[1]));
  require_no_overlap(out, "out", dy, "grad_out");
  require_no_overlap(out, "out", indices, "indices");
  const int64_t* idx = static_cast<const int64_t*>(indices.data());
  with_float_type(dy, [&](auto t) {
    using T = decltype(t);
    cpu::max_pool2d_backward(data_ptr<T>(out), data_ptr<T>(dy), idx, s);
  });
  return out;
}

// ---------------------------------------------------------------------------------- avg pool
int64_t divisor_of(py::handle obj) {
  if (obj.is_none()) return 0;
  const int64_t d = int_pair(obj, "divisor_override")[0];
  if (d == 0) throw py::value_error("divisor_override must be non-zero, got 0");
  return d;
}

py::array avg_pool2d_forward(py::object x_obj, py::object kernel, py::object stride, py::object padding, bool ceil_mode,
                             bool count_include_pad, py::object divisor_obj, py::object out_obj) {
  const py::array x = plane_input(x_obj, "x");
  const cpu::PoolWindow w = pool_window(kernel, stride, padding, py::int_(1));
  const int64_t divisor = divisor_of(divisor_obj);
  const cpu::PlaneShape s = pooled_shape(planes_of(x), x.shape(x.ndim() - 2), x.shape(x.ndim() - 1), w, ceil_mode);
  py::array out = output_array(out_obj, "out", x.dtype(), with_spatial(x, s.out_h, s.out_w));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto t) {
    using T = decltype(t);
    cpu::avg_pool2d_forward(data_ptr<T>(out), data_ptr<T>(x), s, w, count_include_pad, divisor);
  });
  return out;
}

py::array avg_pool2d_backward(py::object dy_obj, py::object input_size, py::object kernel, py::object stride,
                              py::object padding, bool ceil_mode, bool count_include_pad, py::object divisor_obj,
                              py::object out_obj) {
  const Pair in = int_pair(input_size, "input_size");
  require_positive(in, "input_size");
  const cpu::PoolWindow w = pool_window(kernel, stride, padding, py::int_(1));
  const int64_t divisor = divisor_of(divisor_obj);
  const py::array dy = plane_input(dy_obj, "grad_out");
  const cpu::PlaneShape s = pooled_shape(planes_of(dy), in[0], in[1], w, ceil_mode);
  require_output_size(dy, s);
  py::array out = output_array(out_obj, "out", dy.dtype(), with_spatial(dy, in[0], in[1]));
  require_no_overlap(out, "out", dy, "grad_out");
  with_float_type(dy, [&](auto t) {
    using T = decltype(t);
    cpu::avg_pool2d_backward(data_ptr<T>(out), data_ptr<T>(dy), s, w, count_include_pad, divisor);
  });
  return out;
}

// ------------------------------------------------------------------------- adaptive avg pool
py::array adaptive_avg_pool2d_forward(py::object x_obj, py::object output_size, py::object out_obj) {
  const py::array x = plane_input(x_obj, "x");
  const Pair o = int_pair(output_size, "output_size");
  require_positive(o, "output_size");
  const cpu::PlaneShape s{planes_of(x), x.shape(x.ndim() - 2), x.shape(x.ndim() - 1), o[0], o[1]};
  py::array out = output_array(out_obj, "out", x.dtype(), with_spatial(x, o[0], o[1]));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto t) {
    using T = decltype(t);
    cpu::adaptive_avg_pool2d_forward(data_ptr<T>(out), data_ptr<T>(x), s);
  });
  return out;
}

py::array adaptive_avg_pool2d_backward(py::object dy_obj, py::object input_size, py::object out_obj) {
  const Pair in = int_pair(input_size, "input_size");
  require_positive(in, "input_size");
  const py::array dy = plane_input(dy_obj, "grad_out");
  const cpu::PlaneShape s{planes_of(dy), in[0], in[1], dy.shape(dy.ndim() - 2), dy.shape(dy.ndim() - 1)};
  py::array out = output_array(out_obj, "out", dy.dtype(), with_spatial(dy, in[0], in[1]));
  require_no_overlap(out, "out", dy, "grad_out");
  with_float_type(dy, [&](auto t) {
    using T = decltype(t);
    cpu::adaptive_avg_pool2d_backward(data_ptr<T>(out), data_ptr<T>(dy), s);
  });
  return out;
}

// -------------------------------------------------------------------------- nearest upsample
// The scale factors given by the caller, (0, 0) for None; each must be positive and finite.
std::array<double, 2> scale_pair(py::handle obj) {
  if (obj.is_none()) return {0.0, 0.0};
  std::array<double, 2> s;
  if (py::isinstance<py::sequence>(obj)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() != 2)
      throw py::type_error("scale_factors must be None, a float or a pair of floats, got " +
                           py::repr(obj).cast<std::string>());
    s = {seq[0].cast<double>(), seq[1].cast<double>()};
  } else {
    s[0] = s[1] = obj.cast<double>();
  }
  if (!(s[0] > 0 && s[1] > 0 && std::isfinite(s[0]) && std::isfinite(s[1])))
    throw py::value_error("scale_factors must be positive and finite, got " + py::repr(obj).cast<std::string>());
  return s;
}

py::array upsample_nearest2d_forward(py::object x_obj, py::object output_size, py::object scales_obj,
                                     py::object out_obj) {
  const py::array x = plane_input(x_obj, "x");
  const Pair o = int_pair(output_size, "output_size");
  require_positive(o, "output_size");
  const std::array<double, 2> scale = scale_pair(scales_obj);
  const cpu::PlaneShape s{planes_of(x), x.shape(x.ndim() - 2), x.shape(x.ndim() - 1), o[0], o[1]};
  py::array out = output_array(out_obj, "out", x.dtype(), with_spatial(x, o[0], o[1]));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto t) {
    using T = decltype(t);
    cpu::upsample_nearest2d_forward(data_ptr<T>(out), data_ptr<T>(x), s, scale[0], scale[1]);
  });
  return out;
}

py::array upsample_nearest2d_backward(py::object dy_obj, py::object input_size, py::object scales_obj,
                                      py::object out_obj) {
  const Pair in = int_pair(input_size, "input_size");
  require_positive(in, "input_size");
  const std::array<double, 2> scale = scale_pair(scales_obj);
  const py::array dy = plane_input(dy_obj, "grad_out");
  const cpu::PlaneShape s{planes_of(dy), in[0], in[1], dy.shape(dy.ndim() - 2), dy.shape(dy.ndim() - 1)};
  py::array out = output_array(out_obj, "out", dy.dtype(), with_spatial(dy, in[0], in[1]));
  require_no_overlap(out, "out", dy, "grad_out");
  with_float_type(dy, [&](auto t) {
    using T = decltype(t);
    cpu::upsample_nearest2d_backward(data_ptr<T>(out), data_ptr<T>(dy), s, scale[0], scale[1]);
  });
  return out;
}

}  // namespace

void bind_pool(py::module_& m) {
  m.def("max_pool2d_forward", &max_pool2d_forward, py::arg("x"), py::arg("kernel_size"), py::arg("stride") = py::none(),
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("out") = py::none(),
        py::arg("indices") = py::none(), R"doc((y, indices): window maxima (NaN wins, ties keep the first) and their flat per-plane
positions ih * W + iw as int64. stride None means kernel_size; padding <= kernel_size / 2.)doc");
  m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_out"), py::arg("indices"), py::arg("input_size"),
        py::arg("out") = py::none(), R"doc(grad_in [..., H, W] (input_size = (H, W)): zeros, plus grad_out scattered to `indices`.)doc");
  m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("x"), py::arg("kernel_size"), py::arg("stride") = py::none(),
        py::arg("padding") = 0, py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
        py::arg("divisor_override") = py::none(), py::arg("out") = py::none(), R"doc(Window means: the sum over the window inside x divided by divisor_override, or by the window
size clipped to the padded input (count_include_pad) or to the input.)doc");
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_out"), py::arg("input_size"),
        py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("ceil_mode") = false,
        py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none(), py::arg("out") = py::none(), R"doc(grad_in [..., H, W]: each grad_out element spread over its window, divided like the forward.)doc");
  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("x"), py::arg("output_size"),
        py::arg("out") = py::none(), R"doc(Means over windows [floor(i H / OH), ceil((i + 1) H / OH)) (columns alike).)doc");
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad_out"), py::arg("input_size"),
        py::arg("out") = py::none(), R"doc(grad_in [..., H, W] of adaptive_avg_pool2d_forward.)doc");
  m.def("upsample_nearest2d_forward", &upsample_nearest2d_forward, py::arg("x"), py::arg("output_size"),
        py::arg("scale_factors") = py::none(), py::arg("out") = py::none(), R"doc(Nearest-neighbour resize to output_size with PyTorch's index rule; scale_factors (the
factors interpolate was given, or None when it was given the size) set that rule's scale.)doc");
  m.def("upsample_nearest2d_backward", &upsample_nearest2d_backward, py::arg("grad_out"), py::arg("input_size"),
        py::arg("scale_factors") = py::none(), py::arg("out") = py::none(), R"doc(grad_in [..., H, W]: each grad_out element added to its nearest source.)doc");
}

}  // namespace fastnn::bindings
