// fastnn._C.interpolate_forward / interpolate_backward: array conversion around
// cpu/interpolate.h (whose interp_geometry checks the arguments), kernels run without the GIL.
#include <pybind11/stl.h>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "bindings/int_shapes.h"
#include "cpu/interpolate.h"

namespace fastnn::bindings {

namespace {

py::array interpolate_forward(py::object x_obj, const std::vector<int64_t>& output_size, const std::string& mode_name,
                              bool align_corners, const std::vector<double>& scale_factors, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const cpu::InterpMode mode = cpu::parse_interp_mode(mode_name);
  const cpu::InterpGeometry g =
      cpu::interp_geometry(int_shape(x), output_size, scale_factors, align_corners, mode);
  py::array out = output_array(out_obj, "out", x.dtype(), py_shape(g.out_shape));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    cpu::interpolate_forward(data_ptr<T>(out), data_ptr<T>(x), g, mode);
  });
  return out;
}

py::array interpolate_backward(py::object dy_obj, const std::vector<int64_t>& input_shape, const std::string& mode_name,
                               bool align_corners, const std::vector<double>& scale_factors, py::object out_obj) {
  const py::array dy = c_contiguous(float_array(dy_obj, "grad_out"));
  const cpu::InterpMode mode = cpu::parse_interp_mode(mode_name);
  const std::vector<int64_t> dy_shape = int_shape(dy);
  if (dy_shape.size() != input_shape.size() || dy_shape.size() < 3)
    throw py::value_error("grad_out " + shape_string(dy) + " and input_shape " +
                          shape_string(py_shape(input_shape)) + " must have the same rank, 3 or 4");
  const std::vector<int64_t> output_size(dy_shape.begin() + 2, dy_shape.end());
  const cpu::InterpGeometry g = cpu::interp_geometry(input_shape, output_size, scale_factors, align_corners, mode);
  if (dy_shape != g.out_shape)
    throw py::value_error("grad_out must have shape " + shape_string(py_shape(g.out_shape)) + ", got " +
                          shape_string(dy));
  py::array out = output_array(out_obj, "out", dy.dtype(), py_shape(input_shape));
  require_no_overlap(out, "out", dy, "grad_out");
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    cpu::interpolate_backward(data_ptr<T>(out), data_ptr<T>(dy), g, mode);
  });
  return out;
}

}  // namespace

void bind_interpolate(py::module_& m) {
  m.def("interpolate_forward", &interpolate_forward, py::arg("x"), py::arg("output_size"), py::arg("mode"),
        py::arg("align_corners") = false, py::arg("scale_factors") = std::vector<double>{},
        py::arg("out") = py::none(),
        "x resized to output_size with mode 'linear', 'bilinear' or 'bicubic' (align_corners and scale_factors as "
        "torch.nn.functional.interpolate).");
  m.def("interpolate_backward", &interpolate_backward, py::arg("grad_out"), py::arg("input_shape"), py::arg("mode"),
        py::arg("align_corners") = false, py::arg("scale_factors") = std::vector<double>{},
        py::arg("out") = py::none(),
        "grad_in of shape input_shape: each grad_out element spread over the inputs its interpolation weighted.");
}

}  // namespace fastnn::bindings
