// Group normalisation (cpu/group_norm.h): x float32/float64 [N, C, ...] with C divisible by
// num_groups (> 0); weight, bias [C] and mean, rstd [N, G] of x's dtype; grad_out has x's shape
// and dtype. out has x's shape and may be x itself.
#pragma once
#include "cpu/group_norm.h"
#include "ops/array.h"

namespace fastnn::ops {

cpu::GroupNormGeometry group_norm_forward_check(const Array& x, int64_t num_groups, const Array* weight,
                                                const Array* bias, double eps);
cpu::GroupNormGeometry group_norm_backward_check(const Array& grad_out, const Array& x, const Array& mean,
                                                 const Array& rstd, int64_t num_groups, const Array* weight);

}  // namespace fastnn::ops
