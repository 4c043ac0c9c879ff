// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs of one
// (output, input) channel pair costs 16 multiplications instead of 36.
//
//   Y(2x2) = A^T [ (G g G^T) .* (B^T d B) ] A          g: 3x3 weight, d: 4x4 input patch
//
//   B^T = | 1  0 -1  0 |    G = | 1    0    0  |    A^T = | 1  1  1  0 |
//         | 0  1  1  0 |        | 1/2  1/2  1/2|          | 0  1 -1 -1 |
//         | 0 -1  1  0 |        | 1/2 -1/2  1/2|
//         | 0  1  0 -1 |        | 0    0    1  |
//
// Summed over input channels, the 16 element-wise products become 16 matrix products, one per
// position xi of the 4x4 transformed tile:  M[xi] (O x P) = U[xi] (O x C) @ V[xi] (C x P), with
// U = G g G^T per weight, V = B^T d B per input tile and P the output tiles (all images' 2x2
// blocks, row-major per image, images in order). The tiles are cut into chunks sized for L2
// (shape only, never the thread count); a chunk transforms its input tiles, runs the 16 gemms
// and transforms their results back, so every output element has one fixed order of operations
// and results are bitwise identical for any thread count.
//
// The input gradient of a 3x3 stride-1 convolution is itself one: dx = dy correlated with the
// weight flipped in both spatial directions and with input and output channels swapped, with
// padding 2 - pad (negative padding crops), so the same driver computes it. The weight
// gradient goes back through the same products: dU[xi] (O x C) = sum over tiles of
// (A e A^T)[xi] (O x P) @ V[xi]^T (P x C), e the 2x2 blocks of dy, and dw = G^T dU G.
//
// Layouts: x [N, C, H, W], w [O, C, 3, 3], y [N, O, OH, OW], contiguous; padding as in conv.h
// (top/left amount, the output size implies the rest). Rounding: the transforms add and halve
// only (exact in binary but for rounding), so the float32 error stays within a few times that of
// the direct sum (tests/test_conv.py checks it against the float64 reference).
#pragma once
#include "cpu/conv.h"

namespace fastnn::cpu {

// F(2x2, 3x3) computes this convolution: a 3x3 kernel, stride 1, dilation 1, one group.
// (inline: the op descriptions of every backend check it.)
inline bool conv2d_winograd_applies(const Conv2dShape& s) {
  return s.kernel_h == 3 && s.kernel_w == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.groups == 1;
}

// The automatic choice: it applies, and the 16 products are large enough to beat im2col.
bool conv2d_winograd_pays(const Conv2dShape& s);

template <class T>
void conv2d_winograd_forward(T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s);

template <class T>
void conv2d_winograd_backward_input(T* dx, const T* dy, const T* w, const Conv2dShape& s);

template <class T>
void conv2d_winograd_backward_weight(T* dw, const T* dy, const T* x, const Conv2dShape& s);

}  // namespace fastnn::cpu
