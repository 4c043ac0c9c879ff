#include "ops/interpolate.h"

#include "ops/checks.h"

namespace fastnn::ops {

cpu::InterpMode parse_interp_mode(const std::string& mode) {
  if (mode == "linear") return cpu::InterpMode::linear;
  if (mode == "cubic") return cpu::InterpMode::cubic;
  value_error("interpolation mode must be 'linear' or 'cubic', got '" + mode + "'");
}

InterpSizes interp_check(const Shape& shape, const char* name, const Shape& output_size, const std::vector<double>& scale_factors,
                         bool align_corners, cpu::InterpMode mode) {
  const int ndim = shape.ndim;
  if (ndim != 3 && ndim != 4)
    value_error(std::string(name) + " must be 3-D [N, C, L] or 4-D [N, C, H, W], got " + std::to_string(ndim) +
                " dimensions");
  if (mode == cpu::InterpMode::cubic && ndim != 4)
    value_error(std::string("cubic interpolation needs a 4-D input [N, C, H, W], got 3 dimensions in ") + name);
  const int dims = ndim - 2;
  if (output_size.ndim != dims)
    value_error("output_size must have " + std::to_string(dims) + " entries (one per spatial dimension), got " +
                std::to_string(output_size.ndim));
  if (!scale_factors.empty() && scale_factors.size() != static_cast<size_t>(dims))
    value_error("scale_factors must be empty or have " + std::to_string(dims) + " entries, got " +
                std::to_string(scale_factors.size()));
  InterpSizes r;
  cpu::InterpGeometry& g = r.geometry;
  g.planes = shape[0] * shape[1];
  g.in_h = dims == 2 ? shape[2] : 1;
  g.in_w = shape[ndim - 1];
  g.out_h = dims == 2 ? output_size[0] : 1;
  g.out_w = output_size[dims - 1];
  g.scale_h = dims == 2 && !scale_factors.empty() ? scale_factors[0] : 0.0;
  g.scale_w = scale_factors.empty() ? 0.0 : scale_factors[dims - 1];
  g.align_corners = align_corners;
  if (g.in_h < 1 || g.in_w < 1 || g.out_h < 1 || g.out_w < 1)
    value_error(std::string(name) + " and output_size should be greater than 0, but got input (" + std::to_string(g.in_h) + ", " +
                std::to_string(g.in_w) + ") and output (" + std::to_string(g.out_h) + ", " + std::to_string(g.out_w) +
                ")");
  r.out_shape = shape;
  for (int d = 0; d < dims; ++d) r.out_shape[2 + d] = output_size[d];
  require_valid_shape(r.out_shape, "the output shape");
  return r;
}

InterpSizes interpolate_forward_check(const Array& x, const Shape& output_size,
                                      const std::vector<double>& scale_factors, bool align_corners,
                                      cpu::InterpMode mode) {
  require_float(x, "x");
  return interp_check(x.dims(), "x", output_size, scale_factors, align_corners, mode);
}

InterpSizes interpolate_backward_check(const Array& grad_out, const Shape& input_shape,
                                       const std::vector<double>& scale_factors, bool align_corners,
                                       cpu::InterpMode mode) {
  require_float(grad_out, "grad_out");
  if (grad_out.ndim != input_shape.ndim || grad_out.ndim < 3)
    value_error("grad_out " + shape_string(grad_out) + " and input_shape " + shape_string(input_shape) +
                " must have the same rank, 3 or 4");
  const Shape output_size(grad_out.shape + 2, grad_out.ndim - 2);
  InterpSizes r = interp_check(input_shape, "input_shape", output_size, scale_factors, align_corners, mode);
  if (grad_out.dims() != r.out_shape)
    value_error("grad_out must have shape " + shape_string(r.out_shape) + ", got " + shape_string(grad_out));
  return r;
}

}  // namespace fastnn::ops
