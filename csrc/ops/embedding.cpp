#include "ops/embedding.h"

#include "ops/checks.h"

namespace fastnn::ops {

Shape embedding_forward_check(const Array& weight, const Array& indices) {
  require_float(weight, "weight");
  require_ndim(weight, 2, "weight");
  require_dtype(indices, DType::int64, "indices");
  Shape out = indices.dims();
  out.push_back(weight.shape[1]);
  return out;
}

int64_t embedding_backward_check(const Array& grad_out, const Array& indices, int64_t num_embeddings,
                                 int64_t padding_idx) {
  if (num_embeddings < 0) value_error("num_embeddings must be >= 0, got " + std::to_string(num_embeddings));
  if (padding_idx < -1 || padding_idx >= num_embeddings)
    value_error("padding_idx must be -1 (none) or in [0, num_embeddings = " + std::to_string(num_embeddings) +
                "), got " + std::to_string(padding_idx));
  require_float(grad_out, "grad_out");
  require_dtype(indices, DType::int64, "indices");
  bool matches = grad_out.ndim == indices.ndim + 1;
  for (int d = 0; matches && d < indices.ndim; ++d) matches = grad_out.shape[d] == indices.shape[d];
  if (!matches)
    value_error("grad_out must have shape indices.shape + (embedding_dim,) = " + shape_string(indices) +
                " + (D,), got " + shape_string(grad_out));
  return grad_out.shape[grad_out.ndim - 1];
}

void embedding_indices_check(const Array& indices, int64_t num_embeddings) {
  const int64_t* id = host_index_values(indices, "indices");
  for (int64_t i = 0, n = indices.size(); i < n; ++i)
    if (id[i] < 0 || id[i] >= num_embeddings) embedding_index_out_of_range(i, id[i], num_embeddings);
}

void embedding_index_out_of_range(int64_t position, int64_t value, int64_t num_embeddings) {
  index_error("index " + std::to_string(value) + " (at flat position " + std::to_string(position) +
              " of indices) is out of range: expected 0 <= index < num_embeddings = " + std::to_string(num_embeddings));
}

}  // namespace fastnn::ops
