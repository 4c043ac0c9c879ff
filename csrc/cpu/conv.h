// 2-D convolution (cross-correlation, as PyTorch), forward and backward, NCHW:
//
//   y[n, o, oh, ow] = b[o] + sum_{c, kh, kw} w[o, c, kh, kw] * x[n, g*Cg + c, ih, iw]
//   ih = oh*sh - pt + kh*dh,  iw = ow*sw - pl + kw*dw   (x = 0 outside the image)
//
// with g = o / Og the group of o, Cg = C / groups, Og = O / groups. Layouts: x [N, C, H, W],
// w [O, Cg, kH, kW] (PyTorch's), y [N, O, OH, OW], all contiguous. Padding is given as its
// top/left amount plus the output size, so asymmetric padding (padding='same' with an even
// kernel pads one more at the bottom/right, as PyTorch does) needs nothing special: reads past
// the bottom/right edge are zero. conv1d is the H = kH = 1 case; conv_transpose2d's forward is
// conv2d_backward_input, its input gradient conv2d_forward and its weight gradient
// conv2d_backward_weight with the roles of x and dy swapped.
//
// Backward: dx = conv2d_backward_input(dy, w), dw = conv2d_backward_weight(dy, x),
// db[o] = sum_{n, oh, ow} dy[n, o, oh, ow]. Every output is written (=), never accumulated.
//
// Algorithms (ConvAlgorithm; conv.cpp's header says how each runs and when auto picks it):
//   im2col     the whole im2col matrix of one image, one gemm per image and group: the simple
//              reference every other path is tested against.
//   blocked    im2col of a block of output rows into a per-thread buffer sized for L2, one gemm
//              per block; threads split images x row blocks.
//   pointwise  1x1, stride 1, no padding: the gemm reads the NCHW planes in place, no copy.
//   winograd   3x3, stride 1, dilation 1, one group: F(2x2, 3x3) (conv_winograd.h) for the
//              forward, the input gradient and the weight gradient.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

struct Conv2dShape {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;  // x: [N, C, H, W]
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;    // w: [O, C/groups, kH, kW]
  int64_t out_h = 0, out_w = 0;                            // y: [N, O, OH, OW]
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

enum class ConvAlgorithm { automatic = 0, im2col = 1, blocked = 2, pointwise = 3, winograd = 4 };

// True when the pointwise algorithm applies: a 1x1 kernel, stride 1, no padding.
// (inline: the op descriptions of every backend check it.)
inline bool conv2d_is_pointwise(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
}

template <class T>
void conv2d_forward(T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s, ConvAlgorithm algorithm);

template <class T>
void conv2d_backward_input(T* dx, const T* dy, const T* w, const Conv2dShape& s, ConvAlgorithm algorithm);

template <class T>
void conv2d_backward_weight(T* dw, const T* dy, const T* x, const Conv2dShape& s, ConvAlgorithm algorithm);

// db[o] = sum over n, oh, ow of dy[n, o, oh, ow]; dy: [N, O, P] with P = OH*OW.
template <class T>
void conv2d_backward_bias(T* db, const T* dy, int64_t batch, int64_t channels, int64_t plane);

// y[n, o, :] += bias[o]; y: [N, O, P]. The bias of conv_transpose2d (conv2d_forward adds its own).
template <class T>
void conv_add_bias(T* y, const T* bias, int64_t batch, int64_t channels, int64_t plane);

}  // namespace fastnn::cpu
