// attention_forward / attention_backward: the binding template (see binding.h); checks in
// ops/attention.h, kernels in cpu/attention.h (the probabilities are recomputed in backward).
#pragma once
#include "bindings/binding.h"
#include "ops/attention.h"

namespace fastnn::bindings {

template <class Backend>
py::object attention_forward(py::handle q_obj, py::handle k_obj, py::handle v_obj, py::handle mask_obj,
                             py::handle causal_obj, py::handle scale_obj, py::handle out_obj) {
  const bool is_causal = bool_arg(causal_obj, "is_causal");
  const double scale = float_arg(scale_obj, "scale");
  typename Backend::Call call;
  const ops::Array& q = call.float_input(q_obj, "query");
  const ops::Array& k = call.float_input(k_obj, "key");
  const ops::Array& v = call.float_input(v_obj, "value");
  const ops::Array* mask = call.optional_float_input(mask_obj, "attn_mask", Layout::strided);
  const cpu::AttentionSizes s = ops::attention_check(q, k, v, mask, is_causal, scale);
  const ops::Array& out = call.output(out_obj, "out", q.dtype, {s.n, s.tq, s.ev});
  call.check_aliasing();
  with_float_type(q, [&](auto tag) {
    using T = decltype(tag);
    Backend::attention_forward(call.stream(), out.out<T>(), q.in<T>(), k.in<T>(), v.in<T>(), s, T(scale),
                               ops::attention_mask<T>(mask, is_causal));
  });
  return call.object(out);
}

template <class Backend>
py::tuple attention_backward(py::handle grad_out_obj, py::handle q_obj, py::handle k_obj, py::handle v_obj,
                             py::handle mask_obj, py::handle causal_obj, py::handle scale_obj, py::handle need_obj) {
  const bool is_causal = bool_arg(causal_obj, "is_causal");
  const double scale = float_arg(scale_obj, "scale");
  const bool need_grad_mask = bool_arg(need_obj, "need_grad_mask");
  typename Backend::Call call;
  const ops::Array& q = call.float_input(q_obj, "query");
  const ops::Array& k = call.float_input(k_obj, "key");
  const ops::Array& v = call.float_input(v_obj, "value");
  const ops::Array* mask = call.optional_float_input(mask_obj, "attn_mask", Layout::strided);
  const cpu::AttentionSizes s = ops::attention_check(q, k, v, mask, is_causal, scale);
  const ops::Array& grad_out = call.float_input(grad_out_obj, "grad_out");
  ops::attention_backward_check(grad_out, q, s, mask != nullptr, need_grad_mask);
  const ops::Array& dq = call.allocate("grad_query", q.dtype, q.dims());
  const ops::Array& dk = call.allocate("grad_key", q.dtype, k.dims());
  const ops::Array& dv = call.allocate("grad_value", q.dtype, v.dims());
  const ops::Array* dmask = need_grad_mask ? &call.allocate("grad_mask", q.dtype, {s.n, s.tq, s.tk}) : nullptr;
  with_float_type(q, [&](auto tag) {
    using T = decltype(tag);
    Backend::attention_backward(call.stream(), dq.out<T>(), dk.out<T>(), dv.out<T>(), ops::out_or_null<T>(dmask),
                                grad_out.in<T>(), q.in<T>(), k.in<T>(), v.in<T>(), s, T(scale),
                                ops::attention_mask<T>(mask, is_causal));
  });
  return results(call, &dq, &dk, &dv, dmask);
}

template <class Backend>
void bind_attention(py::module_& m) {
  m.def("attention_forward", &attention_forward<Backend>, py::arg("query"), py::arg("key"), py::arg("value"),
        py::arg("attn_mask") = py::none(), py::arg("is_causal") = false, py::arg("scale") = 1.0,
        py::arg("out") = py::none(),
        R"(out = softmax(scale * q k^T + mask) v per block: query [N, Tq, E], key [N, Tk, E], value
[N, Tk, Ev]; attn_mask: None or a float additive mask broadcastable to [N, Tq, Tk] (size-1
dims broadcast); is_causal hides key j from query i when j > i. Fully masked rows give 0.)");
  m.def("attention_backward", &attention_backward<Backend>, py::arg("grad_out"), py::arg("query"), py::arg("key"),
        py::arg("value"), py::arg("attn_mask") = py::none(), py::arg("is_causal") = false, py::arg("scale") = 1.0,
        py::arg("need_grad_mask") = false,
        R"((grad_query, grad_key, grad_value, grad_mask or None); the probabilities are recomputed.
grad_mask is [N, Tq, Tk] (dS), returned when need_grad_mask.)");
}

}  // namespace fastnn::bindings
