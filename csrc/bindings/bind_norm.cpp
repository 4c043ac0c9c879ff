// fastnn._C batch_norm and layer_norm (forward, backward): checks the input layout and that every
// per-channel (batch norm) or per-feature (layer norm) array matches it, then runs the kernels of
// cpu/norm.h without the GIL. Backward computes only the gradients asked for (None otherwise).
#include "bindings/args.h"
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "cpu/norm.h"

namespace fastnn::bindings {

namespace {

// ValueError when two of the arrays (None skipped) may share memory: `a` is written.
void no_overlap(const py::object& a, const char* a_name, const py::object& b, const char* b_name) {
  if (!a.is_none() && !b.is_none())
    require_no_overlap(py::reinterpret_borrow<py::array>(a), a_name, py::reinterpret_borrow<py::array>(b), b_name);
}

// An optional parameter of x's dtype and the given shape, as None or a C-contiguous array.
py::object optional_param(py::object obj, const char* name, const py::array& x, const std::vector<py::ssize_t>& shape,
                          const char* what) {
  if (obj.is_none()) return obj;
  py::array a = c_contiguous(float_array(obj, name));
  require_same_dtype(a, x, name, "x");
  if (shape_of(a) != shape)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(shape) + " (" + what + " of x, shape " +
                          shape_string(x) + "), got " + shape_string(a));
  return std::move(a);
}

// A required array of x's dtype and the given shape (C-contiguous copy when it is not).
py::array required_param(py::object obj, const char* name, const py::array& x, const std::vector<py::ssize_t>& shape,
                         const char* what) {
  if (obj.is_none()) throw py::type_error(std::string(name) + " must be a numpy.ndarray, got None");
  return py::reinterpret_borrow<py::array>(optional_param(obj, name, x, shape, what));
}

// The gradients a norm backward may return: dx (x's shape) and dweight/dbias (the parameters'
// shape), each allocated only when asked for and None otherwise.
class NormGrads {
 public:
  NormGrads(const py::array& x, const std::vector<py::ssize_t>& param_shape, bool input, bool weight, bool bias)
      : dx_(allocate(input, x, shape_of(x))), dweight_(allocate(weight, x, param_shape)),
        dbias_(allocate(bias, x, param_shape)),
        pointers_{optional_data(dx_), optional_data(dweight_), optional_data(dbias_)} {}
  // Typed pointers (null when not asked for), safe to use without the GIL.
  template <class T>
  T* dx() const { return static_cast<T*>(pointers_[0]); }
  template <class T>
  T* dweight() const { return static_cast<T*>(pointers_[1]); }
  template <class T>
  T* dbias() const { return static_cast<T*>(pointers_[2]); }
  py::tuple tuple() const { return py::make_tuple(dx_, dweight_, dbias_); }

 private:
  static py::object allocate(bool wanted, const py::array& like, const std::vector<py::ssize_t>& shape) {
    return wanted ? py::object(empty_like_dtype(like, shape)) : py::object(py::none());
  }
  py::object dx_, dweight_, dbias_;
  void* pointers_[3];
};

// ---------------------------------------------------------------------------------- batch norm
struct ChannelView {
  int64_t n, c, s;
};

ChannelView channel_view(const py::array& x, const char* name) {
  if (x.ndim() < 2)
    throw py::value_error(std::string(name) + " must be at least 2-D [N, C, ...], got shape " + shape_string(x));
  ChannelView v{x.shape(0), x.shape(1), 1};
  for (py::ssize_t d = 2; d < x.ndim(); ++d) v.s *= x.shape(d);
  return v;
}

py::tuple batch_norm_forward(py::object x_obj, py::object weight_obj, py::object bias_obj, py::object running_mean_obj,
                             py::object running_var_obj, bool training, double momentum, double eps,
                             py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const ChannelView v = channel_view(x, "x");
  const std::vector<py::ssize_t> channels{v.c};
  const py::object weight = optional_param(weight_obj, "weight", x, channels, "one per channel");
  const py::object bias = optional_param(bias_obj, "bias", x, channels, "one per channel");
  // Running statistics are updated in place: never converted, so they must be exact already.
  py::object running_mean = running_mean_obj.is_none() ? running_mean_obj
                                                       : output_array(running_mean_obj, "running_mean", x.dtype(), channels);
  py::object running_var = running_var_obj.is_none() ? running_var_obj
                                                     : output_array(running_var_obj, "running_var", x.dtype(), channels);
  if (!training && (running_mean.is_none() || running_var.is_none()))
    throw py::value_error("running_mean and running_var must be arrays when training is False (evaluation "
                          "normalises with them), got None");
  if (!(eps >= 0)) throw py::value_error("eps must be non-negative, got " + std::to_string(eps));
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  require_same_or_no_overlap(out, "out", x, "x");
  const py::object x_obj_checked = x, out_checked = out;
  for (const auto& [stat, name] : {std::pair{running_mean, "running_mean"}, std::pair{running_var, "running_var"}}) {
    no_overlap(out_checked, "out", stat, name);
    no_overlap(stat, name, x_obj_checked, "x");
    no_overlap(stat, name, weight, "weight");
    no_overlap(stat, name, bias, "bias");
  }
  no_overlap(running_mean, "running_mean", running_var, "running_var");
  no_overlap(out_checked, "out", weight, "weight");
  no_overlap(out_checked, "out", bias, "bias");
  py::array mean = empty_like_dtype(x, channels), invstd = empty_like_dtype(x, channels);
  void* w = optional_data(weight);
  void* b = optional_data(bias);
  void* rm = optional_data(running_mean);
  void* rv = optional_data(running_var);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::batch_norm_forward(data_ptr<T>(out), data_ptr<T>(mean), data_ptr<T>(invstd), static_cast<T*>(rm),
                            static_cast<T*>(rv), data_ptr<T>(x), static_cast<const T*>(w), static_cast<const T*>(b),
                            v.n, v.c, v.s, training, momentum, eps);
  });
  return py::make_tuple(out, mean, invstd);
}

py::tuple batch_norm_backward(py::object dy_obj, py::object x_obj, py::object mean_obj, py::object invstd_obj,
                              py::object weight_obj, bool training, bool input_grad, bool weight_grad, bool bias_grad) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const ChannelView v = channel_view(x, "x");
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  require_same_dtype(dy, x, "grad_out", "x");
  require_same_shape(dy, "grad_out", x, "x");
  const std::vector<py::ssize_t> channels{v.c};
  const py::array mean = required_param(mean_obj, "mean", x, channels, "one per channel");
  const py::array invstd = required_param(invstd_obj, "invstd", x, channels, "one per channel");
  const py::object weight = optional_param(weight_obj, "weight", x, channels, "one per channel");
  const NormGrads grads(x, channels, input_grad, weight_grad, bias_grad);
  void* w = optional_data(weight);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::batch_norm_backward(grads.dx<T>(), grads.dweight<T>(), grads.dbias<T>(), data_ptr<T>(dy),
                             data_ptr<T>(x), data_ptr<T>(mean), data_ptr<T>(invstd), static_cast<const T*>(w), v.n,
                             v.c, v.s, training);
  });
  return grads.tuple();
}

// ---------------------------------------------------------------------------------- layer norm
// normalized_shape as a list of dimensions: an int or any iterable of ints (items owned).
std::vector<py::ssize_t> normalized_shape_arg(py::handle obj) {
  const ops::Shape s = shape_arg(obj, "normalized_shape");
  return std::vector<py::ssize_t>(s.dims, s.dims + s.ndim);
}

struct RowView {
  int64_t rows = 1, cols = 1;
  std::vector<py::ssize_t> leading;  // x.shape[:-len(normalized_shape)]: the shape of mean/rstd
};

RowView row_view(const py::array& x, const std::vector<py::ssize_t>& normalized) {
  const size_t k = normalized.size(), ndim = static_cast<size_t>(x.ndim());
  const std::vector<py::ssize_t> shape = shape_of(x);
  if (k == 0 || k > ndim || !std::equal(normalized.begin(), normalized.end(), shape.end() - k))
    throw py::value_error("normalized_shape " + shape_string(normalized) +
                          " must be non-empty and equal the last dimensions of x, got x of shape " + shape_string(x));
  RowView v;
  v.leading.assign(shape.begin(), shape.end() - k);
  for (py::ssize_t d : v.leading) v.rows *= d;
  for (py::ssize_t d : normalized) v.cols *= d;
  return v;
}

py::tuple layer_norm_forward(py::object x_obj, py::object normalized_obj, py::object weight_obj, py::object bias_obj,
                             double eps, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const std::vector<py::ssize_t> normalized = normalized_shape_arg(normalized_obj);
  const RowView v = row_view(x, normalized);
  const py::object weight = optional_param(weight_obj, "weight", x, normalized, "normalized_shape, the last dimensions");
  const py::object bias = optional_param(bias_obj, "bias", x, normalized, "normalized_shape, the last dimensions");
  if (!(eps >= 0)) throw py::value_error("eps must be non-negative, got " + std::to_string(eps));
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  require_same_or_no_overlap(out, "out", x, "x");
  no_overlap(out, "out", weight, "weight");
  no_overlap(out, "out", bias, "bias");
  py::array mean = empty_like_dtype(x, v.leading), rstd = empty_like_dtype(x, v.leading);
  void* w = optional_data(weight);
  void* b = optional_data(bias);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::layer_norm_forward(data_ptr<T>(out), data_ptr<T>(mean), data_ptr<T>(rstd), data_ptr<T>(x),
                            static_cast<const T*>(w), static_cast<const T*>(b), v.rows, v.cols, eps);
  });
  return py::make_tuple(out, mean, rstd);
}

py::tuple layer_norm_backward(py::object dy_obj, py::object x_obj, py::object mean_obj, py::object rstd_obj,
                              py::object normalized_obj, py::object weight_obj, bool input_grad, bool weight_grad,
                              bool bias_grad) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const std::vector<py::ssize_t> normalized = normalized_shape_arg(normalized_obj);
  const RowView v = row_view(x, normalized);
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  require_same_dtype(dy, x, "grad_out", "x");
  require_same_shape(dy, "grad_out", x, "x");
  const py::array mean = required_param(mean_obj, "mean", x, v.leading, "one per row");
  const py::array rstd = required_param(rstd_obj, "rstd", x, v.leading, "one per row");
  const py::object weight = optional_param(weight_obj, "weight", x, normalized, "normalized_shape, the last dimensions");
  const NormGrads grads(x, normalized, input_grad, weight_grad, bias_grad);
  void* w = optional_data(weight);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::layer_norm_backward(grads.dx<T>(), grads.dweight<T>(), grads.dbias<T>(), data_ptr<T>(dy),
                             data_ptr<T>(x), data_ptr<T>(mean), data_ptr<T>(rstd), static_cast<const T*>(w), v.rows,
                             v.cols);
  });
  return grads.tuple();
}

}  // namespace

void bind_norm(py::module_& m) {
  m.def("batch_norm_forward", &batch_norm_forward, py::arg("x"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("running_mean") = py::none(), py::arg("running_var") = py::none(),
        py::arg("training") = true, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5, py::arg("out") = py::none(), R"doc((y, mean, invstd) for x [N, C, ...]: y = (x - mean) * invstd * weight + bias per channel.

training: batch statistics (biased variance), and running_mean/running_var (writeable [C]
arrays of x's dtype, or None) move by `momentum` towards the batch mean and unbiased variance.
Otherwise mean = running_mean and invstd = 1 / sqrt(running_var + eps).)doc");
  m.def("batch_norm_backward", &batch_norm_backward, py::arg("grad_out"), py::arg("x"), py::arg("mean"),
        py::arg("invstd"), py::arg("weight") = py::none(), py::arg("training") = true, py::arg("input_grad") = true,
        py::arg("weight_grad") = true, py::arg("bias_grad") = true, R"doc((grad_x, grad_weight, grad_bias), each None when not asked for; mean, invstd from the forward.)doc");
  m.def("layer_norm_forward", &layer_norm_forward, py::arg("x"), py::arg("normalized_shape"),
        py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("eps") = 1e-5, py::arg("out") = py::none(), R"doc((y, mean, rstd): normalisation over the trailing normalized_shape, y = (x - mean) * rstd *
weight + bias; mean and rstd have the leading shape x.shape[:-len(normalized_shape)].)doc");
  m.def("layer_norm_backward", &layer_norm_backward, py::arg("grad_out"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("input_grad") = true,
        py::arg("weight_grad") = true, py::arg("bias_grad") = true, R"doc((grad_x, grad_weight, grad_bias), each None when not asked for; mean, rstd from the forward.)doc");
}

}  // namespace fastnn::bindings
