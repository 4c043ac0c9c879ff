// softmax / log_softmax (forward, backward) and the fused cross-entropy (forward, backward): the
// binding template (see binding.h); checks in ops/softmax_loss.h, kernels in
// cpu/softmax_loss.h.
#pragma once
#include <string>

#include "bindings/binding.h"
#include "ops/softmax_loss.h"

namespace fastnn::bindings {

namespace softmax_loss_detail {

template <class Backend>
py::object softmax_forward(bool log, py::handle x_obj, py::handle dim_obj, py::handle out_obj) {
  const int64_t dim = int_arg(dim_obj, "dim");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::AxisSizes v = ops::softmax_forward_check(x, dim);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  call.check_aliasing();  // a row's outputs are written while its inputs are still read: no in place
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::softmax_forward(call.stream(), out.out<T>(), x.in<T>(), v.outer, v.dim, v.inner, log);
  });
  return call.object(out);
}

template <class Backend>
py::object softmax_backward(bool log, py::handle dy_obj, py::handle y_obj, py::handle dim_obj, py::handle out_obj) {
  const int64_t dim = int_arg(dim_obj, "dim");
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& y = call.float_input(y_obj, "y");
  const ops::AxisSizes v = ops::softmax_backward_check(dy, y, dim);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, dy.dims());
  // dx of a row is written after the row's reduction has read all of dy and y: dx may be dy.
  call.allow_in_place("out", "grad_out");
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::softmax_backward(call.stream(), out.out<T>(), dy.in<T>(), y.in<T>(), v.outer, v.dim, v.inner, log);
  });
  return call.object(out);
}

// The arguments both cross-entropy directions share: the target (class indices as int64, or
// probabilities), the optional weight, the options and the sizes, checked against `like`.
template <class Call>
struct CrossEntropyArgs {
  const ops::Array* target = nullptr;
  const ops::Array* weight = nullptr;
  bool class_indices = true;
  std::string reduction_name;
  cpu::Reduction reduction;
  int64_t ignore_index;
  double label_smoothing;
  ops::CrossEntropySizes sizes;

  CrossEntropyArgs(Call& call, const ops::Array& like, const char* like_name, py::handle target_obj,
                   py::handle weight_obj, py::handle ignore_obj, py::handle smoothing_obj, py::handle reduction_obj)
      : reduction_name(str_arg(reduction_obj, "reduction")),
        reduction(ops::parse_reduction(reduction_name)),
        ignore_index(int_arg(ignore_obj, "ignore_index")),
        label_smoothing(float_arg(smoothing_obj, "label_smoothing")),
        sizes(ops::cross_entropy_check(like, like_name, label_smoothing)) {
    const ops::Array& given = call.input(target_obj, "target");
    class_indices = ops::cross_entropy_class_indices(given, like_name);
    // Class indices are read again as int64 (a copy unless they are int64 already).
    target = class_indices ? &call.index_input(target_obj, "target") : &given;
    weight = call.optional_float_input(weight_obj, "weight");
    ops::cross_entropy_target_check(*target, class_indices, weight, like, like_name, sizes);
  }

  // The values of class indices, checked by the backend (on the host or on the device).
  template <class Backend>
  void check_indices(typename Call::Stream stream) const {
    if (class_indices) Backend::cross_entropy_indices_check(stream, *target, sizes.c, ignore_index);
  }

  template <class T>
  cpu::CrossEntropyOptions<T> options() const {
    cpu::CrossEntropyOptions<T> o;
    o.weight = ops::in_or_null<T>(weight);
    o.ignore_index = ignore_index;
    o.label_smoothing = label_smoothing;
    o.reduction = reduction;
    return o;
  }
};

template <class Backend>
py::tuple cross_entropy_forward(py::handle logits_obj, py::handle target_obj, py::handle weight_obj,
                                py::handle ignore_obj, py::handle smoothing_obj, py::handle reduction_obj,
                                py::handle log_probs_obj) {
  using Call = typename Backend::Call;
  Call call;
  const ops::Array& logits = call.float_input(logits_obj, "logits");
  const CrossEntropyArgs<Call> a(call, logits, "logits", target_obj, weight_obj, ignore_obj, smoothing_obj,
                                 reduction_obj);
  a.template check_indices<Backend>(call.stream());
  const ops::Array& log_probs = call.output(log_probs_obj, "log_probs", logits.dtype, logits.dims());
  const ops::Array& loss = a.reduction == cpu::Reduction::none ? call.allocate("loss", logits.dtype, {a.sizes.n})
                                                               : call.allocate("loss", logits.dtype, ops::Shape{});
  call.check_aliasing();
  with_float_type(logits, [&](auto tag) {
    using T = decltype(tag);
    if (a.class_indices)
      Backend::cross_entropy_forward(call.stream(), loss.out<T>(), log_probs.out<T>(), logits.in<T>(),
                                     a.target->template in<int64_t>(), a.sizes.n, a.sizes.c, a.template options<T>());
    else
      Backend::cross_entropy_prob_forward(call.stream(), loss.out<T>(), log_probs.out<T>(), logits.in<T>(),
                                          a.target->template in<T>(), a.sizes.n, a.sizes.c, a.template options<T>());
  });
  return results(call, &loss, &log_probs);
}

// The upstream gradient of reduction 'mean' or 'sum': one real number, given as a Python or
// NumPy number or as an array of one element, read on the host (the kernels take it by address).
inline double one_number(py::handle obj, const std::string& reduction) {
  const auto refuse = [&]() {
    ops::value_error("grad_loss must be one real number for reduction='" + reduction + "', got " +
                     py::repr(obj).cast<std::string>());
  };
  py::object value = py::reinterpret_borrow<py::object>(obj);
  if (py::hasattr(obj, "size") && py::hasattr(obj, "item")) {  // an array (or a NumPy scalar)
    py::object size = obj.attr("size");
    if (!PyLong_Check(size.ptr()) || size.cast<int64_t>() != 1) refuse();
    value = obj.attr("item")();
  }
  try {
    return float_arg(value, "grad_loss");
  } catch (const ops::Error&) {
    refuse();
  }
  return 0.0;  // not reached: refuse() throws
}

template <class Backend>
py::object cross_entropy_backward(py::handle grad_loss_obj, py::handle log_probs_obj, py::handle target_obj,
                                  py::handle weight_obj, py::handle ignore_obj, py::handle smoothing_obj,
                                  py::handle reduction_obj, py::handle out_obj) {
  using Call = typename Backend::Call;
  Call call;
  const ops::Array& log_probs = call.float_input(log_probs_obj, "log_probs");
  const CrossEntropyArgs<Call> a(call, log_probs, "log_probs", target_obj, weight_obj, ignore_obj, smoothing_obj,
                                 reduction_obj);
  a.template check_indices<Backend>(call.stream());
  const ops::Array* grad_loss = nullptr;  // reduction 'none': [N]
  double scale = 0.0;                     // 'mean' and 'sum': one number
  if (a.reduction == cpu::Reduction::none) {
    grad_loss = &call.float_input(grad_loss_obj, "grad_loss");
    ops::cross_entropy_grad_loss_check(*grad_loss, log_probs, a.sizes);
  } else {
    scale = one_number(grad_loss_obj, a.reduction_name);
  }
  const ops::Array& out = call.output(out_obj, "out", log_probs.dtype, log_probs.dims());
  call.check_aliasing();
  with_float_type(log_probs, [&](auto tag) {
    using T = decltype(tag);
    const T scale_t = T(scale);
    const T* g = grad_loss ? grad_loss->in<T>() : &scale_t;
    if (a.class_indices)
      Backend::cross_entropy_backward(call.stream(), out.out<T>(), g, log_probs.in<T>(),
                                      a.target->template in<int64_t>(), a.sizes.n, a.sizes.c, a.template options<T>());
    else
      Backend::cross_entropy_prob_backward(call.stream(), out.out<T>(), g, log_probs.in<T>(),
                                           a.target->template in<T>(), a.sizes.n, a.sizes.c, a.template options<T>());
  });
  return call.object(out);
}

}  // namespace softmax_loss_detail

template <class Backend>
void bind_softmax_loss(py::module_& m) {
  using namespace softmax_loss_detail;
  using py::arg;
  m.def("softmax_forward",
        [](py::handle x, py::handle dim, py::handle out) { return softmax_forward<Backend>(false, x, dim, out); },
        arg("x"), arg("dim") = -1, arg("out") = py::none(),
        "y = exp(x - max) / sum(exp(x - max)) along `dim`; numerically stable for any x.");
  m.def("softmax_backward",
        [](py::handle dy, py::handle y, py::handle dim, py::handle out) {
          return softmax_backward<Backend>(false, dy, y, dim, out);
        },
        arg("grad_out"), arg("y"), arg("dim") = -1, arg("out") = py::none(),
        "grad_in = y * (grad_out - sum(grad_out * y, dim)), from the forward output y.");
  m.def("log_softmax_forward",
        [](py::handle x, py::handle dim, py::handle out) { return softmax_forward<Backend>(true, x, dim, out); },
        arg("x"), arg("dim") = -1, arg("out") = py::none(), "y = x - max - log(sum(exp(x - max))) along `dim`.");
  m.def("log_softmax_backward",
        [](py::handle dy, py::handle y, py::handle dim, py::handle out) {
          return softmax_backward<Backend>(true, dy, y, dim, out);
        },
        arg("grad_out"), arg("y"), arg("dim") = -1, arg("out") = py::none(),
        "grad_in = grad_out - exp(y) * sum(grad_out, dim), from the forward output y.");
  m.def("cross_entropy_forward", &cross_entropy_forward<Backend>, arg("logits"), arg("target"),
        arg("weight") = py::none(), arg("ignore_index") = -100, arg("label_smoothing") = 0.0,
        arg("reduction") = "mean", arg("log_probs") = py::none(),
        R"doc(Fused log-softmax + negative log-likelihood, as torch.nn.functional.cross_entropy.

logits: [N, C] float (move the class dim of [N, C, d1, ...] to the end and flatten first).
target: [N] integer class indices (int64 is used; any index that is neither in [0, C) nor
ignore_index raises ValueError), or [N, C] class probabilities of the logits' dtype.
weight: None or [C] class weights. reduction: "mean" (divided by the summed weights of the
non-ignored targets; for probabilities by N), "sum" or "none" (per-row losses [N]).
Returns (loss, log_probs): loss is a 0-d array (mean, sum) or [N] (none); log_probs [N, C]
(written into `log_probs` when given) is what cross_entropy_backward needs.)doc");
  m.def("cross_entropy_backward", &cross_entropy_backward<Backend>, arg("grad_loss"), arg("log_probs"),
        arg("target"), arg("weight") = py::none(), arg("ignore_index") = -100, arg("label_smoothing") = 0.0,
        arg("reduction") = "mean", arg("out") = py::none(),
        R"doc(Gradient of cross_entropy_forward's loss with respect to the logits, [N, C].

grad_loss: one number (a float or size-1 array) for mean/sum, an [N] array for none.
log_probs: the forward's second result; the other arguments as given to the forward.)doc");
}

}  // namespace fastnn::bindings
