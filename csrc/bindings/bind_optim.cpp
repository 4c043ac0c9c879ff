// fastnn._C.<optimizer>_step: checks every buffer, then runs the fused update without the GIL.
// The parameter and the state buffers are updated in place, so they are taken as they are (no
// conversion): a cast or a copy would silently update a temporary instead.
#include <pybind11/numpy.h>

#include <algorithm>
#include <vector>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/optim.h"

namespace fastnn::bindings {

namespace {

std::string type_name(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

// `obj` as an ndarray, or TypeError naming `name`.
py::array ndarray(py::handle obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy.ndarray, got " + type_name(obj));
  return py::reinterpret_borrow<py::array>(obj);
}

bool c_contiguous(const py::array& a) { return (a.flags() & py::array::c_style) != 0; }

// A buffer the kernel writes in place: C-contiguous, writeable, with `like`'s dtype and shape.
py::array in_place_buffer(py::handle obj, const char* name, const py::array& like, const char* like_name) {
  py::array a = ndarray(obj, name);
  require_same_dtype(a, like, name, like_name);
  if (a.ndim() != like.ndim() || !std::equal(a.shape(), a.shape() + a.ndim(), like.shape()))
    throw py::value_error(std::string(name) + " must have the shape of " + like_name + " " + shape_string(like) +
                          ", got " + shape_string(a));
  if (!c_contiguous(a)) throw py::value_error(std::string(name) + " must be C-contiguous");
  require_writeable(a, name);
  return a;
}

// The float32 scalar buffer that holds a step count or a running product.
float* scalar_buffer(py::handle obj, const char* name) {
  py::array a = ndarray(obj, name);
  if (a.dtype().kind() != 'f' || a.itemsize() != 4)
    throw py::type_error(std::string(name) + " must have dtype float32, got " + dtype_string(a));
  if (a.ndim() != 0) throw py::value_error(std::string(name) + " must be 0-D, got shape " + shape_string(a));
  require_writeable(a, name);
  return static_cast<float*>(a.mutable_data());
}

// The checked arguments of one update: the parameter, its gradient (any strides; a C-ordered
// copy when needed) and up to three state buffers (nullptr for a None the optimizer allows).
struct Update {
  py::array param, grad;
  std::vector<py::array> buffers;  // the state buffers given, to check that none overlaps another
  void* param_ptr;  // taken while the GIL is held: the kernels run without it
  const void* grad_ptr;
  void* ptrs[3] = {nullptr, nullptr, nullptr};
  size_t count = 0;

  Update(py::handle param_obj, py::handle grad_obj) {
    param = ndarray(param_obj, "param");
    if (param.dtype().kind() != 'f' || (param.itemsize() != 4 && param.itemsize() != 8))
      throw py::type_error("param must have dtype float32 or float64, got " + dtype_string(param));
    if (!c_contiguous(param)) throw py::value_error("param must be C-contiguous");
    require_writeable(param, "param");
    grad = ndarray(grad_obj, "grad");
    require_same_dtype(grad, param, "grad", "param");
    if (grad.ndim() != param.ndim() || !std::equal(grad.shape(), grad.shape() + grad.ndim(), param.shape()))
      throw py::value_error("grad must have the shape of param " + shape_string(param) + ", got " +
                            shape_string(grad));
    require_no_overlap(param, "param", grad, "grad");
    if (!c_contiguous(grad)) grad = py::array::ensure(grad, py::array::c_style);
    param_ptr = param.mutable_data();
    grad_ptr = grad.data();
  }

  // Adds the next state buffer; None is allowed only when `optional`.
  void add(py::handle obj, const char* name, bool optional = false) {
    if (optional && obj.is_none()) {
      ++count;
      return;
    }
    py::array a = in_place_buffer(obj, name, param, "param");
    require_no_overlap(a, name, param, "param");
    require_no_overlap(a, name, grad, "grad");
    for (const py::array& other : buffers) require_no_overlap(a, name, other, "another state buffer");
    ptrs[count++] = a.mutable_data();
    buffers.push_back(std::move(a));
  }

  template <class T>
  T* state(size_t i) const {
    return static_cast<T*>(ptrs[i]);
  }
  template <class T>
  T* p() const {
    return static_cast<T*>(param_ptr);
  }
  template <class T>
  const T* g() const {
    return static_cast<const T*>(grad_ptr);
  }
  int64_t n() const { return param.size(); }
  bool f32() const { return is_float32(param); }
};

void sgd_step(py::handle param, py::handle momentum_buffer, bool first_step, py::handle grad, double lr,
              double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
  Update u(param, grad);
  u.add(momentum_buffer, "momentum_buffer", true);
  const cpu::SgdOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32()) cpu::sgd_step(u.p<float>(), u.state<float>(0), first_step, u.g<float>(), u.n(), o);
  else cpu::sgd_step(u.p<double>(), u.state<double>(0), first_step, u.g<double>(), u.n(), o);
}

void adagrad_step(py::handle param, py::handle sum, py::handle step, py::handle grad, double lr, double lr_decay,
                  double weight_decay, double eps, bool maximize) {
  Update u(param, grad);
  u.add(sum, "sum");
  float* t = scalar_buffer(step, "step");
  const cpu::AdagradOptions o{lr, lr_decay, weight_decay, eps, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32()) cpu::adagrad_step(u.p<float>(), u.state<float>(0), t, u.g<float>(), u.n(), o);
  else cpu::adagrad_step(u.p<double>(), u.state<double>(0), t, u.g<double>(), u.n(), o);
}

void rmsprop_step(py::handle param, py::handle square_avg, py::handle grad_avg, py::handle momentum_buffer,
                  py::handle step, py::handle grad, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool maximize) {
  Update u(param, grad);
  u.add(square_avg, "square_avg");
  u.add(grad_avg, "grad_avg", true);
  u.add(momentum_buffer, "momentum_buffer", true);
  float* t = scalar_buffer(step, "step");
  const cpu::RmspropOptions o{lr, alpha, eps, weight_decay, momentum, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32())
    cpu::rmsprop_step(u.p<float>(), u.state<float>(0), u.state<float>(1), u.state<float>(2), t, u.g<float>(), u.n(), o);
  else
    cpu::rmsprop_step(u.p<double>(), u.state<double>(0), u.state<double>(1), u.state<double>(2), t, u.g<double>(), u.n(),
                      o);
}

void adam_step(py::handle param, py::handle exp_avg, py::handle exp_avg_sq, py::handle max_exp_avg_sq,
               py::handle step, py::handle grad, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_weight_decay, bool maximize) {
  Update u(param, grad);
  u.add(exp_avg, "exp_avg");
  u.add(exp_avg_sq, "exp_avg_sq");
  u.add(max_exp_avg_sq, "max_exp_avg_sq", true);
  float* t = scalar_buffer(step, "step");
  const cpu::AdamOptions o{lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32())
    cpu::adam_step(u.p<float>(), u.state<float>(0), u.state<float>(1), u.state<float>(2), t, u.g<float>(), u.n(), o);
  else
    cpu::adam_step(u.p<double>(), u.state<double>(0), u.state<double>(1), u.state<double>(2), t, u.g<double>(), u.n(), o);
}

void adamax_step(py::handle param, py::handle exp_avg, py::handle exp_inf, py::handle step, py::handle grad,
                 double lr, double beta1, double beta2, double eps, double weight_decay, bool maximize) {
  Update u(param, grad);
  u.add(exp_avg, "exp_avg");
  u.add(exp_inf, "exp_inf");
  float* t = scalar_buffer(step, "step");
  const cpu::AdamaxOptions o{lr, beta1, beta2, eps, weight_decay, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32()) cpu::adamax_step(u.p<float>(), u.state<float>(0), u.state<float>(1), t, u.g<float>(), u.n(), o);
  else cpu::adamax_step(u.p<double>(), u.state<double>(0), u.state<double>(1), t, u.g<double>(), u.n(), o);
}

void nadam_step(py::handle param, py::handle exp_avg, py::handle exp_avg_sq, py::handle step, py::handle mu_product,
                py::handle grad, double lr, double beta1, double beta2, double eps, double weight_decay,
                double momentum_decay, bool decoupled_weight_decay, bool maximize) {
  Update u(param, grad);
  u.add(exp_avg, "exp_avg");
  u.add(exp_avg_sq, "exp_avg_sq");
  float* t = scalar_buffer(step, "step");
  float* mu = scalar_buffer(mu_product, "mu_product");
  if (t == mu) throw py::value_error("step and mu_product must be different arrays");
  const cpu::NadamOptions o{lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize};
  py::gil_scoped_release no_gil;
  if (u.f32()) cpu::nadam_step(u.p<float>(), u.state<float>(0), u.state<float>(1), t, mu, u.g<float>(), u.n(), o);
  else cpu::nadam_step(u.p<double>(), u.state<double>(0), u.state<double>(1), t, mu, u.g<double>(), u.n(), o);
}

}  // namespace

void bind_optim(py::module_& m) {
  using py::arg;
  m.def("sgd_step", &sgd_step, arg("param"), arg("momentum_buffer"), arg("first_step"), arg("grad"), arg("lr"),
        arg("momentum"), arg("dampening"), arg("weight_decay"), arg("nesterov"), arg("maximize"),
        "One SGD step in place (formula in csrc/cpu/optim.h); momentum_buffer is None when momentum == 0.");
  m.def("adagrad_step", &adagrad_step, arg("param"), arg("sum"), arg("step"), arg("grad"), arg("lr"),
        arg("lr_decay"), arg("weight_decay"), arg("eps"), arg("maximize"), "One Adagrad step in place.");
  m.def("rmsprop_step", &rmsprop_step, arg("param"), arg("square_avg"), arg("grad_avg"), arg("momentum_buffer"),
        arg("step"), arg("grad"), arg("lr"), arg("alpha"), arg("eps"), arg("weight_decay"), arg("momentum"),
        arg("maximize"), "One RMSprop step in place; grad_avg is None unless centered, momentum_buffer None "
        "unless momentum > 0.");
  m.def("adam_step", &adam_step, arg("param"), arg("exp_avg"), arg("exp_avg_sq"), arg("max_exp_avg_sq"),
        arg("step"), arg("grad"), arg("lr"), arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"),
        arg("decoupled_weight_decay"), arg("maximize"),
        "One Adam/AdamW step in place; max_exp_avg_sq is None unless amsgrad.");
  m.def("adamax_step", &adamax_step, arg("param"), arg("exp_avg"), arg("exp_inf"), arg("step"), arg("grad"),
        arg("lr"), arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("maximize"),
        "One Adamax step in place.");
  m.def("nadam_step", &nadam_step, arg("param"), arg("exp_avg"), arg("exp_avg_sq"), arg("step"), arg("mu_product"),
        arg("grad"), arg("lr"), arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("momentum_decay"),
        arg("decoupled_weight_decay"), arg("maximize"), "One NAdam step in place.");
}

}  // namespace fastnn::bindings
