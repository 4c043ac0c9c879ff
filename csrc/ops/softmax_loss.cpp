#include "ops/softmax_loss.h"

#include "ops/checks.h"

namespace fastnn::ops {

namespace {

AxisSizes axis_sizes(const Array& a, int64_t dim) {
  const int64_t rank = a.ndim == 0 ? 1 : a.ndim;
  if (dim < -rank || dim >= rank)
    value_error("dim must be in [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) +
                "] for an array of shape " + shape_string(a) + ", got " + std::to_string(dim));
  if (dim < 0) dim += rank;
  AxisSizes v;
  for (int d = 0; d < a.ndim; ++d) {
    if (d < dim) v.outer *= a.shape[d];
    else if (d == dim) v.dim = a.shape[d];
    else v.inner *= a.shape[d];
  }
  return v;
}

}  // namespace

AxisSizes softmax_forward_check(const Array& x, int64_t dim) {
  require_float(x, "x");
  return axis_sizes(x, dim);
}

AxisSizes softmax_backward_check(const Array& grad_out, const Array& y, int64_t dim) {
  require_float(grad_out, "grad_out");
  require_same_dtype(y, grad_out, "y", "grad_out");
  require_same_shape(y, "y", grad_out, "grad_out");
  return axis_sizes(grad_out, dim);
}

cpu::Reduction parse_reduction(const std::string& name) {
  if (name == "mean") return cpu::Reduction::mean;
  if (name == "sum") return cpu::Reduction::sum;
  if (name == "none") return cpu::Reduction::none;
  value_error("reduction must be 'mean', 'sum' or 'none', got '" + name + "'");
}

CrossEntropySizes cross_entropy_check(const Array& like, const char* like_name, double label_smoothing) {
  require_float(like, like_name);
  require_ndim(like, 2, like_name);
  const CrossEntropySizes s{like.shape[0], like.shape[1]};
  if (s.c < 1)
    value_error(std::string(like_name) + " must have at least one class (shape[1] >= 1), got shape " +
                shape_string(like));
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    value_error("label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
  return s;
}

bool cross_entropy_class_indices(const Array& target, const char* like_name) {
  if (is_integer(target.dtype)) return true;
  if (is_float(target.dtype)) return false;
  type_error("target must have an integer dtype (class indices) or the dtype of " + std::string(like_name) +
             " (probabilities), got " + target.type_name);
}

void cross_entropy_target_check(const Array& target, bool class_indices, const Array* weight, const Array& like,
                                const char* like_name, const CrossEntropySizes& s) {
  if (class_indices) {
    require_shape(target, "target (class indices)", {s.n});
  } else {
    require_same_dtype(target, like, "target", like_name);
    require_shape(target, "target (probabilities)", like.dims());
  }
  if (weight) {
    require_same_dtype(*weight, like, "weight", like_name);
    require_shape(*weight, "weight", {s.c});
  }
}

void cross_entropy_indices_check(const Array& target, int64_t c, int64_t ignore_index) {
  const int64_t* t = host_index_values(target, "target");
  for (int64_t i = 0, n = target.size(); i < n; ++i)
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= c)) invalid_class_index(i, t[i], c, ignore_index);
}

void invalid_class_index(int64_t row, int64_t value, int64_t c, int64_t ignore_index) {
  index_error("target[" + std::to_string(row) + "] = " + std::to_string(value) +
              " is not a class index: expected 0 <= target < C = " + std::to_string(c) +
              " or ignore_index = " + std::to_string(ignore_index));
}

void cross_entropy_grad_loss_check(const Array& grad_loss, const Array& log_probs, const CrossEntropySizes& s) {
  require_same_dtype(grad_loss, log_probs, "grad_loss", "log_probs");
  if (grad_loss.dims() != Shape{s.n})
    value_error("grad_loss must have shape (" + std::to_string(s.n) + ",) for reduction='none', got " +
                shape_string(grad_loss));
}

}  // namespace fastnn::ops
