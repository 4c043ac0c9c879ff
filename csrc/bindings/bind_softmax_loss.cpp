// fastnn._C softmax / log_softmax (forward, backward) and cross_entropy (forward, backward):
// checks every argument (shapes, dtypes, dim, reduction, class indices), then runs the kernels
// of cpu/softmax_loss.h without the GIL.
#include "bindings/arrays.h"
#include "bindings/host_array.h"
#include "bindings/bindings.h"
#include "cpu/softmax_loss.h"

namespace fastnn::bindings {

namespace {

struct AxisView {
  int64_t outer = 1, dim = 1, inner = 1;
};

// The array as [outer, dim, inner] around axis `dim` (negative counts from the end).
AxisView axis_view(const py::array& a, int64_t dim) {
  const int64_t ndim = a.ndim(), rank = ndim == 0 ? 1 : ndim;
  if (dim < -rank || dim >= rank)
    throw py::value_error("dim must be in [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) +
                          "] for an array of shape " + shape_string(a) + ", got " + std::to_string(dim));
  if (dim < 0) dim += rank;
  AxisView v;
  for (int64_t d = 0; d < ndim; ++d) {
    if (d < dim) v.outer *= a.shape(d);
    else if (d == dim) v.dim = a.shape(d);
    else v.inner *= a.shape(d);
  }
  return v;
}

py::array softmax_forward(bool log, py::object x_obj, int64_t dim, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const AxisView v = axis_view(x, dim);
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  require_no_overlap(out, "out", x, "x");
  const bool f32 = is_float32(x);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::softmax_forward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(x.data()), v.outer, v.dim,
                           v.inner, log);
    else
      cpu::softmax_forward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(x.data()), v.outer,
                           v.dim, v.inner, log);
  }
  return out;
}

py::array softmax_backward(bool log, py::object dy_obj, py::object y_obj, int64_t dim, py::object out_obj) {
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  const py::array y = c_contiguous(float_array(y_obj, "y"));
  require_same_dtype(y, dy, "y", "grad_out");
  require_same_shape(y, "y", dy, "grad_out");
  const AxisView v = axis_view(dy, dim);
  py::array out = output_array(out_obj, "out", dy.dtype(), shape_of(dy));
  // dx of a row is written after the row's reduction has read all of dy and y: dx may be dy.
  require_same_or_no_overlap(out, "out", dy, "grad_out");
  require_no_overlap(out, "out", y, "y");
  const bool f32 = is_float32(dy);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::softmax_backward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(dy.data()),
                            static_cast<const float*>(y.data()), v.outer, v.dim, v.inner, log);
    else
      cpu::softmax_backward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(dy.data()),
                            static_cast<const double*>(y.data()), v.outer, v.dim, v.inner, log);
  }
  return out;
}

// ---------------------------------------------------------------------------------- cross-entropy
cpu::Reduction parse_reduction(const std::string& name) {
  if (name == "mean") return cpu::Reduction::mean;
  if (name == "sum") return cpu::Reduction::sum;
  if (name == "none") return cpu::Reduction::none;
  throw py::value_error("reduction must be 'mean', 'sum' or 'none', got '" + name + "'");
}

// Everything both directions check: the target kind and shape, weight, options.
struct CrossEntropyArgs {
  py::array target;  // int64 [N] (class indices) or the logits' dtype [N, C] (probabilities)
  py::array weight;  // [C] when has_weight (a default py::array is an empty array, not null)
  bool has_weight = false;
  bool class_indices = true;
  cpu::Reduction reduction = cpu::Reduction::mean;
  int64_t n = 0, c = 0;

  template <class T>
  cpu::CrossEntropyOptions<T> options(int64_t ignore_index, double label_smoothing) const {
    cpu::CrossEntropyOptions<T> o;
    o.weight = has_weight ? static_cast<const T*>(weight.data()) : nullptr;
    o.ignore_index = ignore_index;
    o.label_smoothing = label_smoothing;
    o.reduction = reduction;
    return o;
  }
};

// like: the [N, C] float array (logits in forward, log_probs in backward) named like_name.
CrossEntropyArgs check_cross_entropy(const py::array& like, const char* like_name, py::object target_obj,
                                     py::object weight_obj, int64_t ignore_index, double label_smoothing,
                                     const std::string& reduction) {
  CrossEntropyArgs args;
  require_ndim(like, 2, like_name);
  args.n = like.shape(0);
  args.c = like.shape(1);
  if (args.c < 1)
    throw py::value_error(std::string(like_name) + " must have at least one class (shape[1] >= 1), got shape " +
                          shape_string(like));
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    throw py::value_error("label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
  args.reduction = parse_reduction(reduction);
  if (!py::isinstance<py::array>(target_obj))
    throw py::type_error("target must be a numpy.ndarray (int64 class indices or float probabilities), got " +
                         py::str(py::type::handle_of(target_obj).attr("__name__")).cast<std::string>());
  py::array target = py::reinterpret_borrow<py::array>(target_obj);
  const char kind = target.dtype().kind();
  if (kind == 'i' || kind == 'u') {
    if (target.ndim() != 1 || target.shape(0) != args.n)
      throw py::value_error("target (class indices) must have shape (" + std::to_string(args.n) + ",), got " +
                            shape_string(target));
    HostCall call;  // int64 conversion; a uint64 index above 2**63 - 1 is refused instead of wrapping
    args.target = py::reinterpret_borrow<py::array>(call.object(call.index_input(target, "target")));
    const int64_t* t = static_cast<const int64_t*>(args.target.data());
    for (int64_t i = 0; i < args.n; ++i)
      if (t[i] != ignore_index && (t[i] < 0 || t[i] >= args.c))
        throw_index_out_of_range("target[" + std::to_string(i) + "] = " + std::to_string(t[i]) +
                              " is not a class index: expected 0 <= target < C = " + std::to_string(args.c) +
                              " or ignore_index = " + std::to_string(ignore_index));
  } else if (kind == 'f') {
    args.class_indices = false;
    require_same_dtype(target, like, "target", like_name);
    if (shape_of(target) != shape_of(like))
      throw py::value_error("target (probabilities) must have shape " + shape_string(like) + ", got " +
                            shape_string(target));
    args.target = c_contiguous(target);
  } else {
    throw py::type_error("target must have an integer dtype (class indices) or the dtype of " +
                         std::string(like_name) + " (probabilities), got " + dtype_string(target));
  }
  if (!weight_obj.is_none()) {
    py::array weight = float_array(weight_obj, "weight");
    require_same_dtype(weight, like, "weight", like_name);
    if (weight.ndim() != 1 || weight.shape(0) != args.c)
      throw py::value_error("weight must have shape (" + std::to_string(args.c) + ",), got " + shape_string(weight));
    args.weight = c_contiguous(weight);
    args.has_weight = true;
  }
  return args;
}

py::tuple cross_entropy_forward(py::object logits_obj, py::object target_obj, py::object weight_obj,
                                int64_t ignore_index, double label_smoothing, const std::string& reduction,
                                py::object log_probs_obj) {
  const py::array logits = c_contiguous(float_array(logits_obj, "logits"));
  const CrossEntropyArgs args =
      check_cross_entropy(logits, "logits", target_obj, weight_obj, ignore_index, label_smoothing, reduction);
  py::array log_probs = output_array(log_probs_obj, "log_probs", logits.dtype(), shape_of(logits));
  require_no_overlap(log_probs, "log_probs", logits, "logits");
  require_no_overlap(log_probs, "log_probs", args.target, "target");
  if (args.has_weight) require_no_overlap(log_probs, "log_probs", args.weight, "weight");
  py::array loss = args.reduction == cpu::Reduction::none ? py::array(logits.dtype(), std::vector<py::ssize_t>{args.n})
                                                          : py::array(logits.dtype(), std::vector<py::ssize_t>{});
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const auto opt = args.options<T>(ignore_index, label_smoothing);
    T* l = static_cast<T*>(loss.mutable_data());
    T* lp = static_cast<T*>(log_probs.mutable_data());
    const T* x = static_cast<const T*>(logits.data());
    py::gil_scoped_release no_gil;
    if (args.class_indices)
      cpu::cross_entropy_forward(l, lp, x, static_cast<const int64_t*>(args.target.data()), args.n, args.c, opt);
    else
      cpu::cross_entropy_prob_forward(l, lp, x, static_cast<const T*>(args.target.data()), args.n, args.c, opt);
  };
  if (is_float32(logits)) run(0.0f);
  else run(0.0);
  return py::make_tuple(loss, log_probs);
}

py::array cross_entropy_backward(py::object grad_loss_obj, py::object log_probs_obj, py::object target_obj,
                                 py::object weight_obj, int64_t ignore_index, double label_smoothing,
                                 const std::string& reduction, py::object out_obj) {
  const py::array log_probs = c_contiguous(float_array(log_probs_obj, "log_probs"));
  const CrossEntropyArgs args =
      check_cross_entropy(log_probs, "log_probs", target_obj, weight_obj, ignore_index, label_smoothing, reduction);
  // The upstream gradient: [N] for reduction='none', else one number (a float or a size-1 array).
  py::array grad_loss;
  if (args.reduction == cpu::Reduction::none) {
    grad_loss = c_contiguous(float_array(grad_loss_obj, "grad_loss"));
    require_same_dtype(grad_loss, log_probs, "grad_loss", "log_probs");
    if (grad_loss.ndim() != 1 || grad_loss.shape(0) != args.n)
      throw py::value_error("grad_loss must have shape (" + std::to_string(args.n) +
                            ",) for reduction='none', got " + shape_string(grad_loss));
  } else {
    py::array g = py::array::ensure(grad_loss_obj);
    if (!g || g.size() != 1 || (g.dtype().kind() != 'f' && g.dtype().kind() != 'i' && g.dtype().kind() != 'u'))
      throw py::value_error("grad_loss must be one real number for reduction='" + reduction + "', got " +
                            py::str(py::repr(grad_loss_obj)).cast<std::string>());
    const double value = g.attr("item")().cast<double>();
    grad_loss = py::array(log_probs.dtype(), std::vector<py::ssize_t>{1});
    if (is_float32(log_probs)) *static_cast<float*>(grad_loss.mutable_data()) = float(value);
    else *static_cast<double*>(grad_loss.mutable_data()) = value;
  }
  py::array out = output_array(out_obj, "out", log_probs.dtype(), shape_of(log_probs));
  require_no_overlap(out, "out", log_probs, "log_probs");
  require_no_overlap(out, "out", args.target, "target");
  require_no_overlap(out, "out", grad_loss, "grad_loss");
  if (args.has_weight) require_no_overlap(out, "out", args.weight, "weight");
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const auto opt = args.options<T>(ignore_index, label_smoothing);
    T* dx = static_cast<T*>(out.mutable_data());
    const T* g = static_cast<const T*>(grad_loss.data());
    const T* lp = static_cast<const T*>(log_probs.data());
    py::gil_scoped_release no_gil;
    if (args.class_indices)
      cpu::cross_entropy_backward(dx, g, lp, static_cast<const int64_t*>(args.target.data()), args.n, args.c, opt);
    else
      cpu::cross_entropy_prob_backward(dx, g, lp, static_cast<const T*>(args.target.data()), args.n, args.c, opt);
  };
  if (is_float32(log_probs)) run(0.0f);
  else run(0.0);
  return out;
}

}  // namespace

void bind_softmax_loss(py::module_& m) {
  // Spelled out per kernel, so that grep finds every name.
  const auto def_softmax = [&m](const char* forward_name, const char* backward_name, bool log, const char* forward_doc,
                                const char* backward_doc) {
    m.def(forward_name, [log](py::object x, int64_t dim, py::object out) { return softmax_forward(log, x, dim, out); },
          py::arg("x"), py::arg("dim") = -1, py::arg("out") = py::none(), forward_doc);
    m.def(backward_name,
          [log](py::object dy, py::object y, int64_t dim, py::object out) { return softmax_backward(log, dy, y, dim, out); },
          py::arg("grad_out"), py::arg("y"), py::arg("dim") = -1, py::arg("out") = py::none(), backward_doc);
  };
  def_softmax("softmax_forward", "softmax_backward", false, R"doc(y = exp(x - max) / sum(exp(x - max)) along `dim`; numerically stable for any x.)doc",
              R"doc(grad_in = y * (grad_out - sum(grad_out * y, dim)), from the forward output y.)doc");
  def_softmax("log_softmax_forward", "log_softmax_backward", true, R"doc(y = x - max - log(sum(exp(x - max))) along `dim`.)doc",
              R"doc(grad_in = grad_out - exp(y) * sum(grad_out, dim), from the forward output y.)doc");
  m.def("cross_entropy_forward", &cross_entropy_forward, py::arg("logits"), py::arg("target"),
        py::arg("weight") = py::none(), py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0,
        py::arg("reduction") = "mean", py::arg("log_probs") = py::none(), R"doc(Fused log-softmax + negative log-likelihood, as torch.nn.functional.cross_entropy.

logits: [N, C] float (move the class dim of [N, C, d1, ...] to the end and flatten first).
target: [N] integer class indices (int64 is used; any index that is neither in [0, C) nor
ignore_index raises ValueError), or [N, C] class probabilities of the logits' dtype.
weight: None or [C] class weights. reduction: "mean" (divided by the summed weights of the
non-ignored targets; for probabilities by N), "sum" or "none" (per-row losses [N]).
Returns (loss, log_probs): loss is a 0-d array (mean, sum) or [N] (none); log_probs [N, C]
(written into `log_probs` when given) is what cross_entropy_backward needs.)doc");
  m.def("cross_entropy_backward", &cross_entropy_backward, py::arg("grad_loss"), py::arg("log_probs"),
        py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("label_smoothing") = 0.0, py::arg("reduction") = "mean", py::arg("out") = py::none(), R"doc(Gradient of cross_entropy_forward's loss with respect to the logits, [N, C].

grad_loss: one number (a float or size-1 array) for mean/sum, an [N] array for none.
log_probs: the forward's second result; the other arguments as given to the forward.)doc");
}

}  // namespace fastnn::bindings
