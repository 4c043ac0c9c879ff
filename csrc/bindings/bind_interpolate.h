// interpolate_forward / interpolate_backward: the binding template (see binding.h); checks and
// geometry in ops/interpolate.h, kernels in cpu/interpolate.h.
#pragma once
#include "bindings/binding.h"
#include "ops/interpolate.h"

namespace fastnn::bindings {

namespace interpolate_detail {

template <class Backend>
py::object interpolate_forward(py::handle x_obj, py::handle output_size_obj, py::handle mode_obj,
                               py::handle align_obj, py::handle scales_obj, py::handle out_obj) {
  const ops::Shape output_size = shape_arg(output_size_obj, "output_size");
  const cpu::InterpMode mode = ops::parse_interp_mode(str_arg(mode_obj, "mode"));
  const bool align_corners = bool_arg(align_obj, "align_corners");
  const std::vector<double> scale_factors = float_list_arg(scales_obj, "scale_factors");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::InterpSizes r = ops::interpolate_forward_check(x, output_size, scale_factors, align_corners, mode);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, r.out_shape);
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::interpolate_forward(call.stream(), out.out<T>(), x.in<T>(), r.geometry, mode);
  });
  return call.object(out);
}

template <class Backend>
py::object interpolate_backward(py::handle dy_obj, py::handle input_shape_obj, py::handle mode_obj,
                                py::handle align_obj, py::handle scales_obj, py::handle out_obj) {
  const ops::Shape input_shape = shape_arg(input_shape_obj, "input_shape");
  const cpu::InterpMode mode = ops::parse_interp_mode(str_arg(mode_obj, "mode"));
  const bool align_corners = bool_arg(align_obj, "align_corners");
  const std::vector<double> scale_factors = float_list_arg(scales_obj, "scale_factors");
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::InterpSizes r = ops::interpolate_backward_check(dy, input_shape, scale_factors, align_corners, mode);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, input_shape);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::interpolate_backward(call.stream(), out.out<T>(), dy.in<T>(), r.geometry, mode);
  });
  return call.object(out);
}

}  // namespace interpolate_detail

template <class Backend>
void bind_interpolate(py::module_& m) {
  using namespace interpolate_detail;
  using py::arg;
  m.def("interpolate_forward", &interpolate_forward<Backend>, arg("x"), arg("output_size"), arg("mode"),
        arg("align_corners") = false, arg("scale_factors") = py::list(), arg("out") = py::none(),
        "x resized to output_size with mode 'linear', 'bilinear' or 'bicubic' (align_corners and scale_factors as "
        "torch.nn.functional.interpolate).");
  m.def("interpolate_backward", &interpolate_backward<Backend>, arg("grad_out"), arg("input_shape"), arg("mode"),
        arg("align_corners") = false, arg("scale_factors") = py::list(), arg("out") = py::none(),
        "grad_in of shape input_shape: each grad_out element spread over the inputs its interpolation weighted.");
}

}  // namespace fastnn::bindings
