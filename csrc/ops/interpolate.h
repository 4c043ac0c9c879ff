// Linear, bilinear and bicubic interpolation (cpu/interpolate.h, F.interpolate): x float32/
// float64 [N, C, L] (linear) or [N, C, H, W]; output_size and scale_factors (empty: none) one
// entry per spatial dimension. interpolate_backward's grad_out has the output shape of
// input_shape.
#pragma once
#include <string>
#include <vector>

#include "cpu/interpolate.h"
#include "ops/array.h"

namespace fastnn::ops {

// "linear" (also for bilinear) or "cubic" (bicubic); ValueError otherwise.
cpu::InterpMode parse_interp_mode(const std::string& mode);

struct InterpSizes {
  cpu::InterpGeometry geometry;
  Shape out_shape;
};

// ValueError for another rank, a cubic 1-D input, a size that is not positive or a wrong number
// of entries.
// `name` names the argument the input shape comes from.
InterpSizes interp_check(const Shape& shape, const char* name, const Shape& output_size, const std::vector<double>& scale_factors,
                         bool align_corners, cpu::InterpMode mode);
InterpSizes interpolate_forward_check(const Array& x, const Shape& output_size,
                                      const std::vector<double>& scale_factors, bool align_corners,
                                      cpu::InterpMode mode);
// The output size is grad_out's spatial size; grad_out must be the output of input_shape.
InterpSizes interpolate_backward_check(const Array& grad_out, const Shape& input_shape,
                                       const std::vector<double>& scale_factors, bool align_corners,
                                       cpu::InterpMode mode);

}  // namespace fastnn::ops
