// <optimizer>_step: one fused, in-place update per call (formulas in csrc/cpu/optim.h, PyTorch's
// arithmetic); the binding template (see binding.h), checks in ops/optim.h. The parameter and
// the state buffers are taken as they are (never converted: a copy would be updated instead).
#pragma once
#include "bindings/binding.h"
#include "cpu/optim.h"
#include "ops/optim.h"

namespace fastnn::bindings {

namespace optim_detail {

// The arrays of one update: param, grad (a C-ordered copy when it is not one) and the state.
template <class Call>
struct Update {
  Call call;
  const ops::Array& param;
  const ops::Array& grad;

  Update(py::handle param_obj, py::handle grad_obj)
      : param(call.in_out(param_obj, "param")), grad(call.float_input(grad_obj, "grad")) {
    ops::optim_param_check(param, grad);
  }
  // A state buffer of param's dtype and shape; None (null) only when `optional`.
  const ops::Array* state(py::handle obj, const char* name, bool optional = false) {
    if (optional && obj.is_none()) return nullptr;
    const ops::Array& a = call.in_out(obj, name);
    ops::optim_state_check(a, name, param);
    return &a;
  }
  float* scalar(py::handle obj, const char* name) {
    const ops::Array& a = call.in_out(obj, name);
    ops::optim_scalar_check(a, name);
    return a.out<float>();
  }
  int64_t n() const { return param.size(); }
};

}  // namespace optim_detail

template <class Backend>
void bind_optim(py::module_& m) {
  using U = optim_detail::Update<typename Backend::Call>;
  using ops::out_or_null;
  using py::arg;
  m.def(
      "sgd_step",
      [](py::handle param, py::handle momentum_buffer, py::handle first_step, py::handle grad, py::handle lr,
         py::handle momentum, py::handle dampening, py::handle weight_decay, py::handle nesterov, py::handle maximize) {
        const cpu::SgdOptions o{float_arg(lr, "lr"), float_arg(momentum, "momentum"), float_arg(dampening, "dampening"),
                                float_arg(weight_decay, "weight_decay"), bool_arg(nesterov, "nesterov"),
                                bool_arg(maximize, "maximize")};
        const bool first = bool_arg(first_step, "first_step");
        U u(param, grad);
        const ops::Array* buf = u.state(momentum_buffer, "momentum_buffer", true);
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::sgd_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(buf), first, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("momentum_buffer"), arg("first_step"), arg("grad"), arg("lr"), arg("momentum") = 0.0,
      arg("dampening") = 0.0, arg("weight_decay") = 0.0, arg("nesterov") = false, arg("maximize") = false,
      "One SGD step in place; momentum_buffer is None when momentum == 0 and is (over)written when first_step.");
  m.def(
      "adagrad_step",
      [](py::handle param, py::handle sum, py::handle step, py::handle grad, py::handle lr, py::handle lr_decay,
         py::handle weight_decay, py::handle eps, py::handle maximize) {
        const cpu::AdagradOptions o{float_arg(lr, "lr"), float_arg(lr_decay, "lr_decay"),
                                    float_arg(weight_decay, "weight_decay"), float_arg(eps, "eps"),
                                    bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* s = u.state(sum, "sum");
        float* t = u.scalar(step, "step");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::adagrad_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(s), t, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("sum"), arg("step"), arg("grad"), arg("lr"), arg("lr_decay") = 0.0, arg("weight_decay") = 0.0,
      arg("eps") = 1e-10, arg("maximize") = false,
      "One Adagrad step in place; `sum` accumulates squared gradients, step (0-D float32) counts steps.");
  m.def(
      "rmsprop_step",
      [](py::handle param, py::handle square_avg, py::handle grad_avg, py::handle momentum_buffer, py::handle step,
         py::handle grad, py::handle lr, py::handle alpha, py::handle eps, py::handle weight_decay, py::handle momentum,
         py::handle maximize) {
        const cpu::RmspropOptions o{float_arg(lr, "lr"), float_arg(alpha, "alpha"), float_arg(eps, "eps"),
                                    float_arg(weight_decay, "weight_decay"), float_arg(momentum, "momentum"),
                                    bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* sq = u.state(square_avg, "square_avg");
        const ops::Array* ga = u.state(grad_avg, "grad_avg", true);
        const ops::Array* mb = u.state(momentum_buffer, "momentum_buffer", true);
        float* t = u.scalar(step, "step");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::rmsprop_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(sq), out_or_null<T>(ga), out_or_null<T>(mb), t, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("square_avg"), arg("grad_avg"), arg("momentum_buffer"), arg("step"), arg("grad"), arg("lr"),
      arg("alpha") = 0.99, arg("eps") = 1e-8, arg("weight_decay") = 0.0, arg("momentum") = 0.0,
      arg("maximize") = false,
      "One RMSprop step in place; grad_avg is None unless centered, momentum_buffer None unless momentum > 0.");
  m.def(
      "adam_step",
      [](py::handle param, py::handle exp_avg, py::handle exp_avg_sq, py::handle max_exp_avg_sq, py::handle step,
         py::handle grad, py::handle lr, py::handle beta1, py::handle beta2, py::handle eps, py::handle weight_decay,
         py::handle decoupled_weight_decay, py::handle maximize) {
        const cpu::AdamOptions o{float_arg(lr, "lr"), float_arg(beta1, "beta1"), float_arg(beta2, "beta2"),
                                 float_arg(eps, "eps"), float_arg(weight_decay, "weight_decay"),
                                 bool_arg(decoupled_weight_decay, "decoupled_weight_decay"),
                                 bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* m1 = u.state(exp_avg, "exp_avg");
        const ops::Array* m2 = u.state(exp_avg_sq, "exp_avg_sq");
        const ops::Array* mx = u.state(max_exp_avg_sq, "max_exp_avg_sq", true);
        float* t = u.scalar(step, "step");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::adam_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(m1), out_or_null<T>(m2), out_or_null<T>(mx), t, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("exp_avg"), arg("exp_avg_sq"), arg("max_exp_avg_sq"), arg("step"), arg("grad"), arg("lr"),
      arg("beta1") = 0.9, arg("beta2") = 0.999, arg("eps") = 1e-8, arg("weight_decay") = 0.0,
      arg("decoupled_weight_decay") = false, arg("maximize") = false,
      "One Adam step in place (AdamW with decoupled_weight_decay); max_exp_avg_sq is None unless amsgrad.");
  m.def(
      "adamax_step",
      [](py::handle param, py::handle exp_avg, py::handle exp_inf, py::handle step, py::handle grad, py::handle lr,
         py::handle beta1, py::handle beta2, py::handle eps, py::handle weight_decay, py::handle maximize) {
        const cpu::AdamaxOptions o{float_arg(lr, "lr"), float_arg(beta1, "beta1"), float_arg(beta2, "beta2"),
                                   float_arg(eps, "eps"), float_arg(weight_decay, "weight_decay"),
                                   bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* m1 = u.state(exp_avg, "exp_avg");
        const ops::Array* inf = u.state(exp_inf, "exp_inf");
        float* t = u.scalar(step, "step");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::adamax_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(m1), out_or_null<T>(inf), t, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("exp_avg"), arg("exp_inf"), arg("step"), arg("grad"), arg("lr"), arg("beta1") = 0.9,
      arg("beta2") = 0.999, arg("eps") = 1e-8, arg("weight_decay") = 0.0, arg("maximize") = false,
      "One Adamax step in place; exp_inf is the exponentially weighted infinity norm.");
  m.def(
      "nadam_step",
      [](py::handle param, py::handle exp_avg, py::handle exp_avg_sq, py::handle step, py::handle mu_product,
         py::handle grad, py::handle lr, py::handle beta1, py::handle beta2, py::handle eps, py::handle weight_decay,
         py::handle momentum_decay, py::handle decoupled_weight_decay, py::handle maximize) {
        const cpu::NadamOptions o{float_arg(lr, "lr"), float_arg(beta1, "beta1"), float_arg(beta2, "beta2"),
                                  float_arg(eps, "eps"), float_arg(weight_decay, "weight_decay"),
                                  float_arg(momentum_decay, "momentum_decay"),
                                  bool_arg(decoupled_weight_decay, "decoupled_weight_decay"),
                                  bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* m1 = u.state(exp_avg, "exp_avg");
        const ops::Array* m2 = u.state(exp_avg_sq, "exp_avg_sq");
        float* t = u.scalar(step, "step");
        float* mu = u.scalar(mu_product, "mu_product");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::nadam_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(m1), out_or_null<T>(m2), t, mu, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("exp_avg"), arg("exp_avg_sq"), arg("step"), arg("mu_product"), arg("grad"), arg("lr"),
      arg("beta1") = 0.9, arg("beta2") = 0.999, arg("eps") = 1e-8, arg("weight_decay") = 0.0,
      arg("momentum_decay") = 4e-3, arg("decoupled_weight_decay") = false, arg("maximize") = false,
      "One NAdam step in place; mu_product (start at 1) is the running product of the momentum coefficients.");
  m.def(
      "adadelta_step",
      [](py::handle param, py::handle square_avg, py::handle acc_delta, py::handle step, py::handle grad,
         py::handle lr, py::handle rho, py::handle eps, py::handle weight_decay, py::handle maximize) {
        const cpu::AdadeltaOptions o{float_arg(lr, "lr"), float_arg(rho, "rho"), float_arg(eps, "eps"),
                                     float_arg(weight_decay, "weight_decay"), bool_arg(maximize, "maximize")};
        U u(param, grad);
        const ops::Array* sq = u.state(square_avg, "square_avg");
        const ops::Array* acc = u.state(acc_delta, "acc_delta");
        float* t = u.scalar(step, "step");
        u.call.check_aliasing();
        with_float_type(u.param, [&](auto tag) {
          using T = decltype(tag);
          Backend::adadelta_step(u.call.stream(), u.param.template out<T>(), out_or_null<T>(sq), out_or_null<T>(acc), t, u.grad.template in<T>(), u.n(), o);
        });
      },
      arg("param"), arg("square_avg"), arg("acc_delta"), arg("step"), arg("grad"), arg("lr") = 1.0, arg("rho") = 0.9,
      arg("eps") = 1e-6, arg("weight_decay") = 0.0, arg("maximize") = false,
      "One Adadelta step in place; square_avg and acc_delta are the running averages of g**2 and of the squared "
      "updates.");
}

}  // namespace fastnn::bindings
