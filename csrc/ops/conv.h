// Convolutions (cpu/conv.h), every one in conv2d terms: conv1d is the H = kH = 1 case, and
// conv_transpose2d is conv2d with forward and backward-input swapped (its input is the conv's
// output and vice versa). Checks are PyTorch's rules, close to its messages; the geometry runs
// in checked int64 arithmetic (an overflow is a ValueError, never a wrapped size).
//
// Arrays: input, weight (and grad_output) float32/float64 of one dtype with dims + 2 dimensions
// ([N, C, *spatial], [O, C/groups, *kernel]); bias [O] (conv_transpose2d: [Cout]) of that dtype.
#pragma once
#include <string>

#include "cpu/conv.h"
#include "ops/array.h"

namespace fastnn::ops {

// padding=: explicit sizes, 'valid' (none) or 'same' (stride 1 only; an even dilated kernel
// pads one more at the end, as PyTorch does).
enum class ConvPadMode { sizes, valid, same };

// The options of one call, (height, width) per spatial size; a 1-D call has height 1.
struct ConvOptions {
  int dims = 2;  // 1 or 2 spatial dimensions
  int64_t stride[2] = {1, 1}, dilation[2] = {1, 1};
  ConvPadMode pad_mode = ConvPadMode::sizes;
  int64_t padding[2] = {0, 0};  // with ConvPadMode::sizes
  int64_t groups = 1;
  cpu::ConvAlgorithm algorithm = cpu::ConvAlgorithm::automatic;
};

// "auto", "im2col", "blocked", "pointwise", "winograd"; ValueError otherwise.
cpu::ConvAlgorithm parse_conv_algorithm(const std::string& name);
// padding given as a string: 'valid' or 'same' (ValueError otherwise); TypeError when the op
// takes no string (conv_transpose2d).
ConvPadMode parse_conv_padding(const std::string& mode, bool strings_allowed);
// ValueError unless stride and dilation are positive, padding non-negative and groups positive;
// the height entries of a 1-D call are set to their neutral values.
void conv_options_check(ConvOptions& o);

// [N, O, (OH,) OW] and [N, C, (H,) W] of a geometry.
Shape conv_output_shape(const cpu::Conv2dShape& s, int dims);
Shape conv_input_shape(const cpu::Conv2dShape& s, int dims);

// conv{1d,2d}_forward: the geometry of input * weight (+ bias).
cpu::Conv2dShape conv_forward_check(const ConvOptions& o, const Array& input, const Array& weight, const Array* bias);
// conv{1d,2d}_backward_input: grad_output (the forward's output) and weight; input_size the
// forward input's shape.
cpu::Conv2dShape conv_backward_input_check(const ConvOptions& o, const Array& grad_output, const Array& weight,
                                           const Shape& input_size);
// conv{1d,2d}_backward_weight: grad_output and the forward's input; weight_size its weight's shape.
cpu::Conv2dShape conv_backward_weight_check(const ConvOptions& o, const Array& grad_output, const Array& input,
                                            const Shape& weight_size);

// conv_backward_bias: grad_output [N, C, ...] as (batch, channels, plane).
struct BiasGradSizes {
  int64_t batch, channels, plane;
};
BiasGradSizes conv_backward_bias_check(const Array& grad_output);

// conv_transpose2d_forward: input [N, Cin, H, W], weight [Cin, Cout/groups, kH, kW], bias
// [Cout]; output_padding (h, w) below stride or dilation. The geometry of the conv2d whose
// input gradient this is (its in_* sizes are the output's).
cpu::Conv2dShape conv_transpose2d_forward_check(const ConvOptions& o, const Array& input, const Array& weight,
                                                const Array* bias, const int64_t output_padding[2]);
// conv_transpose2d_backward_input: the conv2d of grad_output with weight.
cpu::Conv2dShape conv_transpose2d_backward_input_check(const ConvOptions& o, const Array& grad_output,
                                                       const Array& weight);
// conv_transpose2d_backward_weight: conv2d's weight gradient with input and grad_output swapped.
cpu::Conv2dShape conv_transpose2d_backward_weight_check(const ConvOptions& o, const Array& grad_output,
                                                        const Array& input, const Shape& weight_size);

}  // namespace fastnn::ops
