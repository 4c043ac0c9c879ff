// fastnn._C.adadelta_step: checks every buffer, then runs the fused Adadelta update
// (csrc/cpu/optim.h) without the GIL. The parameter and the state buffers are updated in place,
// so they are taken as they are (output_array converts nothing): a cast or a copy would silently
// update a temporary instead.
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "cpu/optim.h"

namespace fastnn::bindings {

namespace {

void adadelta_step(py::handle param_obj, py::handle square_avg_obj, py::handle acc_delta_obj, py::handle step_obj,
                   py::handle grad_obj, double lr, double rho, double eps, double weight_decay, bool maximize) {
  py::array param = float_array(param_obj, "param");
  const std::vector<py::ssize_t> shape = shape_of(param);
  param = output_array(param, "param", param.dtype(), shape);  // C-contiguous and writeable
  py::array grad = float_array(grad_obj, "grad");
  require_same_dtype(grad, param, "grad", "param");
  require_same_shape(grad, "grad", param, "param");
  require_no_overlap(param, "param", grad, "grad");
  grad = c_contiguous(grad);  // gradients may have any strides
  py::array square_avg = output_array(square_avg_obj, "square_avg", param.dtype(), shape);
  py::array acc_delta = output_array(acc_delta_obj, "acc_delta", param.dtype(), shape);
  py::array step = output_array(step_obj, "step", py::dtype::of<float>(), {});
  require_no_overlap(square_avg, "square_avg", param, "param");
  require_no_overlap(square_avg, "square_avg", grad, "grad");
  require_no_overlap(acc_delta, "acc_delta", param, "param");
  require_no_overlap(acc_delta, "acc_delta", grad, "grad");
  require_no_overlap(acc_delta, "acc_delta", square_avg, "square_avg");
  const cpu::AdadeltaOptions o{lr, rho, eps, weight_decay, maximize};
  const int64_t n = param.size();
  with_float_type(param, [&](auto tag) {
    using T = decltype(tag);
    cpu::adadelta_step(data_ptr<T>(param), data_ptr<T>(square_avg), data_ptr<T>(acc_delta), data_ptr<float>(step),
                       data_ptr<T>(std::as_const(grad)), n, o);
  });
}

}  // namespace

void bind_optim_adadelta(py::module_& m) {
  using py::arg;
  m.def("adadelta_step", &adadelta_step, arg("param"), arg("square_avg"), arg("acc_delta"), arg("step"), arg("grad"),
        arg("lr") = 1.0, arg("rho") = 0.9, arg("eps") = 1e-6, arg("weight_decay") = 0.0, arg("maximize") = false,
        "One Adadelta step in place (formula in csrc/cpu/optim.h).");
}

}  // namespace fastnn::bindings
