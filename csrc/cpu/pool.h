// Pooling and nearest upsampling over NCHW planes, forward and backward, as PyTorch defines them.
// Every array is contiguous [planes, H, W] (planes = N * C; 1-D pooling is H = 1).
//
// Output size of a window sweep (ops::pool_output_size, ops/pool.h), PyTorch's pooling_output_shape:
//   out = floor((in + 2 pad - dilation (k - 1) - 1 + (ceil_mode ? stride - 1 : 0)) / stride) + 1,
//   less one when ceil_mode lets the last window start at or past in + pad.
// Window (oh, ow) starts at ih0 = oh * stride_h - pad_h (columns alike).
//
// max_pool2d:  y = max over ih0 + dilation_h * i (i < kernel_h), within the input, the columns alike;
//   scanned row by row, an element replaces the running maximum (starting at -inf) when it is
//   greater or NaN: ties keep the first maximum, a NaN wins (the last NaN). indices = ih * W + iw
//   of the winner, int64, the flat per-plane index PyTorch returns. A window that misses the input
//   (possible with dilation and padding) gives -inf and the index of its first, outside position,
//   as PyTorch's does. Backward: dx = 0, then dx[indices[o]] += dy[o] for each output o of the
//   plane in order (deterministic); an index outside the plane contributes nothing.
// avg_pool2d:  y = sum over the window clipped to the input / divisor; divisor = divisor_override
//   when non-zero, else the window size clipped to the padded input (count_include_pad) or to
//   the input. A window that misses the input gives 0. Backward spreads dy / divisor alike.
// adaptive_avg_pool2d: window rows [start, end) with start = floor(oh * H / OH),
//   end = ceil((oh + 1) * H / OH) (columns alike); y = sum / rows / cols.
// upsample_nearest2d: y[oh, ow] = x[src_h(oh), src_w(ow)], PyTorch's 'nearest' rule:
//   src = dst when out == in, dst / 2 when out == 2 in, else min(floor(float(dst) * s), in - 1)
//   with s = float(1 / scale) when a scale factor (> 0) was given, else float(in) / out.
//   Backward: dx[src] += dy[dst] in output order.
//
// Every kernel runs planes in parallel (parallel_for), each plane on one thread start to end,
// so results never depend on the thread count.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

// The planes and their input and output sizes.
struct PlaneShape {
  int64_t planes, in_h, in_w, out_h, out_w;
};

// A pooling window sweep; out_h/out_w of the PlaneShape come from ops::pool_output_size.
struct PoolWindow {
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  int64_t dilation_h = 1, dilation_w = 1;
};

// y, indices: [planes, out_h, out_w]; x: [planes, in_h, in_w].
template <class T>
void max_pool2d_forward(T* y, int64_t* indices, const T* x, const PlaneShape& s, const PoolWindow& w);
// dx: [planes, in_h, in_w]; dy, indices: [planes, out_h, out_w].
template <class T>
void max_pool2d_backward(T* dx, const T* dy, const int64_t* indices, const PlaneShape& s);

// divisor_override: 0 means none. The window's dilation must be 1.
template <class T>
void avg_pool2d_forward(T* y, const T* x, const PlaneShape& s, const PoolWindow& w, bool count_include_pad,
                        int64_t divisor_override);
template <class T>
void avg_pool2d_backward(T* dx, const T* dy, const PlaneShape& s, const PoolWindow& w, bool count_include_pad,
                         int64_t divisor_override);

template <class T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const PlaneShape& s);
template <class T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const PlaneShape& s);

// scale_h, scale_w: the scale factors the caller gave, 0 when it gave the output size instead.
template <class T>
void upsample_nearest2d_forward(T* y, const T* x, const PlaneShape& s, double scale_h, double scale_w);
template <class T>
void upsample_nearest2d_backward(T* dx, const T* dy, const PlaneShape& s, double scale_h, double scale_w);

}  // namespace fastnn::cpu
