// fastnn._C.conv{1d,2d}_* and conv_transpose2d_*: parse and check every argument (PyTorch's
// rules and close to its messages), build a cpu::Conv2dShape, run the kernels of cpu/conv.h
// without the GIL. conv1d runs as conv2d with H = kH = 1; conv_transpose2d as conv2d with
// forward and backward-input swapped (its input is the conv's output and vice versa).
#include <algorithm>
#include <array>
#include <string>

#include "bindings/args.h"
#include "bindings/arrays.h"
#include "ops/checks.h"
#include "bindings/bindings.h"
#include "cpu/conv.h"

namespace fastnn::bindings {

namespace {

using cpu::Conv2dShape;
using cpu::ConvAlgorithm;

std::string type_name(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

int64_t int_arg(py::handle obj, const std::string& name) {
  if (py::isinstance<py::bool_>(obj) || !py::isinstance<py::int_>(obj))
    throw py::type_error(name + " must be an int, got " + type_name(obj));
  return bindings::int_arg(obj, name.c_str());
}

// An int or a sequence of `dims` ints (conv1d: 1, conv2d: 2), as one value per spatial dim.
std::array<int64_t, 2> spatial_arg(py::handle obj, const char* name, int dims) {
  if (py::isinstance<py::int_>(obj) && !py::isinstance<py::bool_>(obj)) {
    const int64_t v = int_arg(obj, name);
    return {v, v};
  }
  if (!py::isinstance<py::sequence>(obj) || py::isinstance<py::str>(obj))
    throw py::type_error(std::string(name) + " must be an int or a tuple of " + std::to_string(dims) +
                         " ints, got " + type_name(obj));
  py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  if (static_cast<int>(seq.size()) != dims)
    throw py::value_error(std::string(name) + " must have " + std::to_string(dims) + " elements, got " +
                          std::to_string(seq.size()));
  std::array<int64_t, 2> out{};
  for (int d = 0; d < dims; ++d) out[d] = int_arg(seq[d], std::string(name) + "[" + std::to_string(d) + "]");
  return dims == 1 ? std::array<int64_t, 2>{out[0], out[0]} : out;
}

void require_at_least(const std::array<int64_t, 2>& v, int64_t least, const char* name, const char* what) {
  for (int64_t x : v)
    if (x < least) throw py::value_error(std::string(name) + " must be " + what + ", got " + std::to_string(x));
}

ConvAlgorithm parse_algorithm(const std::string& name) {
  if (name == "auto") return ConvAlgorithm::automatic;
  if (name == "im2col") return ConvAlgorithm::im2col;
  if (name == "blocked") return ConvAlgorithm::blocked;
  if (name == "pointwise") return ConvAlgorithm::pointwise;
  throw py::value_error("algorithm must be 'auto', 'im2col', 'blocked' or 'pointwise', got '" + name + "'");
}

// The geometry of one call in conv2d terms. A 1-D call has the H dimension of size 1.
struct ConvCall {
  int dims;                            // 1 or 2 spatial dimensions
  std::array<int64_t, 2> stride, dilation;
  std::array<int64_t, 4> padding;      // top, bottom, left, right (the 1-D case: left, right)
  int64_t groups;
  ConvAlgorithm algorithm;
};

// The spatial sizes of a [N, C, *spatial] shape as (H, W), H = 1 for one spatial dim.
std::array<int64_t, 2> spatial_of(const std::vector<py::ssize_t>& shape, int dims) {
  return dims == 1 ? std::array<int64_t, 2>{1, shape[2]} : std::array<int64_t, 2>{shape[2], shape[3]};
}

std::string sizes_string(const std::array<int64_t, 2>& v, int dims) {
  return dims == 1 ? std::to_string(v[1]) : std::to_string(v[0]) + " x " + std::to_string(v[1]);
}

// padding: an int, `dims` ints, 'valid' or 'same' (stride 1 only; an even dilated kernel pads
// one more at the end, as PyTorch does).
std::array<int64_t, 4> parse_padding(py::handle obj, int dims, const std::array<int64_t, 2>& stride,
                                     const std::array<int64_t, 2>& dilation, const std::array<int64_t, 2>& kernel,
                                     bool strings_allowed) {
  if (py::isinstance<py::str>(obj)) {
    const std::string mode = obj.cast<std::string>();
    if (!strings_allowed) throw py::type_error("padding must be an int or a tuple of ints, got '" + mode + "'");
    if (mode == "valid") return {0, 0, 0, 0};
    if (mode != "same") throw py::value_error("padding must be 'valid', 'same', an int or a tuple of ints, got '" + mode + "'");
    if (stride[0] != 1 || stride[1] != 1)
      throw py::value_error("padding='same' is not supported for strided convolutions, got stride " +
                            sizes_string(stride, dims));
    std::array<int64_t, 4> pad{};
    for (int d = 0; d < 2; ++d) {
      const int64_t total = dilation[d] * (kernel[d] - 1);
      pad[2 * d] = total / 2;
      pad[2 * d + 1] = total - total / 2;
    }
    return pad;
  }
  std::array<int64_t, 2> p = spatial_arg(obj, "padding", dims);
  require_at_least(p, 0, "padding", "non-negative");
  if (dims == 1) p[0] = 0;
  return {p[0], p[0], p[1], p[1]};
}

ConvCall parse_call(int dims, py::handle stride, py::handle dilation, int64_t groups, const std::string& algorithm) {
  ConvCall call;
  call.dims = dims;
  call.stride = spatial_arg(stride, "stride", dims);
  call.dilation = spatial_arg(dilation, "dilation", dims);
  require_at_least(call.stride, 1, "stride", "positive");
  require_at_least(call.dilation, 1, "dilation", "positive");
  if (dims == 1) call.stride[0] = call.dilation[0] = 1;
  if (groups < 1) throw py::value_error("groups must be positive, got " + std::to_string(groups));
  call.groups = groups;
  call.algorithm = parse_algorithm(algorithm);
  return call;
}

std::array<int64_t, 2> kernel_of(const std::vector<py::ssize_t>& weight_shape, int dims) {
  return spatial_of(weight_shape, dims);
}

// The conv2d geometry of an input [N, C, *in] and a weight [O, C/groups, *k], checked.
Conv2dShape make_shape(const ConvCall& call, const std::vector<py::ssize_t>& in, const std::vector<py::ssize_t>& weight,
                       const char* input_name, const char* weight_name) {
  Conv2dShape s;
  s.batch = in[0];
  s.in_channels = in[1];
  s.out_channels = weight[0];
  const std::array<int64_t, 2> hw = spatial_of(in, call.dims), k = kernel_of(weight, call.dims);
  s.in_h = hw[0], s.in_w = hw[1], s.kernel_h = k[0], s.kernel_w = k[1];
  if (s.in_channels % call.groups != 0)
    throw py::value_error(std::string(input_name) + " has " + std::to_string(s.in_channels) +
                          " channels, which groups=" + std::to_string(call.groups) + " does not divide");
  if (s.out_channels % call.groups != 0)
    throw py::value_error(std::string(weight_name) + " has " + std::to_string(s.out_channels) +
                          " output channels (dim 0), which groups=" + std::to_string(call.groups) + " does not divide");
  if (weight[1] * call.groups != s.in_channels)
    throw py::value_error(std::string(weight_name) + " of shape " + shape_string(weight) + " and groups=" +
                          std::to_string(call.groups) + " expect " + std::to_string(weight[1] * call.groups) +
                          " input channels, but " + input_name + " of shape " + shape_string(in) + " has " +
                          std::to_string(s.in_channels));
  for (int64_t v : k)
    if (v < 1) throw py::value_error(std::string(weight_name) + " must have a positive kernel size, got shape " + shape_string(weight));
  s.stride_h = call.stride[0], s.stride_w = call.stride[1];
  s.dilation_h = call.dilation[0], s.dilation_w = call.dilation[1];
  s.pad_top = call.padding[0], s.pad_left = call.padding[2];
  s.groups = call.groups;
  const char* padded_what = "the padded input size";
  const char* span_what = "the dilated kernel size";
  const std::array<int64_t, 2> padded{
      ops::checked_add(ops::checked_add(s.in_h, call.padding[0], padded_what), call.padding[1], padded_what),
      ops::checked_add(ops::checked_add(s.in_w, call.padding[2], padded_what), call.padding[3], padded_what)};
  const std::array<int64_t, 2> span{
      ops::checked_add(ops::checked_mul(s.dilation_h, s.kernel_h - 1, span_what), 1, span_what),
      ops::checked_add(ops::checked_mul(s.dilation_w, s.kernel_w - 1, span_what), 1, span_what)};
  if (padded[0] < span[0] || padded[1] < span[1])
    throw py::value_error("calculated padded input size per channel: (" + sizes_string(padded, call.dims) +
                          "); kernel size (dilated): (" + sizes_string(span, call.dims) +
                          "); the kernel can't be greater than the padded input");
  s.out_h = (padded[0] - span[0]) / s.stride_h + 1;
  s.out_w = (padded[1] - span[1]) / s.stride_w + 1;
  if (call.algorithm == ConvAlgorithm::pointwise && !cpu::conv2d_is_pointwise(s))
    throw py::value_error("algorithm='pointwise' needs a 1x1 kernel, stride 1 and no padding");
  return s;
}

// An input array of `ndim` dims and the dtype of `like` (when given), C-contiguous.
py::array conv_input(py::handle obj, const char* name, int ndim, const py::array* like, const char* like_name) {
  py::array a = float_array(obj, name);
  require_ndim(a, ndim, name);
  if (like) require_same_dtype(a, *like, name, like_name);
  return c_contiguous(a);
}

std::vector<py::ssize_t> shape_arg(py::handle obj, const char* name, int ndim) {
  if (!py::isinstance<py::sequence>(obj) || py::isinstance<py::str>(obj))
    throw py::type_error(std::string(name) + " must be a tuple of " + std::to_string(ndim) + " ints, got " + type_name(obj));
  py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  if (static_cast<int>(seq.size()) != ndim)
    throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) + " elements, got " +
                          std::to_string(seq.size()));
  std::vector<py::ssize_t> shape;
  for (size_t d = 0; d < seq.size(); ++d) {
    const int64_t v = int_arg(seq[d], std::string(name) + "[" + std::to_string(d) + "]");
    if (v < 0) throw py::value_error(std::string(name) + " must be non-negative, got " + std::to_string(v));
    shape.push_back(v);
  }
  return shape;
}

std::vector<py::ssize_t> output_shape(const Conv2dShape& s, int dims) {
  if (dims == 1) return {s.batch, s.out_channels, s.out_w};
  return {s.batch, s.out_channels, s.out_h, s.out_w};
}

void require_shape(const py::array& a, const char* name, const std::vector<py::ssize_t>& expected, const char* why) {
  if (shape_of(a) != expected)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(expected) + " (" + why + "), got " +
                          shape_string(a));
}

py::array bias_input(py::handle obj, const py::array& like, int64_t channels) {
  py::array bias = conv_input(obj, "bias", 1, &like, "input");
  if (bias.shape(0) != channels)
    throw py::value_error("bias must have shape (" + std::to_string(channels) + ",), got " + shape_string(bias));
  return bias;
}

template <class T>
const T* ptr(const py::array& a) {
  return static_cast<const T*>(a.data());
}
template <class T>
T* mut(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}

// Every conv entry point ends here: one of the three conv2d kernels (plus an optional bias) on
// arrays already checked, in float32 or float64.
enum class Pass { forward, backward_input, backward_weight };

void run(Pass pass, py::array& out, const py::array& a, const py::array& b, const py::array* bias, const Conv2dShape& s,
         ConvAlgorithm algorithm, bool add_bias_after) {
  const bool f32 = is_float32(a);
  py::gil_scoped_release no_gil;
  auto go = [&](auto zero) {
    using T = decltype(zero);
    const T* bias_ptr = bias ? ptr<T>(*bias) : nullptr;
    if (pass == Pass::forward) cpu::conv2d_forward<T>(mut<T>(out), ptr<T>(a), ptr<T>(b), bias_ptr, s, algorithm);
    if (pass == Pass::backward_input) cpu::conv2d_backward_input<T>(mut<T>(out), ptr<T>(a), ptr<T>(b), s, algorithm);
    if (pass == Pass::backward_weight) cpu::conv2d_backward_weight<T>(mut<T>(out), ptr<T>(a), ptr<T>(b), s, algorithm);
    if (add_bias_after && bias_ptr)
      cpu::conv_add_bias<T>(mut<T>(out), bias_ptr, s.batch, s.in_channels, s.in_h * s.in_w);
  };
  if (f32) go(0.0f);
  else go(0.0);
}

std::vector<py::ssize_t> input_shape(const Conv2dShape& s, int dims) {
  if (dims == 1) return {s.batch, s.in_channels, s.in_w};
  return {s.batch, s.in_channels, s.in_h, s.in_w};
}

// ------------------------------------------------------------------------------ conv1d / conv2d
py::array conv_forward(int dims, py::object x_obj, py::object w_obj, py::object bias_obj, py::object stride,
                       py::object padding, py::object dilation, int64_t groups, py::object out_obj,
                       const std::string& algorithm) {
  const int ndim = dims + 2;
  const py::array x = conv_input(x_obj, "input", ndim, nullptr, nullptr);
  const py::array w = conv_input(w_obj, "weight", ndim, &x, "input");
  ConvCall call = parse_call(dims, stride, dilation, groups, algorithm);
  call.padding = parse_padding(padding, dims, call.stride, call.dilation, kernel_of(shape_of(w), dims), true);
  const Conv2dShape s = make_shape(call, shape_of(x), shape_of(w), "input", "weight");
  py::array bias;
  if (!bias_obj.is_none()) bias = bias_input(bias_obj, x, s.out_channels);
  py::array out = output_array(out_obj, "out", x.dtype(), output_shape(s, dims));
  require_no_overlap(out, "out", x, "input");
  require_no_overlap(out, "out", w, "weight");
  if (!bias_obj.is_none()) require_no_overlap(out, "out", bias, "bias");
  run(Pass::forward, out, x, w, bias_obj.is_none() ? nullptr : &bias, s, call.algorithm, false);
  return out;
}

py::array conv_backward_input(int dims, py::object dy_obj, py::object w_obj, py::object input_size, py::object stride,
                              py::object padding, py::object dilation, int64_t groups, py::object out_obj,
                              const std::string& algorithm) {
  const int ndim = dims + 2;
  const py::array dy = conv_input(dy_obj, "grad_output", ndim, nullptr, nullptr);
  const py::array w = conv_input(w_obj, "weight", ndim, &dy, "grad_output");
  const std::vector<py::ssize_t> in_shape = shape_arg(input_size, "input_size", ndim);
  ConvCall call = parse_call(dims, stride, dilation, groups, algorithm);
  call.padding = parse_padding(padding, dims, call.stride, call.dilation, kernel_of(shape_of(w), dims), true);
  const Conv2dShape s = make_shape(call, in_shape, shape_of(w), "input_size", "weight");
  require_shape(dy, "grad_output", output_shape(s, dims), "the output of the convolution of input_size");
  py::array out = output_array(out_obj, "out", dy.dtype(), in_shape);
  require_no_overlap(out, "out", dy, "grad_output");
  require_no_overlap(out, "out", w, "weight");
  run(Pass::backward_input, out, dy, w, nullptr, s, call.algorithm, false);
  return out;
}

py::array conv_backward_weight(int dims, py::object dy_obj, py::object x_obj, py::object weight_size,
                               py::object stride, py::object padding, py::object dilation, int64_t groups,
                               py::object out_obj, const std::string& algorithm) {
  const int ndim = dims + 2;
  const py::array dy = conv_input(dy_obj, "grad_output", ndim, nullptr, nullptr);
  const py::array x = conv_input(x_obj, "input", ndim, &dy, "grad_output");
  const std::vector<py::ssize_t> w_shape = shape_arg(weight_size, "weight_size", ndim);
  ConvCall call = parse_call(dims, stride, dilation, groups, algorithm);
  call.padding = parse_padding(padding, dims, call.stride, call.dilation, kernel_of(w_shape, dims), true);
  const Conv2dShape s = make_shape(call, shape_of(x), w_shape, "input", "weight_size");
  require_shape(dy, "grad_output", output_shape(s, dims), "the output of the convolution of input");
  py::array out = output_array(out_obj, "out", dy.dtype(), w_shape);
  require_no_overlap(out, "out", dy, "grad_output");
  require_no_overlap(out, "out", x, "input");
  run(Pass::backward_weight, out, dy, x, nullptr, s, call.algorithm, false);
  return out;
}

// db[c] = sum of grad_output[:, c, ...]: the bias gradient of every conv and conv_transpose.
py::array conv_backward_bias(py::object dy_obj, py::object out_obj) {
  py::array dy = c_contiguous(float_array(dy_obj, "grad_output"));
  if (dy.ndim() < 2)
    throw py::value_error("grad_output must have at least 2 dimensions [N, C, ...], got shape " + shape_string(dy));
  const int64_t batch = dy.shape(0), channels = dy.shape(1), plane = channels ? dy.size() / std::max<int64_t>(1, batch * channels) : 0;
  py::array out = output_array(out_obj, "out", dy.dtype(), {channels});
  require_no_overlap(out, "out", dy, "grad_output");
  const bool f32 = is_float32(dy);
  py::gil_scoped_release no_gil;
  if (f32) cpu::conv2d_backward_bias(mut<float>(out), ptr<float>(dy), batch, channels, plane);
  else cpu::conv2d_backward_bias(mut<double>(out), ptr<double>(dy), batch, channels, plane);
  return out;
}

// ----------------------------------------------------------------------------- conv_transpose2d
// The transposed conv with input x [N, Cin, H, W] and weight [Cin, Cout/groups, kH, kW] is the
// input gradient of a conv2d from [N, Cout, OH, OW] to [N, Cin, H, W] with that weight, where
// OH = (H - 1)*sh - 2*ph + dh*(kH - 1) + output_padding_h + 1.
Conv2dShape transpose_shape(const ConvCall& call, const std::vector<py::ssize_t>& x_shape,
                            const std::vector<py::ssize_t>& w_shape, py::handle output_padding, const char* x_name) {
  if (x_shape[1] != w_shape[0])
    throw py::value_error(std::string(x_name) + " of shape " + shape_string(x_shape) + " has " +
                          std::to_string(x_shape[1]) + " channels but weight of shape " + shape_string(w_shape) +
                          " expects " + std::to_string(w_shape[0]) + " (weight.shape[0])");
  if (w_shape[0] % call.groups != 0)
    throw py::value_error("weight has " + std::to_string(w_shape[0]) + " input channels (dim 0), which groups=" +
                          std::to_string(call.groups) + " does not divide");
  const std::array<int64_t, 2> op = spatial_arg(output_padding, "output_padding", 2);
  require_at_least(op, 0, "output_padding", "non-negative");
  for (int d = 0; d < 2; ++d)
    if (op[d] >= call.stride[d] && op[d] >= call.dilation[d])
      throw py::value_error("output_padding must be smaller than either stride or dilation, got output_padding " +
                            sizes_string(op, 2) + ", stride " + sizes_string(call.stride, 2) + ", dilation " +
                            sizes_string(call.dilation, 2));
  const std::array<int64_t, 2> k = kernel_of(w_shape, 2);
  std::array<int64_t, 2> out_hw{};
  for (int d = 0; d < 2; ++d) {
    const char* what = "the conv_transpose2d output size";
    using ops::checked_add, ops::checked_mul, ops::checked_sub;
    out_hw[d] = checked_add(
        checked_add(checked_sub(checked_mul(x_shape[2 + d] - 1, call.stride[d], what),
                                checked_mul(2, call.padding[2 * d], what), what),
                    checked_mul(call.dilation[d], k[d] - 1, what), what),
        op[d] + 1, what);
    if (out_hw[d] < 1)
      throw py::value_error("conv_transpose2d output size would be " + std::to_string(out_hw[d]) +
                            " (too much padding for this input and kernel)");
  }
  const std::vector<py::ssize_t> conv_in{x_shape[0], w_shape[1] * call.groups, out_hw[0], out_hw[1]};
  Conv2dShape s = make_shape(call, conv_in, w_shape, "output", "weight");
  // With output_padding >= stride (allowed while it is below dilation, as in PyTorch) the conv
  // of the larger output has more positions than the input has: the last output_padding rows
  // and columns only receive the bias. The input is the conv output of the first ones.
  s.out_h = x_shape[2];
  s.out_w = x_shape[3];
  return s;
}

ConvCall transpose_call(py::handle stride, py::handle padding, py::handle dilation, int64_t groups,
                        const std::string& algorithm) {
  ConvCall call = parse_call(2, stride, dilation, groups, algorithm);
  call.padding = parse_padding(padding, 2, call.stride, call.dilation, {1, 1}, false);
  return call;
}

py::array conv_transpose2d_forward(py::object x_obj, py::object w_obj, py::object bias_obj, py::object stride,
                                   py::object padding, py::object output_padding, int64_t groups, py::object dilation,
                                   py::object out_obj, const std::string& algorithm) {
  const py::array x = conv_input(x_obj, "input", 4, nullptr, nullptr);
  const py::array w = conv_input(w_obj, "weight", 4, &x, "input");
  const ConvCall call = transpose_call(stride, padding, dilation, groups, algorithm);
  const Conv2dShape s = transpose_shape(call, shape_of(x), shape_of(w), output_padding, "input");
  py::array bias;
  if (!bias_obj.is_none()) bias = bias_input(bias_obj, x, s.in_channels);
  py::array out = output_array(out_obj, "out", x.dtype(), input_shape(s, 2));
  require_no_overlap(out, "out", x, "input");
  require_no_overlap(out, "out", w, "weight");
  if (!bias_obj.is_none()) require_no_overlap(out, "out", bias, "bias");
  run(Pass::backward_input, out, x, w, bias_obj.is_none() ? nullptr : &bias, s, call.algorithm, true);
  return out;
}

// The transposed conv's input gradient is the conv2d of grad_output (its output) with the
// same weight; its weight gradient is conv2d's weight gradient with input and grad_output swapped.
py::array conv_transpose2d_backward_input(py::object dy_obj, py::object w_obj, py::object stride, py::object padding,
                                          int64_t groups, py::object dilation, py::object out_obj,
                                          const std::string& algorithm) {
  const py::array dy = conv_input(dy_obj, "grad_output", 4, nullptr, nullptr);
  const py::array w = conv_input(w_obj, "weight", 4, &dy, "grad_output");
  const ConvCall call = transpose_call(stride, padding, dilation, groups, algorithm);
  const Conv2dShape s = make_shape(call, shape_of(dy), shape_of(w), "grad_output", "weight");
  py::array out = output_array(out_obj, "out", dy.dtype(), output_shape(s, 2));
  require_no_overlap(out, "out", dy, "grad_output");
  require_no_overlap(out, "out", w, "weight");
  run(Pass::forward, out, dy, w, nullptr, s, call.algorithm, false);
  return out;
}

py::array conv_transpose2d_backward_weight(py::object dy_obj, py::object x_obj, py::object weight_size,
                                           py::object stride, py::object padding, int64_t groups, py::object dilation,
                                           py::object out_obj, const std::string& algorithm) {
  const py::array dy = conv_input(dy_obj, "grad_output", 4, nullptr, nullptr);
  const py::array x = conv_input(x_obj, "input", 4, &dy, "grad_output");
  const std::vector<py::ssize_t> w_shape = shape_arg(weight_size, "weight_size", 4);
  const ConvCall call = transpose_call(stride, padding, dilation, groups, algorithm);
  Conv2dShape s = make_shape(call, shape_of(dy), w_shape, "grad_output", "weight_size");
  // An output_padding >= stride (below dilation) leaves conv positions beyond the input's size:
  // the input has only the first ones.
  const int64_t extra_h = s.out_h - x.shape(2), extra_w = s.out_w - x.shape(3);
  if (extra_h >= 0 && extra_w >= 0 && extra_h < std::max(s.stride_h, s.dilation_h) &&
      extra_w < std::max(s.stride_w, s.dilation_w))
    s.out_h = x.shape(2), s.out_w = x.shape(3);
  require_shape(x, "input", output_shape(s, 2), "the input of the transposed convolution that gave grad_output");
  py::array out = output_array(out_obj, "out", dy.dtype(), w_shape);
  require_no_overlap(out, "out", dy, "grad_output");
  require_no_overlap(out, "out", x, "input");
  run(Pass::backward_weight, out, x, dy, nullptr, s, call.algorithm, false);
  return out;
}

}  // namespace

void bind_conv(py::module_& m) {
  // Spelled out per kernel, so that grep finds every name.
  const auto def_conv = [&m](int dims, const char* forward_name, const char* backward_input_name,
                             const char* backward_weight_name, const char* forward_doc, const char* backward_input_doc,
                             const char* backward_weight_doc) {
    m.def(forward_name,
          [dims](py::object x, py::object w, py::object bias, py::object stride, py::object padding, py::object dilation,
                 int64_t groups, py::object out, const std::string& algorithm) {
            return conv_forward(dims, x, w, bias, stride, padding, dilation, groups, out, algorithm);
          },
          py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
          py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("out") = py::none(),
          py::arg("algorithm") = "auto", forward_doc);
    m.def(backward_input_name,
          [dims](py::object dy, py::object w, py::object input_size, py::object stride, py::object padding,
                 py::object dilation, int64_t groups, py::object out, const std::string& algorithm) {
            return conv_backward_input(dims, dy, w, input_size, stride, padding, dilation, groups, out, algorithm);
          },
          py::arg("grad_output"), py::arg("weight"), py::arg("input_size"), py::arg("stride") = 1,
          py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("out") = py::none(),
          py::arg("algorithm") = "auto", backward_input_doc);
    m.def(backward_weight_name,
          [dims](py::object dy, py::object x, py::object weight_size, py::object stride, py::object padding,
                 py::object dilation, int64_t groups, py::object out, const std::string& algorithm) {
            return conv_backward_weight(dims, dy, x, weight_size, stride, padding, dilation, groups, out, algorithm);
          },
          py::arg("grad_output"), py::arg("input"), py::arg("weight_size"), py::arg("stride") = 1,
          py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("out") = py::none(),
          py::arg("algorithm") = "auto", backward_weight_doc);
  };
  def_conv(1, "conv1d_forward", "conv1d_backward_input", "conv1d_backward_weight", R"doc(y = conv1d(input, weight) + bias: [N, C, L] x [O, C/groups, k] -> [N, O, OL].)doc",
           R"doc(Gradient of conv1d with respect to its input, of shape input_size (N, C, L).)doc",
           R"doc(Gradient of conv1d with respect to its weight, of shape weight_size (O, C/groups, k).)doc");
  def_conv(2, "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", R"doc(y = conv2d(input, weight) + bias: [N, C, H, W] x [O, C/groups, kH, kW] -> [N, O, OH, OW].)doc",
           R"doc(Gradient of conv2d with respect to its input, of shape input_size (N, C, H, W).)doc",
           R"doc(Gradient of conv2d with respect to its weight, of shape weight_size (O, C/groups, kH, kW).)doc");
  m.def("conv_backward_bias", &conv_backward_bias, py::arg("grad_output"), py::arg("out") = py::none(), R"doc(Bias gradient of any conv or conv_transpose: grad_output summed over every dim but 1.)doc");
  m.def("conv_transpose2d_forward", &conv_transpose2d_forward, py::arg("input"), py::arg("weight"),
        py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0, py::arg("output_padding") = 0,
        py::arg("groups") = 1, py::arg("dilation") = 1, py::arg("out") = py::none(), py::arg("algorithm") = "auto", R"doc(Transposed conv2d (PyTorch's argument order): [N, Cin, H, W] x [Cin, Cout/groups, kH, kW] ->
[N, Cout, (H-1)*s - 2*p + d*(kH-1) + output_padding + 1, ...].)doc");
  m.def("conv_transpose2d_backward_input", &conv_transpose2d_backward_input, py::arg("grad_output"),
        py::arg("weight"), py::arg("stride") = 1, py::arg("padding") = 0, py::arg("groups") = 1,
        py::arg("dilation") = 1, py::arg("out") = py::none(), py::arg("algorithm") = "auto", R"doc(Gradient of conv_transpose2d with respect to its input (a conv2d of grad_output).)doc");
  m.def("conv_transpose2d_backward_weight", &conv_transpose2d_backward_weight, py::arg("grad_output"),
        py::arg("input"), py::arg("weight_size"), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("groups") = 1, py::arg("dilation") = 1, py::arg("out") = py::none(), py::arg("algorithm") = "auto", R"doc(Gradient of conv_transpose2d with respect to its weight, of shape weight_size.)doc");
}

}  // namespace fastnn::bindings
