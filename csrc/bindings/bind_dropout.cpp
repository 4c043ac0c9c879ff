// fastnn._C.dropout_forward / dropout_backward: checks p, shapes and dtypes, then runs the
// kernels of cpu/dropout.h without the GIL.
#include <cmath>

#include "bindings/args.h"
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/dropout.h"

namespace fastnn::bindings {

namespace {

void check_p(double p) {
  if (!(p >= 0.0 && p <= 1.0)) throw py::value_error("p must be in [0, 1], got " + std::to_string(p));
}

py::tuple dropout_forward(py::object x_obj, py::handle p_obj, py::handle seed_obj, py::handle offset_obj,
                          py::object out_obj, py::object mask_obj) {
  const double p = float_arg(p_obj, "p");
  const uint64_t seed = uint64_arg(seed_obj, "seed"), offset = uint64_arg(offset_obj, "offset");
  check_p(p);
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(x));
  py::array mask = output_array(mask_obj, "mask", py::dtype::of<uint8_t>(), shape_of(x));
  require_same_or_no_overlap(out, "out", x, "x");
  require_no_overlap(mask, "mask", x, "x");
  require_no_overlap(mask, "mask", out, "out");
  const int64_t n = x.size();
  uint8_t* m = static_cast<uint8_t*>(mask.mutable_data());
  const bool f32 = is_float32(x);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::dropout_forward(static_cast<float*>(out.mutable_data()), m, static_cast<const float*>(x.data()), n, p, seed,
                           offset);
    else
      cpu::dropout_forward(static_cast<double*>(out.mutable_data()), m, static_cast<const double*>(x.data()), n, p, seed,
                           offset);
  }
  return py::make_tuple(out, mask);
}

py::array dropout_backward(py::object dy_obj, py::object mask_obj, py::handle p_obj, py::object out_obj) {
  const double p = float_arg(p_obj, "p");
  check_p(p);
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  if (!py::isinstance<py::array>(mask_obj))
    throw py::type_error("mask must be a numpy.ndarray of uint8 or bool, got " +
                         py::str(py::type::handle_of(mask_obj).attr("__name__")).cast<std::string>());
  py::array mask = py::reinterpret_borrow<py::array>(mask_obj);
  if (!(mask.dtype().kind() == 'b' || (mask.dtype().kind() == 'u' && mask.itemsize() == 1)))
    throw py::type_error("mask must have dtype uint8 or bool, got " + dtype_string(mask));
  require_same_shape(mask, "mask", dy, "grad_out");
  mask = c_contiguous(mask);
  py::array out = output_array(out_obj, "out", dy.dtype(), shape_of(dy));
  require_same_or_no_overlap(out, "out", dy, "grad_out");
  require_no_overlap(out, "out", mask, "mask");
  const int64_t n = dy.size();
  const uint8_t* m = static_cast<const uint8_t*>(mask.data());
  const bool f32 = is_float32(dy);  // before releasing the GIL: dtype() touches Python objects
  {
    py::gil_scoped_release no_gil;
    if (f32)
      cpu::dropout_backward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(dy.data()), m, n, p);
    else
      cpu::dropout_backward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(dy.data()), m, n, p);
  }
  return out;
}

}  // namespace

void bind_dropout(py::module_& m) {
  m.def("dropout_forward", &dropout_forward, py::arg("x"), py::arg("p"), py::arg("seed"), py::arg("offset") = 0,
        py::arg("out") = py::none(), py::arg("mask") = py::none(), R"doc(y = x * mask / (1 - p), mask[i] = 1 with probability 1 - p (p = 1: y = x * 0).

The mask comes from Philox4x32-10 keyed by `seed` (0 <= seed < 2**64) at stream position
offset + i, so it depends on (seed, offset + i) only, never on the thread count; advance
`offset` by x.size between calls with one seed. Returns (y, mask) with mask uint8 of x's shape.)doc");
  m.def("dropout_backward", &dropout_backward, py::arg("grad_out"), py::arg("mask"), py::arg("p"),
        py::arg("out") = py::none(), R"doc(grad_in = grad_out * mask / (1 - p) (0 when p = 1); mask uint8 or bool from the forward.)doc");
}

}  // namespace fastnn::bindings
