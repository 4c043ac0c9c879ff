// Embedding lookup (cpu/embedding.h): weight [V, D] float32/float64; indices int64 of any shape
// (the adapter's index_input converts any integer dtype), each in [0, V); out has shape
// indices.shape + (D,) and weight's dtype. Backward: grad_out [*indices.shape, D] float,
// num_embeddings V >= 0, padding_idx -1 (none) or in [0, V); grad_weight [V, D].
#pragma once
#include "ops/array.h"

namespace fastnn::ops {

// The shape of out.
Shape embedding_forward_check(const Array& weight, const Array& indices);
// D, the embedding dimension.
int64_t embedding_backward_check(const Array& grad_out, const Array& indices, int64_t num_embeddings,
                                 int64_t padding_idx);
// IndexOutOfRangeError naming the first index outside [0, num_embeddings). It reads the values:
// host memory only (host_index_values); a device backend checks them on the device.
void embedding_indices_check(const Array& indices, int64_t num_embeddings);
// The error of embedding_indices_check: indices[position] = value is out of range.
[[noreturn]] void embedding_index_out_of_range(int64_t position, int64_t value, int64_t num_embeddings);

}  // namespace fastnn::ops
