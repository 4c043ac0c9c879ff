// fastnn._C.attention_forward / attention_backward: checks q, k, v (3-D [N, T, E], one dtype,
// matching sizes), the mask (broadcastable to [N, Tq, Tk], exclusive with is_causal), then runs
// cpu/attention.h without the GIL.
#include <cmath>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/attention.h"

namespace fastnn::bindings {

namespace {

struct AttentionArgs {
  py::array q, k, v, mask;  // mask: an empty py::array when there is none
  bool has_mask = false;
  cpu::AttentionSizes sizes;
};

AttentionArgs check_attention(py::object q_obj, py::object k_obj, py::object v_obj, py::object mask_obj,
                              bool is_causal) {
  AttentionArgs a;
  a.q = c_contiguous(float_array(q_obj, "query"));
  a.k = c_contiguous(float_array(k_obj, "key"));
  a.v = c_contiguous(float_array(v_obj, "value"));
  require_ndim(a.q, 3, "query");
  require_ndim(a.k, 3, "key");
  require_ndim(a.v, 3, "value");
  require_same_dtype(a.k, a.q, "key", "query");
  require_same_dtype(a.v, a.q, "value", "query");
  if (a.k.shape(0) != a.q.shape(0) || a.v.shape(0) != a.q.shape(0))
    throw py::value_error("query, key and value must have the same batch size N (shape[0]), got query " +
                          shape_string(a.q) + ", key " + shape_string(a.k) + ", value " + shape_string(a.v));
  if (a.k.shape(2) != a.q.shape(2))
    throw py::value_error("key must have the embedding size of query (shape[2] = " + std::to_string(a.q.shape(2)) +
                          "), got key of shape " + shape_string(a.k));
  if (a.v.shape(1) != a.k.shape(1))
    throw py::value_error("value must have as many positions as key (shape[1] = " + std::to_string(a.k.shape(1)) +
                          "), got value of shape " + shape_string(a.v));
  a.sizes = {a.q.shape(0), a.q.shape(1), a.k.shape(1), a.q.shape(2), a.v.shape(2)};
  if (!mask_obj.is_none()) {
    if (is_causal) throw py::value_error("attn_mask must be None when is_causal=True (the causal mask is implied)");
    a.mask = float_array(mask_obj, "attn_mask");
    require_same_dtype(a.mask, a.q, "attn_mask", "query");
    require_ndim(a.mask, 3, "attn_mask");
    const int64_t want[3] = {a.sizes.n, a.sizes.tq, a.sizes.tk};
    for (int d = 0; d < 3; ++d)
      if (a.mask.shape(d) != want[d] && a.mask.shape(d) != 1)
        throw py::value_error("attn_mask must broadcast to (N, Tq, Tk) = (" + std::to_string(want[0]) + ", " +
                              std::to_string(want[1]) + ", " + std::to_string(want[2]) + "), got shape " +
                              shape_string(a.mask));
    a.has_mask = true;
  }
  return a;
}

template <class T>
cpu::AttentionMask<T> mask_view(const AttentionArgs& a, bool is_causal) {
  cpu::AttentionMask<T> m;
  m.causal = is_causal;
  if (a.has_mask) {
    m.additive = static_cast<const T*>(a.mask.data());
    auto stride = [&](int d) { return a.mask.shape(d) == 1 ? int64_t(0) : elem_stride(a.mask, d); };
    m.stride_n = stride(0);
    m.stride_q = stride(1);
    m.stride_k = stride(2);
  }
  return m;
}

double checked_scale(double scale) {
  if (!std::isfinite(scale)) throw py::value_error("scale must be finite, got " + std::to_string(scale));
  return scale;
}

py::array attention_forward(py::object q_obj, py::object k_obj, py::object v_obj, py::object mask_obj, bool is_causal,
                            double scale, py::object out_obj) {
  const AttentionArgs a = check_attention(q_obj, k_obj, v_obj, mask_obj, is_causal);
  checked_scale(scale);
  const cpu::AttentionSizes s = a.sizes;
  py::array out = output_array(out_obj, "out", a.q.dtype(), {py::ssize_t(s.n), py::ssize_t(s.tq), py::ssize_t(s.ev)});
  require_no_overlap(out, "out", a.q, "query");
  require_no_overlap(out, "out", a.k, "key");
  require_no_overlap(out, "out", a.v, "value");
  if (a.has_mask) require_no_overlap(out, "out", a.mask, "attn_mask");
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const cpu::AttentionMask<T> m = mask_view<T>(a, is_causal);
    T* o = static_cast<T*>(out.mutable_data());
    const T *q = static_cast<const T*>(a.q.data()), *k = static_cast<const T*>(a.k.data()),
            *v = static_cast<const T*>(a.v.data());
    py::gil_scoped_release no_gil;
    cpu::attention_forward(o, q, k, v, s, T(scale), m);
  };
  if (is_float32(a.q)) run(0.0f);
  else run(0.0);
  return out;
}

py::tuple attention_backward(py::object grad_out_obj, py::object q_obj, py::object k_obj, py::object v_obj,
                             py::object mask_obj, bool is_causal, double scale, bool need_grad_mask) {
  const AttentionArgs a = check_attention(q_obj, k_obj, v_obj, mask_obj, is_causal);
  checked_scale(scale);
  const cpu::AttentionSizes s = a.sizes;
  const py::array grad_out = c_contiguous(float_array(grad_out_obj, "grad_out"));
  require_same_dtype(grad_out, a.q, "grad_out", "query");
  if (shape_of(grad_out) != std::vector<py::ssize_t>{s.n, s.tq, s.ev})
    throw py::value_error("grad_out must have shape (N, Tq, Ev) = " +
                          shape_string(std::vector<py::ssize_t>{s.n, s.tq, s.ev}) + ", got " + shape_string(grad_out));
  if (need_grad_mask && !a.has_mask) throw py::value_error("need_grad_mask=True needs an attn_mask");
  py::array dq(a.q.dtype(), shape_of(a.q)), dk(a.q.dtype(), shape_of(a.k)), dv(a.q.dtype(), shape_of(a.v));
  py::object dmask = py::none();
  if (need_grad_mask) dmask = py::array(a.q.dtype(), std::vector<py::ssize_t>{s.n, s.tq, s.tk});
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const cpu::AttentionMask<T> m = mask_view<T>(a, is_causal);
    T* gq = static_cast<T*>(dq.mutable_data());
    T* gk = static_cast<T*>(dk.mutable_data());
    T* gv = static_cast<T*>(dv.mutable_data());
    T* gm = need_grad_mask ? static_cast<T*>(py::reinterpret_borrow<py::array>(dmask).mutable_data()) : nullptr;
    const T *go = static_cast<const T*>(grad_out.data()), *q = static_cast<const T*>(a.q.data()),
            *k = static_cast<const T*>(a.k.data()), *v = static_cast<const T*>(a.v.data());
    py::gil_scoped_release no_gil;
    cpu::attention_backward(gq, gk, gv, gm, go, q, k, v, s, T(scale), m);
  };
  if (is_float32(a.q)) run(0.0f);
  else run(0.0);
  return py::make_tuple(dq, dk, dv, dmask);
}

}  // namespace

void bind_attention(py::module_& m) {
  m.def("attention_forward", &attention_forward, py::arg("query"), py::arg("key"), py::arg("value"),
        py::arg("attn_mask") = py::none(), py::arg("is_causal") = false, py::arg("scale"), py::arg("out") = py::none());
  m.def("attention_backward", &attention_backward, py::arg("grad_out"), py::arg("query"), py::arg("key"),
        py::arg("value"), py::arg("attn_mask") = py::none(), py::arg("is_causal") = false, py::arg("scale"),
        py::arg("need_grad_mask") = false);
}

}  // namespace fastnn::bindings
