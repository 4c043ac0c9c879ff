// Softmax / log_softmax and the fused cross-entropy (cpu/softmax_loss.h).
//   softmax: x float32/float64 of any shape, dim in [-ndim, ndim) (a 0-D x has one axis); y has
//            x's shape and dtype. Backward: grad_out and y of one dtype and shape.
//   cross-entropy: logits (forward) or log_probs (backward) [N, C] float with C >= 1;
//            target [N] int64 class indices (the adapter's index_input converts any integer
//            dtype; each in [0, C) or ignore_index) or [N, C] probabilities of the logits' dtype;
//            weight None or [C] of that dtype; label_smoothing in [0, 1]; reduction 'mean',
//            'sum' or 'none'. For 'none' grad_loss is [N] of that dtype, else one number.
#pragma once
#include <string>

#include "cpu/softmax_loss.h"
#include "ops/array.h"

namespace fastnn::ops {

// The array as [outer, dim, inner] around the softmax axis.
struct AxisSizes {
  int64_t outer = 1, dim = 1, inner = 1;
};

AxisSizes softmax_forward_check(const Array& x, int64_t dim);
AxisSizes softmax_backward_check(const Array& grad_out, const Array& y, int64_t dim);

// "mean" / "sum" / "none"; ValueError otherwise.
cpu::Reduction parse_reduction(const std::string& name);

struct CrossEntropySizes {
  int64_t n, c;
};

// like: the [N, C] float array (logits in forward, log_probs in backward) named like_name.
CrossEntropySizes cross_entropy_check(const Array& like, const char* like_name, double label_smoothing);
// True for an integer target (class indices), false for probabilities of a float dtype;
// TypeError for any other dtype.
bool cross_entropy_class_indices(const Array& target, const char* like_name);
// The target's shape (and dtype, for probabilities) and the optional weight.
void cross_entropy_target_check(const Array& target, bool class_indices, const Array* weight, const Array& like,
                                const char* like_name, const CrossEntropySizes& s);
// IndexOutOfRangeError naming the first class index neither in [0, C) nor ignore_index. It reads
// the values: host memory only (host_index_values); a device backend checks them on the device.
void cross_entropy_indices_check(const Array& target, int64_t c, int64_t ignore_index);
// The error of cross_entropy_indices_check: target[row] = value is not a class index.
[[noreturn]] void invalid_class_index(int64_t row, int64_t value, int64_t c, int64_t ignore_index);
// grad_loss of reduction 'none': [N] of log_probs' dtype.
void cross_entropy_grad_loss_check(const Array& grad_loss, const Array& log_probs, const CrossEntropySizes& s);

}  // namespace fastnn::ops
