// pad_forward / pad_backward: the binding template (see binding.h); checks and geometry in
// ops/padding.h, kernels in cpu/padding.h.
#pragma once
#include "bindings/binding.h"
#include "ops/padding.h"

namespace fastnn::bindings {

namespace padding_detail {

template <class Backend>
py::object pad_forward(py::handle x_obj, py::handle pad_obj, py::handle mode_obj, py::handle value_obj,
                       py::handle out_obj) {
  const std::vector<int64_t> pad = int_list_arg(pad_obj, "pad");
  const cpu::PadMode mode = ops::parse_pad_mode(str_arg(mode_obj, "mode"));
  const double value = float_arg(value_obj, "value");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  ops::pad_forward_check(x);
  const ops::PadSizes p = ops::pad_check(x.dims(), "x", pad, mode);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, p.out_shape);
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::pad_forward(call.stream(), out.out<T>(), x.in<T>(), p.geometry, mode, value);
  });
  return call.object(out);
}

template <class Backend>
py::object pad_backward(py::handle dy_obj, py::handle input_shape_obj, py::handle pad_obj, py::handle mode_obj,
                        py::handle out_obj) {
  const ops::Shape input_shape = shape_arg(input_shape_obj, "input_shape");
  const std::vector<int64_t> pad = int_list_arg(pad_obj, "pad");
  const cpu::PadMode mode = ops::parse_pad_mode(str_arg(mode_obj, "mode"));
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::PadSizes p = ops::pad_check(input_shape, "input_shape", pad, mode);
  ops::pad_backward_check(dy, p);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, input_shape);
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::pad_backward(call.stream(), out.out<T>(), dy.in<T>(), p.geometry, mode);
  });
  return call.object(out);
}

}  // namespace padding_detail

template <class Backend>
void bind_padding(py::module_& m) {
  using namespace padding_detail;
  using py::arg;
  m.def("pad_forward", &pad_forward<Backend>, arg("x"), arg("pad"), arg("mode") = "constant", arg("value") = 0.0,
        arg("out") = py::none(),
        "x padded by `pad` (PyTorch's order: last dimension first, (before, after) pairs); mode 'constant' (value), "
        "'reflect', 'replicate' or 'circular', as torch.nn.functional.pad.");
  m.def("pad_backward", &pad_backward<Backend>, arg("grad_out"), arg("input_shape"), arg("pad"),
        arg("mode") = "constant", arg("out") = py::none(),
        "grad_in of shape input_shape: grad_out gathered back from the padding (reflected and wrapped positions add "
        "up).");
}

}  // namespace fastnn::bindings
