// fastnn._C.pad_forward / pad_backward: array conversion around cpu/padding.h (whose
// pad_geometry checks the arguments), kernels run without the GIL.
#include <pybind11/stl.h>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "bindings/int_shapes.h"
#include "cpu/padding.h"

namespace fastnn::bindings {

namespace {

py::array pad_forward(py::object x_obj, const std::vector<int64_t>& pad, const std::string& mode_name, double value,
                      py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const cpu::PadMode mode = cpu::parse_pad_mode(mode_name);
  const cpu::PadGeometry g = cpu::pad_geometry(int_shape(x), pad, mode);
  py::array out = output_array(out_obj, "out", x.dtype(), py_shape(g.out_shape));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::pad_forward(data_ptr<T>(out), data_ptr<T>(x), g, mode, value);
  });
  return out;
}

py::array pad_backward(py::object dy_obj, const std::vector<int64_t>& input_shape, const std::vector<int64_t>& pad,
                       const std::string& mode_name, py::object out_obj) {
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  const cpu::PadMode mode = cpu::parse_pad_mode(mode_name);
  const cpu::PadGeometry g = cpu::pad_geometry(input_shape, pad, mode);
  if (int_shape(dy) != g.out_shape)
    throw py::value_error("grad_out must have the padded shape " + shape_string(py_shape(g.out_shape)) + ", got " +
                          shape_string(dy));
  py::array out = output_array(out_obj, "out", dy.dtype(), py_shape(input_shape));
  require_no_overlap(out, "out", dy, "grad_out");
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    cpu::pad_backward(data_ptr<T>(out), data_ptr<T>(dy), g, mode);
  });
  return out;
}

}  // namespace

void bind_padding(py::module_& m) {
  m.def("pad_forward", &pad_forward, py::arg("x"), py::arg("pad"), py::arg("mode") = "constant",
        py::arg("value") = 0.0, py::arg("out") = py::none(),
        "x padded by `pad` (PyTorch's order: last dimension first, (before, after) pairs); mode 'constant' (value), 'reflect', 'replicate' or 'circular', as torch.nn.functional.pad.");
  m.def("pad_backward", &pad_backward, py::arg("grad_out"), py::arg("input_shape"), py::arg("pad"),
        py::arg("mode") = "constant", py::arg("out") = py::none(),
        "grad_in of shape input_shape: grad_out gathered back from the padding (reflected and wrapped positions add up).");
}

}  // namespace fastnn::bindings
