// fastnn._C.gemm: checks every argument, then runs cpu::gemm without the GIL.
#include <pybind11/numpy.h>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/gemm.h"

namespace fastnn::bindings {

namespace {

cpu::Activation parse_activation(const py::object& activation) {
  if (activation.is_none()) return cpu::Activation::none;
  if (!py::isinstance<py::str>(activation))
    throw py::type_error("activation must be None or 'relu', got " +
                         py::str(py::type::handle_of(activation).attr("__name__")).cast<std::string>());
  std::string name = activation.cast<std::string>();
  if (name == "relu") return cpu::Activation::relu;
  if (name == "none") return cpu::Activation::none;
  throw py::value_error("activation must be None or 'relu', got '" + name + "'");
}

template <class T>
void run_gemm(const py::array& a, bool trans_a, const py::array& b, bool trans_b, py::array& c, double alpha,
              double beta, const py::array* bias, cpu::Activation act) {
  cpu::GemmProblem<T> g;
  g.m = c.shape(0);
  g.n = c.shape(1);
  g.k = trans_a ? a.shape(0) : a.shape(1);
  g.a = static_cast<const T*>(a.data());
  g.rs_a = elem_stride(a, trans_a ? 1 : 0);
  g.cs_a = elem_stride(a, trans_a ? 0 : 1);
  g.b = static_cast<const T*>(b.data());
  g.rs_b = elem_stride(b, trans_b ? 1 : 0);
  g.cs_b = elem_stride(b, trans_b ? 0 : 1);
  g.c = static_cast<T*>(c.mutable_data());
  g.rs_c = elem_stride(c, 0);
  g.cs_c = elem_stride(c, 1);
  g.alpha = static_cast<T>(alpha);
  g.beta = static_cast<T>(beta);
  g.bias = bias ? static_cast<const T*>(bias->data()) : nullptr;
  g.act = act;
  py::gil_scoped_release no_gil;
  cpu::gemm(g);
}

py::array gemm(py::object a_obj, py::object b_obj, py::object c_obj, double alpha, double beta, bool trans_a,
               bool trans_b, py::object bias_obj, py::object activation) {
  py::array a = float_array(a_obj, "a");
  py::array b = float_array(b_obj, "b");
  require_ndim(a, 2, "a");
  require_ndim(b, 2, "b");
  require_same_dtype(b, a, "b", "a");
  const py::ssize_t m = trans_a ? a.shape(1) : a.shape(0), k = trans_a ? a.shape(0) : a.shape(1);
  const py::ssize_t kb = trans_b ? b.shape(1) : b.shape(0), n = trans_b ? b.shape(0) : b.shape(1);
  if (k != kb)
    throw py::value_error("a and b do not multiply: op(a) has shape (" + std::to_string(m) + ", " +
                          std::to_string(k) + ") and op(b) has shape (" + std::to_string(kb) + ", " +
                          std::to_string(n) + "); op(a).shape[1] must equal op(b).shape[0]");
  const cpu::Activation act = parse_activation(activation);

  py::array c;
  if (c_obj.is_none()) {
    if (beta != 0.0) throw py::value_error("beta must be 0 when c is None (there is no C to scale), got " +
                                           std::to_string(beta));
    c = empty_like_dtype(a, {m, n});
  } else {
    if (!py::isinstance<py::array>(c_obj))
      throw py::type_error("c must be None or a numpy.ndarray, got " +
                           py::str(py::type::handle_of(c_obj).attr("__name__")).cast<std::string>());
    c = py::reinterpret_borrow<py::array>(c_obj);
    if (c.dtype().num() != a.dtype().num())
      throw py::type_error("c must have the dtype of a (" + dtype_string(a) + "), got " + dtype_string(c));
    require_ndim(c, 2, "c");
    if (c.shape(0) != m || c.shape(1) != n)
      throw py::value_error("c must have shape (" + std::to_string(m) + ", " + std::to_string(n) + "), got " +
                            shape_string(c));
    if (c.strides(0) % c.itemsize() != 0 || c.strides(1) % c.itemsize() != 0)
      throw py::value_error("c must have strides that are whole elements");
    require_writeable(c, "c");
    require_no_overlap(c, "c", a, "a");
    require_no_overlap(c, "c", b, "b");
  }

  py::array bias;
  if (!bias_obj.is_none()) {
    bias = float_array(bias_obj, "bias");
    require_same_dtype(bias, a, "bias", "a");
    if (bias.ndim() != 1 || bias.shape(0) != n)
      throw py::value_error("bias must have shape (" + std::to_string(n) + ",), got " + shape_string(bias));
    bias = py::array::ensure(bias, py::array::c_style);
    if (!c_obj.is_none()) require_no_overlap(c, "c", bias, "bias");
  }
  const py::array* bias_ptr = bias_obj.is_none() ? nullptr : &bias;

  if (is_float32(a)) run_gemm<float>(a, trans_a, b, trans_b, c, alpha, beta, bias_ptr, act);
  else run_gemm<double>(a, trans_a, b, trans_b, c, alpha, beta, bias_ptr, act);
  return c;
}

}  // namespace

void bind_gemm(py::module_& m) {
  m.def("gemm", &gemm, py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, py::arg("trans_a") = false, py::arg("trans_b") = false,
        py::arg("bias") = py::none(), py::arg("activation") = py::none(),
        "C = act(alpha * op(a) @ op(b) + beta * c + bias); returns c (allocated when None).");
}

}  // namespace fastnn::bindings
