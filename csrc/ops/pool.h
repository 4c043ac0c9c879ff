// Pooling and nearest upsampling (cpu/pool.h) over the last two dimensions of a 3-D [C, H, W]
// or 4-D [N, C, H, W] float32/float64 input (every leading dimension is a plane). The window
// arguments are checked with PyTorch's rules and the geometry in checked int64 arithmetic (a
// window or padding whose sizes overflow is a ValueError). Sizes are (height, width) pairs.
#pragma once
#include "cpu/pool.h"
#include "ops/array.h"

namespace fastnn::ops {

// A pooled, upsampled or gradient input: 3-D or 4-D with non-zero channels, height and width.
// Returns its number of planes (the product of the leading dimensions).
int64_t pool_planes_check(const Array& x, const char* name);
// The shape of `a` with its last two dimensions replaced by (h, w), which come from the
// argument `size_name` (ValueError naming it when the shape's size overflows int64).
Shape with_spatial(const Array& a, int64_t h, int64_t w, const char* size_name);
// ValueError unless both sizes are > 0.
void require_positive_pair(const int64_t p[2], const char* name);

// The output size of a window sweep along one axis (formula: cpu/pool.h), computed in 128 bits
// and clamped into int64 (the CPU and CUDA kernels' geometry, checked once here).
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode);

// The window of a sweep; stride null means kernel_size.
cpu::PoolWindow pool_window(const int64_t kernel[2], const int64_t* stride, const int64_t padding[2],
                            const int64_t dilation[2]);
// The planes of an input of spatial size (in_h, in_w) pooled by w; ValueError when the window
// does not fit the padded input.
cpu::PlaneShape pooled_shape(int64_t planes, int64_t in_h, int64_t in_w, const cpu::PoolWindow& w, bool ceil_mode);
// ValueError unless grad_out has the spatial size of the forward's output.
void require_pool_output_size(const Array& grad_out, const cpu::PlaneShape& s);

// max_pool2d_backward: indices int64 of grad_out's shape.
void max_pool2d_indices_check(const Array& indices, const Array& grad_out);
// avg pooling's divisor_override: non-zero.
void divisor_override_check(int64_t divisor);
// upsample_nearest2d's scale factors (h, w): positive and finite.
void upsample_scales_check(const double scales[2]);

}  // namespace fastnn::ops
