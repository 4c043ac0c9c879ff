// embedding_forward / embedding_backward: the binding template (see binding.h); checks in
// ops/embedding.h, kernels (deterministic backward without atomics) in cpu/embedding.h.
#pragma once
#include "bindings/binding.h"
#include "ops/embedding.h"

namespace fastnn::bindings {

namespace embedding_detail {

template <class Backend>
py::object embedding_forward(py::handle weight_obj, py::handle indices_obj, py::handle out_obj) {
  typename Backend::Call call;
  const ops::Array& weight = call.float_input(weight_obj, "weight");
  const ops::Array& ids = call.index_input(indices_obj, "indices");
  const ops::Shape out_shape = ops::embedding_forward_check(weight, ids);
  Backend::embedding_indices_check(call.stream(), ids, weight.shape[0]);
  const ops::Array& out = call.output(out_obj, "out", weight.dtype, out_shape, Layout::contiguous, "weight");
  call.check_aliasing();
  with_float_type(weight, [&](auto tag) {
    using T = decltype(tag);
    Backend::embedding_forward(call.stream(), out.out<T>(), weight.in<T>(), ids.in<int64_t>(), ids.size(),
                               weight.shape[1]);
  });
  return call.object(out);
}

template <class Backend>
py::object embedding_backward(py::handle dy_obj, py::handle indices_obj, py::handle num_obj, py::handle padding_obj,
                              py::handle out_obj) {
  const int64_t num_embeddings = int_arg(num_obj, "num_embeddings");
  const int64_t padding_idx = int_arg(padding_obj, "padding_idx");
  typename Backend::Call call;
  const ops::Array& dy = call.float_input(dy_obj, "grad_out");
  const ops::Array& ids = call.index_input(indices_obj, "indices");
  const int64_t d = ops::embedding_backward_check(dy, ids, num_embeddings, padding_idx);
  Backend::embedding_indices_check(call.stream(), ids, num_embeddings);
  const ops::Array& out =
      call.output(out_obj, "out", dy.dtype, {num_embeddings, d}, Layout::contiguous, "grad_out");
  call.check_aliasing();
  with_float_type(dy, [&](auto tag) {
    using T = decltype(tag);
    Backend::embedding_backward(call.stream(), out.out<T>(), dy.in<T>(), ids.in<int64_t>(), ids.size(),
                                num_embeddings, d, padding_idx);
  });
  return call.object(out);
}

}  // namespace embedding_detail

template <class Backend>
void bind_embedding(py::module_& m) {
  using namespace embedding_detail;
  using py::arg;
  m.def("embedding_forward", &embedding_forward<Backend>, arg("weight"), arg("indices"), arg("out") = py::none(),
        R"doc(out[..., :] = weight[indices[...], :]; weight [V, D], integer indices (each in [0, V),
else ValueError naming the index). out: None or indices.shape + (D,).)doc");
  m.def("embedding_backward", &embedding_backward<Backend>, arg("grad_out"), arg("indices"), arg("num_embeddings"),
        arg("padding_idx") = -1, arg("out") = py::none(),
        R"doc(grad_weight [V, D]: grad_out rows summed per index (in index order, for any thread count);
the row padding_idx (-1: none) stays zero.)doc");
}

}  // namespace fastnn::bindings
