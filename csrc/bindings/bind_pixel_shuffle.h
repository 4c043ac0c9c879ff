// pixel_shuffle / pixel_unshuffle (each the other's backward): the binding template (see
// binding.h); checks in ops/pixel_shuffle.h, kernels in cpu/pixel_shuffle.h.
#pragma once
#include "bindings/binding.h"
#include "ops/pixel_shuffle.h"

namespace fastnn::bindings {

namespace pixel_shuffle_detail {

template <class Backend>
py::object pixel_shuffle(py::handle x_obj, py::handle factor_obj, py::handle out_obj) {
  const int64_t factor = int_arg(factor_obj, "upscale_factor");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::PixelShuffleSizes p = ops::pixel_shuffle_check(x, factor, false);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, p.out_shape);
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::pixel_shuffle_forward(call.stream(), out.out<T>(), x.in<T>(), p.geometry);
  });
  return call.object(out);
}

template <class Backend>
py::object pixel_unshuffle(py::handle x_obj, py::handle factor_obj, py::handle out_obj) {
  const int64_t factor = int_arg(factor_obj, "downscale_factor");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::PixelShuffleSizes p = ops::pixel_shuffle_check(x, factor, true);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, p.out_shape);
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::pixel_unshuffle_forward(call.stream(), out.out<T>(), x.in<T>(), p.geometry);
  });
  return call.object(out);
}

}  // namespace pixel_shuffle_detail

template <class Backend>
void bind_pixel_shuffle(py::module_& m) {
  using namespace pixel_shuffle_detail;
  using py::arg;
  m.def("pixel_shuffle", &pixel_shuffle<Backend>, arg("x"), arg("upscale_factor"), arg("out") = py::none(),
        "[..., C*r*r, H, W] -> [..., C, H*r, W*r] (r = upscale_factor), as torch.nn.functional.pixel_shuffle.");
  m.def("pixel_unshuffle", &pixel_unshuffle<Backend>, arg("x"), arg("downscale_factor"), arg("out") = py::none(),
        "[..., C, H*r, W*r] -> [..., C*r*r, H, W] (r = downscale_factor): the inverse of pixel_shuffle.");
}

}  // namespace fastnn::bindings
