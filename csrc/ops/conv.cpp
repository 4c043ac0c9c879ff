#include "ops/conv.h"

#include <algorithm>

#include "cpu/conv_winograd.h"
#include "ops/checks.h"

namespace fastnn::ops {

namespace {

std::string sizes_string(const int64_t v[2], int dims) {
  return dims == 1 ? std::to_string(v[1]) : std::to_string(v[0]) + " x " + std::to_string(v[1]);
}

// The spatial sizes of a [N, C, *spatial] shape as (H, W), H = 1 for one spatial dim.
void spatial_of(const Shape& shape, int dims, int64_t hw[2]) {
  hw[0] = dims == 1 ? 1 : shape[2];
  hw[1] = dims == 1 ? shape[2] : shape[3];
}

// The explicit padding (top, bottom, left, right) of the call for a kernel of size k.
void padding_of(const ConvOptions& o, const int64_t k[2], int64_t pad[4]) {
  for (int d = 0; d < 2; ++d) {
    if (o.pad_mode == ConvPadMode::same) {
      const int64_t total = checked_mul(o.dilation[d], k[d] - 1, "the padding of padding='same'");
      pad[2 * d] = total / 2;
      pad[2 * d + 1] = total - total / 2;
    } else {
      pad[2 * d] = pad[2 * d + 1] = o.pad_mode == ConvPadMode::valid ? 0 : o.padding[d];
    }
  }
}

void require_conv_array(const Array& a, const char* name, int ndim, const Array* like, const char* like_name) {
  require_float(a, name);
  require_ndim(a, ndim, name);
  if (like) require_same_dtype(a, *like, name, like_name);
}

void require_dims(const Shape& s, const char* name, int ndim) {
  if (s.ndim != ndim)
    value_error(std::string(name) + " must have " + std::to_string(ndim) + " elements, got " + shape_string(s));
}

// The conv2d geometry of an input [N, C, *in] and a weight [O, C/groups, *k], checked.
cpu::Conv2dShape make_shape(const ConvOptions& o, const Shape& in, const Shape& weight, const char* input_name,
                            const char* weight_name) {
  cpu::Conv2dShape s;
  s.batch = in[0];
  s.in_channels = in[1];
  s.out_channels = weight[0];
  int64_t hw[2], k[2], pad[4];
  spatial_of(in, o.dims, hw);
  spatial_of(weight, o.dims, k);
  s.in_h = hw[0], s.in_w = hw[1], s.kernel_h = k[0], s.kernel_w = k[1];
  if (s.in_channels % o.groups != 0)
    value_error(std::string(input_name) + " has " + std::to_string(s.in_channels) + " channels, which groups=" +
                std::to_string(o.groups) + " does not divide");
  if (s.out_channels % o.groups != 0)
    value_error(std::string(weight_name) + " has " + std::to_string(s.out_channels) +
                " output channels (dim 0), which groups=" + std::to_string(o.groups) + " does not divide");
  const int64_t expected_in = checked_mul(weight[1], o.groups, "weight.shape[1] * groups");
  if (expected_in != s.in_channels)
    value_error(std::string(weight_name) + " of shape " + shape_string(weight) + " and groups=" +
                std::to_string(o.groups) + " expect " + std::to_string(expected_in) + " input channels, but " +
                input_name + " of shape " + shape_string(in) + " has " + std::to_string(s.in_channels));
  for (int64_t v : k)
    if (v < 1) value_error(std::string(weight_name) + " must have a positive kernel size, got shape " + shape_string(weight));
  padding_of(o, k, pad);
  s.stride_h = o.stride[0], s.stride_w = o.stride[1];
  s.dilation_h = o.dilation[0], s.dilation_w = o.dilation[1];
  s.pad_top = pad[0], s.pad_left = pad[2];
  s.groups = o.groups;
  const char* padded_what = "the padded input size (input size + padding)";
  const char* span_what = "the dilated kernel size (dilation * (kernel_size - 1) + 1)";
  const int64_t padded[2] = {checked_add(checked_add(s.in_h, pad[0], padded_what), pad[1], padded_what),
                             checked_add(checked_add(s.in_w, pad[2], padded_what), pad[3], padded_what)};
  const int64_t span[2] = {checked_add(checked_mul(s.dilation_h, s.kernel_h - 1, span_what), 1, span_what),
                           checked_add(checked_mul(s.dilation_w, s.kernel_w - 1, span_what), 1, span_what)};
  if (padded[0] < span[0] || padded[1] < span[1])
    value_error("calculated padded input size per channel: (" + sizes_string(padded, o.dims) +
                "); kernel size (dilated): (" + sizes_string(span, o.dims) +
                "); the kernel can't be greater than the padded input");
  s.out_h = (padded[0] - span[0]) / s.stride_h + 1;
  s.out_w = (padded[1] - span[1]) / s.stride_w + 1;
  if (o.algorithm == cpu::ConvAlgorithm::pointwise && !cpu::conv2d_is_pointwise(s))
    value_error("algorithm='pointwise' needs a 1x1 kernel, stride 1 and no padding");
  if (o.algorithm == cpu::ConvAlgorithm::winograd && !cpu::conv2d_winograd_applies(s))
    value_error("algorithm='winograd' needs a 3x3 kernel, stride 1, dilation 1 and groups=1");
  return s;
}

// ValueError unless an output of `shape` and a's dtype has a byte size that fits int64.
void require_valid_bytes(const Shape& shape, const Array& a, const char* what) {
  require_valid_shape(shape, what);
  checked_mul(shape.numel(), static_cast<int64_t>(itemsize(a.dtype)), (std::string(what) + " in bytes").c_str());
}

void require_bias(const Array& bias, const Array& like, int64_t channels) {
  require_conv_array(bias, "bias", 1, &like, "input");
  require_shape(bias, "bias", {channels});
}

}  // namespace

cpu::ConvAlgorithm parse_conv_algorithm(const std::string& name) {
  if (name == "auto") return cpu::ConvAlgorithm::automatic;
  if (name == "im2col") return cpu::ConvAlgorithm::im2col;
  if (name == "blocked") return cpu::ConvAlgorithm::blocked;
  if (name == "pointwise") return cpu::ConvAlgorithm::pointwise;
  if (name == "winograd") return cpu::ConvAlgorithm::winograd;
  value_error("algorithm must be 'auto', 'im2col', 'blocked', 'pointwise' or 'winograd', got '" + name + "'");
}

ConvPadMode parse_conv_padding(const std::string& mode, bool strings_allowed) {
  if (!strings_allowed) type_error("padding must be an int or a tuple of ints, got '" + mode + "'");
  if (mode == "valid") return ConvPadMode::valid;
  if (mode == "same") return ConvPadMode::same;
  value_error("padding must be 'valid', 'same', an int or a tuple of ints, got '" + mode + "'");
}

void conv_options_check(ConvOptions& o) {
  if (o.dims == 1) o.stride[0] = o.dilation[0] = 1, o.padding[0] = 0;
  for (int d = 0; d < 2; ++d) {
    if (o.stride[d] < 1) value_error("stride must be positive, got " + std::to_string(o.stride[d]));
    if (o.dilation[d] < 1) value_error("dilation must be positive, got " + std::to_string(o.dilation[d]));
    if (o.pad_mode == ConvPadMode::sizes && o.padding[d] < 0)
      value_error("padding must be non-negative, got " + std::to_string(o.padding[d]));
  }
  if (o.pad_mode == ConvPadMode::same && (o.stride[0] != 1 || o.stride[1] != 1))
    value_error("padding='same' is not supported for strided convolutions, got stride " +
                sizes_string(o.stride, o.dims));
  if (o.groups < 1) value_error("groups must be positive, got " + std::to_string(o.groups));
}

Shape conv_output_shape(const cpu::Conv2dShape& s, int dims) {
  if (dims == 1) return {s.batch, s.out_channels, s.out_w};
  return {s.batch, s.out_channels, s.out_h, s.out_w};
}

Shape conv_input_shape(const cpu::Conv2dShape& s, int dims) {
  if (dims == 1) return {s.batch, s.in_channels, s.in_w};
  return {s.batch, s.in_channels, s.in_h, s.in_w};
}

cpu::Conv2dShape conv_forward_check(const ConvOptions& o, const Array& input, const Array& weight, const Array* bias) {
  require_conv_array(input, "input", o.dims + 2, nullptr, nullptr);
  require_conv_array(weight, "weight", o.dims + 2, &input, "input");
  const cpu::Conv2dShape s = make_shape(o, input.dims(), weight.dims(), "input", "weight");
  require_valid_bytes(conv_output_shape(s, o.dims), input, "the conv output (from input, weight, stride, padding)");
  if (bias) require_bias(*bias, input, s.out_channels);
  return s;
}

cpu::Conv2dShape conv_backward_input_check(const ConvOptions& o, const Array& grad_output, const Array& weight,
                                           const Shape& input_size) {
  require_conv_array(grad_output, "grad_output", o.dims + 2, nullptr, nullptr);
  require_conv_array(weight, "weight", o.dims + 2, &grad_output, "grad_output");
  require_dims(input_size, "input_size", o.dims + 2);
  const cpu::Conv2dShape s = make_shape(o, input_size, weight.dims(), "input_size", "weight");
  require_shape(grad_output, "grad_output", conv_output_shape(s, o.dims), "the output of the convolution of input_size");
  return s;
}

cpu::Conv2dShape conv_backward_weight_check(const ConvOptions& o, const Array& grad_output, const Array& input,
                                            const Shape& weight_size) {
  require_conv_array(grad_output, "grad_output", o.dims + 2, nullptr, nullptr);
  require_conv_array(input, "input", o.dims + 2, &grad_output, "grad_output");
  require_dims(weight_size, "weight_size", o.dims + 2);
  const cpu::Conv2dShape s = make_shape(o, input.dims(), weight_size, "input", "weight_size");
  require_shape(grad_output, "grad_output", conv_output_shape(s, o.dims), "the output of the convolution of input");
  return s;
}

BiasGradSizes conv_backward_bias_check(const Array& grad_output) {
  require_float(grad_output, "grad_output");
  if (grad_output.ndim < 2)
    value_error("grad_output must have at least 2 dimensions [N, C, ...], got shape " + shape_string(grad_output));
  const int64_t batch = grad_output.shape[0], channels = grad_output.shape[1];
  const int64_t plane = channels ? grad_output.size() / std::max<int64_t>(1, batch * channels) : 0;
  return {batch, channels, plane};
}

// The transposed conv with input x [N, Cin, H, W] and weight [Cin, Cout/groups, kH, kW] is the
// input gradient of a conv2d from [N, Cout, OH, OW] to [N, Cin, H, W] with that weight, where
// OH = (H - 1)*sh - 2*ph + dh*(kH - 1) + output_padding_h + 1.
cpu::Conv2dShape conv_transpose2d_forward_check(const ConvOptions& o, const Array& input, const Array& weight,
                                                const Array* bias, const int64_t output_padding[2]) {
  require_conv_array(input, "input", 4, nullptr, nullptr);
  require_conv_array(weight, "weight", 4, &input, "input");
  const Shape x = input.dims(), w = weight.dims();
  if (x[1] != w[0])
    value_error("input of shape " + shape_string(x) + " has " + std::to_string(x[1]) + " channels but weight of shape " +
                shape_string(w) + " expects " + std::to_string(w[0]) + " (weight.shape[0])");
  if (w[0] % o.groups != 0)
    value_error("weight has " + std::to_string(w[0]) + " input channels (dim 0), which groups=" +
                std::to_string(o.groups) + " does not divide");
  for (int d = 0; d < 2; ++d) {
    if (output_padding[d] < 0)
      value_error("output_padding must be non-negative, got " + std::to_string(output_padding[d]));
    if (output_padding[d] >= o.stride[d] && output_padding[d] >= o.dilation[d])
      value_error("output_padding must be smaller than either stride or dilation, got output_padding " +
                  sizes_string(output_padding, 2) + ", stride " + sizes_string(o.stride, 2) + ", dilation " +
                  sizes_string(o.dilation, 2));
  }
  int64_t out_hw[2];
  for (int d = 0; d < 2; ++d) {
    const char* what = "the conv_transpose2d output size (from input, stride, padding, dilation, output_padding)";
    out_hw[d] = checked_add(
        checked_add(checked_sub(checked_mul(x[2 + d] - 1, o.stride[d], what), checked_mul(2, o.padding[d], what), what),
                    checked_mul(o.dilation[d], w[2 + d] - 1, what), what),
        output_padding[d] + 1, what);
    if (out_hw[d] < 1)
      value_error("conv_transpose2d output size would be " + std::to_string(out_hw[d]) +
                  " (too much padding for this input and kernel)");
  }
  const Shape conv_in{x[0], checked_mul(w[1], o.groups, "weight.shape[1] * groups"), out_hw[0], out_hw[1]};
  require_valid_bytes(conv_in, input, "the conv_transpose2d output (from input, stride, padding, dilation, "
                      "output_padding)");
  cpu::Conv2dShape s = make_shape(o, conv_in, w, "output", "weight");
  // With output_padding >= stride (allowed while it is below dilation, as in PyTorch) the conv
  // of the larger output has more positions than the input has: the last output_padding rows
  // and columns only receive the bias. The input is the conv output of the first ones.
  s.out_h = x[2];
  s.out_w = x[3];
  if (bias) require_bias(*bias, input, s.in_channels);
  return s;
}

cpu::Conv2dShape conv_transpose2d_backward_input_check(const ConvOptions& o, const Array& grad_output,
                                                       const Array& weight) {
  require_conv_array(grad_output, "grad_output", 4, nullptr, nullptr);
  require_conv_array(weight, "weight", 4, &grad_output, "grad_output");
  const cpu::Conv2dShape s = make_shape(o, grad_output.dims(), weight.dims(), "grad_output", "weight");
  require_valid_bytes(conv_output_shape(s, 2), grad_output,
                      "the input gradient (the conv of grad_output with weight, stride, padding)");
  return s;
}

cpu::Conv2dShape conv_transpose2d_backward_weight_check(const ConvOptions& o, const Array& grad_output,
                                                        const Array& input, const Shape& weight_size) {
  require_conv_array(grad_output, "grad_output", 4, nullptr, nullptr);
  require_conv_array(input, "input", 4, &grad_output, "grad_output");
  require_dims(weight_size, "weight_size", 4);
  cpu::Conv2dShape s = make_shape(o, grad_output.dims(), weight_size, "grad_output", "weight_size");
  // An output_padding >= stride (below dilation) leaves conv positions beyond the input's size:
  // the input has only the first ones.
  const int64_t extra_h = s.out_h - input.shape[2], extra_w = s.out_w - input.shape[3];
  if (extra_h >= 0 && extra_w >= 0 && extra_h < std::max(s.stride_h, s.dilation_h) &&
      extra_w < std::max(s.stride_w, s.dilation_w))
    s.out_h = input.shape[2], s.out_w = input.shape[3];
  require_shape(input, "input", conv_output_shape(s, 2), "the input of the transposed convolution that gave grad_output");
  return s;
}

}  // namespace fastnn::ops
