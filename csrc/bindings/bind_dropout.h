// dropout_forward / dropout_backward: the binding template (see binding.h); checks in
// ops/dropout.h, kernels (Philox4x32-10 masks) in cpu/dropout.h.
#pragma once
#include "bindings/binding.h"
#include "ops/dropout.h"

namespace fastnn::bindings {

namespace dropout_detail {

template <class Backend>
py::tuple dropout_forward(py::handle x_obj, py::handle p_obj, py::handle seed_obj, py::handle offset_obj,
                          py::handle out_obj, py::handle mask_obj) {
  const double p = float_arg(p_obj, "p");
  const uint64_t seed = uint64_arg(seed_obj, "seed"), offset = uint64_arg(offset_obj, "offset");
  ops::dropout_p_check(p);
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  ops::dropout_forward_check(x);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, x.dims());
  const ops::Array& mask = call.output(mask_obj, "mask", ops::DType::uint8, x.dims());
  call.allow_in_place("out", "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::dropout_forward(call.stream(), out.out<T>(), mask.out<uint8_t>(), x.in<T>(), x.size(), p, seed, offset);
  });
  return results(call, &out, &mask);
}

template <class Backend>
py::object dropout_backward(py::handle dy_obj, py::handle mask_obj, py::handle p_obj, py::handle out_obj) {
  const double p = float_arg(p_obj, "p");
  ops::dropout_p_check(p);
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& mask = call.input(mask_obj, "mask");
  ops::dropout_backward_check(dy, mask);
  const ops::Array& out = call.output(out_obj, "out", dy.dtype, dy.dims());
  call.allow_in_place("out", "grad_out");
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    // A bool mask holds the bytes 0 and 1, as a uint8 one does.
    Backend::dropout_backward(call.stream(), out.out<T>(), dy.in<T>(), mask.in<uint8_t>(), dy.size(), p);
  });
  return call.object(out);
}

}  // namespace dropout_detail

template <class Backend>
void bind_dropout(py::module_& m) {
  using namespace dropout_detail;
  using py::arg;
  m.def("dropout_forward", &dropout_forward<Backend>, arg("x"), arg("p"), arg("seed"), arg("offset") = 0,
        arg("out") = py::none(), arg("mask") = py::none(),
        R"doc(y = x * mask / (1 - p), mask[i] = 1 with probability 1 - p (p = 1: y = x * 0).

The mask comes from Philox4x32-10 keyed by `seed` (0 <= seed < 2**64) at stream position
offset + i, so it depends on (seed, offset + i) only, never on the thread count; advance
`offset` by x.size between calls with one seed. Returns (y, mask) with mask uint8 of x's shape.)doc");
  m.def("dropout_backward", &dropout_backward<Backend>, arg("grad_out"), arg("mask"), arg("p"),
        arg("out") = py::none(),
        R"doc(grad_in = grad_out * mask / (1 - p) (0 when p = 1); mask uint8 or bool from the forward.)doc");
}

}  // namespace fastnn::bindings
