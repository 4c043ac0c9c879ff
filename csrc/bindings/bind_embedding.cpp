// fastnn._C.embedding_forward / embedding_backward: checks the weight, the index array (integer,
// every id in [0, num_embeddings)) and padding_idx, then runs cpu/embedding.h without the GIL.
#include <algorithm>

#include "bindings/arrays.h"
#include "bindings/host_array.h"
#include "bindings/bindings.h"
#include "cpu/embedding.h"

namespace fastnn::bindings {

namespace {

// The ids as a C-contiguous int64 array, each checked against [0, num_embeddings).
py::array checked_ids(py::handle obj, int64_t num_embeddings) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error("indices must be a numpy.ndarray of integers, got " +
                         py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
  py::array raw = py::reinterpret_borrow<py::array>(obj);
  if (raw.dtype().kind() != 'i' && raw.dtype().kind() != 'u')
    throw py::type_error("indices must have an integer dtype, got " + dtype_string(raw));
  HostCall call;  // int64 conversion; a uint64 index above 2**63 - 1 is refused instead of wrapping
  py::array ids = py::reinterpret_borrow<py::array>(call.object(call.index_input(raw, "indices")));
  const int64_t* id = static_cast<const int64_t*>(ids.data());
  for (int64_t i = 0; i < ids.size(); ++i)
    if (id[i] < 0 || id[i] >= num_embeddings)
      throw_index_out_of_range("index " + std::to_string(id[i]) + " (at flat position " + std::to_string(i) +
                            " of indices) is out of range: expected 0 <= index < num_embeddings = " +
                            std::to_string(num_embeddings));
  return ids;
}

void check_padding_idx(int64_t padding_idx, int64_t num_embeddings) {
  if (padding_idx < -1 || padding_idx >= num_embeddings)
    throw py::value_error("padding_idx must be -1 (none) or in [0, num_embeddings = " + std::to_string(num_embeddings) +
                          "), got " + std::to_string(padding_idx));
}

py::array embedding_forward(py::object weight_obj, py::object ids_obj, py::object out_obj) {
  const py::array weight = c_contiguous(float_array(weight_obj, "weight"));
  require_ndim(weight, 2, "weight");
  const int64_t v = weight.shape(0), d = weight.shape(1);
  const py::array ids = checked_ids(ids_obj, v);
  std::vector<py::ssize_t> shape = shape_of(ids);
  shape.push_back(d);
  py::array out = output_array(out_obj, "out", weight.dtype(), shape);
  require_no_overlap(out, "out", weight, "weight");
  require_no_overlap(out, "out", ids, "indices");
  const int64_t n = ids.size();
  const int64_t* id = static_cast<const int64_t*>(ids.data());
  const bool f32 = is_float32(weight);  // before releasing the GIL: dtype() touches Python objects
  py::gil_scoped_release no_gil;
  if (f32)
    cpu::embedding_forward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(weight.data()), id, n, d);
  else
    cpu::embedding_forward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(weight.data()), id, n,
                           d);
  return out;
}

py::array embedding_backward(py::object grad_out_obj, py::object ids_obj, int64_t num_embeddings, int64_t padding_idx,
                             py::object out_obj) {
  if (num_embeddings < 0)
    throw py::value_error("num_embeddings must be >= 0, got " + std::to_string(num_embeddings));
  check_padding_idx(padding_idx, num_embeddings);
  const py::array grad_out = c_contiguous(float_array(grad_out_obj, "grad_out"));
  const py::array ids = checked_ids(ids_obj, num_embeddings);
  if (grad_out.ndim() != ids.ndim() + 1 ||
      !std::equal(ids.shape(), ids.shape() + ids.ndim(), grad_out.shape()))
    throw py::value_error("grad_out must have shape indices.shape + (embedding_dim,) = " + shape_string(ids) +
                          " + (D,), got " + shape_string(grad_out));
  const int64_t d = grad_out.shape(grad_out.ndim() - 1), n = ids.size();
  py::array out = output_array(out_obj, "out", grad_out.dtype(), {py::ssize_t(num_embeddings), py::ssize_t(d)});
  require_no_overlap(out, "out", grad_out, "grad_out");
  require_no_overlap(out, "out", ids, "indices");
  const int64_t* id = static_cast<const int64_t*>(ids.data());
  const bool f32 = is_float32(grad_out);  // before releasing the GIL: dtype() touches Python objects
  py::gil_scoped_release no_gil;
  if (f32)
    cpu::embedding_backward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(grad_out.data()), id, n,
                            num_embeddings, d, padding_idx);
  else
    cpu::embedding_backward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(grad_out.data()), id,
                            n, num_embeddings, d, padding_idx);
  return out;
}

}  // namespace

void bind_embedding(py::module_& m) {
  m.def("embedding_forward", &embedding_forward, py::arg("weight"), py::arg("indices"), py::arg("out") = py::none(), R"doc(out[..., :] = weight[indices[...], :]; weight [V, D], integer indices (each in [0, V),
else ValueError naming the index). out: None or indices.shape + (D,).)doc");
  m.def("embedding_backward", &embedding_backward, py::arg("grad_out"), py::arg("indices"), py::arg("num_embeddings"),
        py::arg("padding_idx") = -1, py::arg("out") = py::none(), R"doc(grad_weight [V, D]: grad_out rows summed per index (in index order, for any thread count);
the row padding_idx (-1: none) stays zero.)doc");
}

}  // namespace fastnn::bindings
