// Padding of the trailing dimensions (cpu/padding.h, F.pad): x float32/float64 of any shape;
// pad in PyTorch's order (last dimension first, (before, after) pairs, negative crops); the
// mode's limits are PyTorch's. pad_backward's grad_out has the padded shape of input_shape.
#pragma once
#include <string>
#include <vector>

#include "cpu/padding.h"
#include "ops/array.h"

namespace fastnn::ops {

// "constant", "reflect", "replicate" or "circular"; ValueError otherwise.
cpu::PadMode parse_pad_mode(const std::string& mode);

struct PadSizes {
  cpu::PadGeometry geometry;
  Shape out_shape;  // the padded shape
};

// The geometry of padding an array of `shape` (the argument `name`: x, or input_shape in
// backward); ValueError naming what does not fit.
PadSizes pad_check(const Shape& shape, const char* name, const std::vector<int64_t>& pad, cpu::PadMode mode);
void pad_forward_check(const Array& x);
// grad_out: float, of the padded shape.
void pad_backward_check(const Array& grad_out, const PadSizes& p);

}  // namespace fastnn::ops
