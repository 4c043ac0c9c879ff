#include "ops/padding.h"

#include <algorithm>

#include "ops/checks.h"

namespace fastnn::ops {

namespace {

std::string pair_string(int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

}  // namespace

cpu::PadMode parse_pad_mode(const std::string& mode) {
  if (mode == "constant") return cpu::PadMode::constant;
  if (mode == "reflect") return cpu::PadMode::reflect;
  if (mode == "replicate") return cpu::PadMode::replicate;
  if (mode == "circular") return cpu::PadMode::circular;
  value_error("mode must be 'constant', 'reflect', 'replicate' or 'circular', got '" + mode + "'");
}

PadSizes pad_check(const Shape& shape, const char* name, const std::vector<int64_t>& pad, cpu::PadMode mode) {
  using cpu::PadMode;
  const int ndim = shape.ndim;
  if (pad.empty() || pad.size() % 2 != 0)
    value_error("pad must have a non-zero, even length (before, after) per padded dimension, got length " +
                std::to_string(pad.size()));
  if (pad.size() / 2 > static_cast<size_t>(ndim))
    value_error("pad of length " + std::to_string(pad.size()) + " pads " + std::to_string(pad.size() / 2) +
                " dimensions, but " + name + " has only " + std::to_string(ndim));
  const int k = static_cast<int>(pad.size() / 2);
  if (k > cpu::kMaxPadDims)
    value_error("pad may pad at most " + std::to_string(cpu::kMaxPadDims) + " dimensions, got " + std::to_string(k));
  PadSizes p;
  cpu::PadGeometry& g = p.geometry;
  g.k = k;
  for (int d = 0; d < ndim - k; ++d) g.planes *= shape[d];
  p.out_shape = shape;
  for (int d = 0; d < k; ++d) {
    const int dim = ndim - k + d;  // pad lists the last dimension first
    const int64_t before = pad[2 * (k - 1 - d)], after = pad[2 * (k - 1 - d) + 1], size = shape[dim];
    const std::string where = "pad " + pair_string(before, after) + " at dimension " + std::to_string(dim) + " of " +
                              name + " (size " + std::to_string(size) + ")";
    if (mode == PadMode::reflect && (before >= size || after >= size))
      value_error("reflect padding must be less than the input dimension, got " + where);
    if (mode == PadMode::circular && (before > size || after > size))
      value_error("circular padding must be at most the input dimension (it may wrap around only once), got " + where);
    if (mode == PadMode::circular && size + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0) <= 0)
      value_error("circular padding must leave some of the input dimension, got " + where);
    if (mode != PadMode::constant && size == 0)
      value_error("non-constant padding needs non-empty padded dimensions, got " + where);
    const int64_t out = checked_add(checked_add(size, before, "the padded size (from pad)"), after, "the padded size (from pad)");
    if (out < 0 || (out == 0 && size > 0 && mode != PadMode::constant))
      value_error("the padded size must not be negative, got " + where + " (output size " + std::to_string(out) + ")");
    g.in[d] = size;
    g.out[d] = out;
    g.before[d] = before;
    g.after[d] = after;
    p.out_shape[dim] = out;
  }
  require_valid_shape(p.out_shape, "the padded shape (from pad)");
  return p;
}

void pad_forward_check(const Array& x) { require_float(x, "x"); }

void pad_backward_check(const Array& grad_out, const PadSizes& p) {
  require_float(grad_out, "grad_out");
  if (grad_out.dims() != p.out_shape)
    value_error("grad_out must have the padded shape " + shape_string(p.out_shape) + ", got " + shape_string(grad_out));
}

}  // namespace fastnn::ops
