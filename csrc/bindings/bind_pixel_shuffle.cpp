// fastnn._C.pixel_shuffle / pixel_unshuffle: array conversion around cpu/pixel_shuffle.h (whose
// pixel_shuffle_geometry checks the shape and factor), kernels run without the GIL. Each is the
// other's backward.
#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "bindings/dtype_dispatch.h"
#include "bindings/int_shapes.h"
#include "cpu/pixel_shuffle.h"

namespace fastnn::bindings {

namespace {

py::array shuffle(py::object x_obj, int64_t factor, py::object out_obj, bool unshuffle) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  const cpu::PixelShuffleGeometry g = cpu::pixel_shuffle_geometry(int_shape(x), factor, unshuffle);
  py::array out = output_array(out_obj, "out", x.dtype(), py_shape(g.out_shape));
  require_no_overlap(out, "out", x, "x");
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    if (unshuffle) cpu::pixel_unshuffle_forward(data_ptr<T>(out), data_ptr<T>(x), g);
    else cpu::pixel_shuffle_forward(data_ptr<T>(out), data_ptr<T>(x), g);
  });
  return out;
}

}  // namespace

void bind_pixel_shuffle(py::module_& m) {
  m.def("pixel_shuffle", [](py::object x, int64_t factor, py::object out) { return shuffle(x, factor, out, false); },
        py::arg("x"), py::arg("upscale_factor"), py::arg("out") = py::none(),
        "[..., C*r*r, H, W] -> [..., C, H*r, W*r] (r = upscale_factor), as torch.nn.functional.pixel_shuffle.");
  m.def("pixel_unshuffle", [](py::object x, int64_t factor, py::object out) { return shuffle(x, factor, out, true); },
        py::arg("x"), py::arg("downscale_factor"), py::arg("out") = py::none(),
        "[..., C, H*r, W*r] -> [..., C*r*r, H, W] (r = downscale_factor): the inverse of pixel_shuffle.");
}

}  // namespace fastnn::bindings
