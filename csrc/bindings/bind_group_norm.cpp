// fastnn._C.group_norm_forward / group_norm_backward: array conversion around cpu/group_norm.h
// (whose group_norm_geometry checks x and num_groups); weight and bias must be [C] arrays of x's
// dtype. Backward computes only the gradients asked for (None otherwise).
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "bindings/int_shapes.h"
#include "cpu/group_norm.h"

namespace fastnn::bindings {

namespace {

// None, or a C-contiguous array of x's dtype and the given shape.
py::object optional_array(py::object obj, const char* name, const py::array& x, const std::vector<py::ssize_t>& shape) {
  if (obj.is_none()) return obj;
  py::array a = c_contiguous(float_array(obj, name));
  require_same_dtype(a, x, name, "x");
  if (shape_of(a) != shape)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(shape) + ", got " + shape_string(a));
  return std::move(a);
}

py::object maybe_empty(bool wanted, const py::array& like, const std::vector<py::ssize_t>& shape) {
  return wanted ? py::object(empty_like_dtype(like, shape)) : py::object(py::none());
}

py::tuple group_norm_forward(py::object x_obj, int64_t num_groups, py::object weight_obj, py::object bias_obj,
                             double eps, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const cpu::GroupNormGeometry g = cpu::group_norm_geometry(int_shape(x), num_groups);
  const std::vector<py::ssize_t> channels{g.c}, stats{g.n, g.groups};
  const py::object weight = optional_array(weight_obj, "weight", x, channels);
  const py::object bias = optional_array(bias_obj, "bias", x, channels);
  if (!(eps >= 0)) throw py::value_error("eps must be non-negative, got " + std::to_string(eps));
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  require_same_or_no_overlap(out, "out", x, "x");
  py::array mean = empty_like_dtype(x, stats), rstd = empty_like_dtype(x, stats);
  void* w = optional_data(weight);
  void* b = optional_data(bias);
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::group_norm_forward(data_ptr<T>(out), data_ptr<T>(mean), data_ptr<T>(rstd), data_ptr<T>(x),
                            static_cast<const T*>(w), static_cast<const T*>(b), g, eps);
  });
  return py::make_tuple(out, mean, rstd);
}

py::tuple group_norm_backward(py::object dy_obj, py::object x_obj, py::object mean_obj, py::object rstd_obj,
                              int64_t num_groups, py::object weight_obj, bool input_grad, bool weight_grad,
                              bool bias_grad) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const cpu::GroupNormGeometry g = cpu::group_norm_geometry(int_shape(x), num_groups);
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  require_same_dtype(dy, x, "grad_out", "x");
  require_same_shape(dy, "grad_out", x, "x");
  const std::vector<py::ssize_t> channels{g.c}, stats{g.n, g.groups};
  if (mean_obj.is_none() || rstd_obj.is_none()) throw py::type_error("mean and rstd must be arrays, got None");
  const py::object mean = optional_array(mean_obj, "mean", x, stats);
  const py::object rstd = optional_array(rstd_obj, "rstd", x, stats);
  const py::object weight = optional_array(weight_obj, "weight", x, channels);
  py::object dx = maybe_empty(input_grad, x, shape_of(x));
  py::object dweight = maybe_empty(weight_grad, x, channels), dbias = maybe_empty(bias_grad, x, channels);
  void* pointers[] = {optional_data(dx), optional_data(dweight), optional_data(dbias), optional_data(mean),
                      optional_data(rstd), optional_data(weight)};
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::group_norm_backward(static_cast<T*>(pointers[0]), static_cast<T*>(pointers[1]), static_cast<T*>(pointers[2]),
                             data_ptr<T>(dy), data_ptr<T>(x), static_cast<const T*>(pointers[3]),
                             static_cast<const T*>(pointers[4]), static_cast<const T*>(pointers[5]), g);
  });
  return py::make_tuple(dx, dweight, dbias);
}

}  // namespace

void bind_group_norm(py::module_& m) {
  m.def("group_norm_forward", &group_norm_forward, py::arg("x"), py::arg("num_groups"),
        py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("eps") = 1e-5,
        py::arg("out") = py::none(),
        "(y, mean, rstd): normalisation of x [N, C, ...] over each of num_groups channel groups, then weight and bias "
        "per channel.");
  m.def("group_norm_backward", &group_norm_backward, py::arg("grad_out"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("input_grad") = true,
        py::arg("weight_grad") = true, py::arg("bias_grad") = true,
        "(grad_x, grad_weight, grad_bias), each None when not asked for; mean, rstd from the forward.");
}

}  // namespace fastnn::bindings
