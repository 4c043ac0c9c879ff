// gather_forward / scatter_add_forward: the binding template (see binding.h); checks in
// ops/gather.h, kernels (deterministic scatter without atomics) in cpu/gather.h.
#pragma once
#include "bindings/binding.h"
#include "ops/gather.h"

namespace fastnn::bindings {

namespace gather_detail {

template <class Backend>
py::object gather_forward(py::handle x_obj, py::handle index_obj, py::handle dim_obj, py::handle out_obj) {
  const int64_t dim = int_arg(dim_obj, "dim");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::Array& index = call.index_input(index_obj, "index");
  const ops::GatherGeometry g = ops::gather_check(x, "x", index, dim);
  Backend::gather_indices_check(call.stream(), index, g.n);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, index.dims(), Layout::contiguous, "x");
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::gather_forward(call.stream(), out.out<T>(), x.in<T>(), index.in<int64_t>(), g.o, g.n, g.k, g.i);
  });
  return call.object(out);
}

template <class Backend>
py::object scatter_add_forward(py::handle out_obj, py::handle src_obj, py::handle index_obj, py::handle dim_obj) {
  const int64_t dim = int_arg(dim_obj, "dim");
  typename Backend::Call call;
  const ops::Array& src = call.float_input(src_obj, "src");
  const ops::Array& out = call.in_out(out_obj, "out");  // holds the input already: never converted
  const ops::Array& index = call.index_input(index_obj, "index");
  const ops::GatherGeometry g = ops::gather_check(out, "out", index, dim);
  ops::scatter_add_check(out, src, index);
  Backend::gather_indices_check(call.stream(), index, g.n);
  call.check_aliasing();
  with_float_type(src, [&](auto tag) {
    using T = decltype(tag);
    Backend::scatter_add_forward(call.stream(), out.out<T>(), src.in<T>(), index.in<int64_t>(), g.o, g.n, g.k, g.i);
  });
  return call.object(out);
}

}  // namespace gather_detail

template <class Backend>
void bind_gather(py::module_& m) {
  using namespace gather_detail;
  using py::arg;
  m.def("gather_forward", &gather_forward<Backend>, arg("x"), arg("index"), arg("dim"), arg("out") = py::none(),
        "out[o, k, i] = x[o, index[o, k, i], i] with x seen as [O, N, I] around `dim`; index: int64 of x's "
        "shape except at dim, each in [0, N). out: None or index.shape, x's dtype.");
  m.def("scatter_add_forward", &scatter_add_forward<Backend>, arg("out"), arg("src"), arg("index"), arg("dim"),
        "out[o, index[o, k, i], i] += src[o, k, i] in place (in the order of k, for any thread count); src and "
        "index of one shape, out's shape except at dim. Returns out.");
}

}  // namespace fastnn::bindings
