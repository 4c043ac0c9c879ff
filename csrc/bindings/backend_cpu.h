// The CPU backend of the binding templates: host arrays (HostCall) and the kernels of csrc/cpu/.
// Each forwarder takes the call's stream (none on the host) first, as the CUDA forwarders do.
#pragma once
#include <utility>

#include "bindings/host_array.h"
#include "cpu/activation.h"
#include "cpu/attention.h"
#include "cpu/conv.h"
#include "cpu/dropout.h"
#include "cpu/embedding.h"
#include "cpu/gather.h"
#include "cpu/gemm.h"
#include "cpu/group_norm.h"
#include "cpu/interpolate.h"
#include "cpu/norm.h"
#include "cpu/optim.h"
#include "cpu/padding.h"
#include "cpu/pixel_shuffle.h"
#include "cpu/pool.h"
#include "cpu/reduce.h"
#include "cpu/rnn.h"
#include "cpu/softmax_loss.h"
#include "ops/embedding.h"
#include "ops/gather.h"
#include "ops/softmax_loss.h"

namespace fastnn::bindings {

#define FASTNN_CPU_KERNEL(name)                              \
  template <class... A>                                      \
  static void name(HostCall::Stream, A&&... args) {          \
    cpu::name(std::forward<A>(args)...);                     \
  }

struct CpuBackend {
  using Call = HostCall;
  static constexpr const char* name = "cpu";

  FASTNN_CPU_KERNEL(gemm)
  FASTNN_CPU_KERNEL(activation_forward)
  FASTNN_CPU_KERNEL(activation_backward)
  FASTNN_CPU_KERNEL(softmax_forward)
  FASTNN_CPU_KERNEL(softmax_backward)
  FASTNN_CPU_KERNEL(cross_entropy_forward)
  FASTNN_CPU_KERNEL(cross_entropy_backward)
  FASTNN_CPU_KERNEL(cross_entropy_prob_forward)
  FASTNN_CPU_KERNEL(cross_entropy_prob_backward)
  FASTNN_CPU_KERNEL(dropout_forward)
  FASTNN_CPU_KERNEL(dropout_backward)
  FASTNN_CPU_KERNEL(sgd_step)
  FASTNN_CPU_KERNEL(adagrad_step)
  FASTNN_CPU_KERNEL(rmsprop_step)
  FASTNN_CPU_KERNEL(adam_step)
  FASTNN_CPU_KERNEL(adamax_step)
  FASTNN_CPU_KERNEL(nadam_step)
  FASTNN_CPU_KERNEL(adadelta_step)
  FASTNN_CPU_KERNEL(embedding_forward)
  FASTNN_CPU_KERNEL(embedding_backward)
  FASTNN_CPU_KERNEL(gather_forward)
  FASTNN_CPU_KERNEL(scatter_add_forward)
  FASTNN_CPU_KERNEL(attention_forward)
  FASTNN_CPU_KERNEL(attention_backward)
  FASTNN_CPU_KERNEL(lstm_forward)
  FASTNN_CPU_KERNEL(lstm_backward)
  FASTNN_CPU_KERNEL(lstm_cell_forward)
  FASTNN_CPU_KERNEL(lstm_cell_backward)
  FASTNN_CPU_KERNEL(gru_forward)
  FASTNN_CPU_KERNEL(gru_backward)
  FASTNN_CPU_KERNEL(gru_cell_forward)
  FASTNN_CPU_KERNEL(gru_cell_backward)
  FASTNN_CPU_KERNEL(rnn_forward)
  FASTNN_CPU_KERNEL(rnn_backward)
  FASTNN_CPU_KERNEL(rnn_cell_forward)
  FASTNN_CPU_KERNEL(rnn_cell_backward)
  FASTNN_CPU_KERNEL(conv2d_forward)
  FASTNN_CPU_KERNEL(conv2d_backward_input)
  FASTNN_CPU_KERNEL(conv2d_backward_weight)
  FASTNN_CPU_KERNEL(conv2d_backward_bias)
  FASTNN_CPU_KERNEL(conv_add_bias)
  FASTNN_CPU_KERNEL(max_pool2d_forward)
  FASTNN_CPU_KERNEL(max_pool2d_backward)
  FASTNN_CPU_KERNEL(avg_pool2d_forward)
  FASTNN_CPU_KERNEL(avg_pool2d_backward)
  FASTNN_CPU_KERNEL(adaptive_avg_pool2d_forward)
  FASTNN_CPU_KERNEL(adaptive_avg_pool2d_backward)
  FASTNN_CPU_KERNEL(upsample_nearest2d_forward)
  FASTNN_CPU_KERNEL(upsample_nearest2d_backward)
  FASTNN_CPU_KERNEL(batch_norm_forward)
  FASTNN_CPU_KERNEL(batch_norm_backward)
  FASTNN_CPU_KERNEL(layer_norm_forward)
  FASTNN_CPU_KERNEL(layer_norm_backward)
  FASTNN_CPU_KERNEL(pad_forward)
  FASTNN_CPU_KERNEL(pad_backward)
  FASTNN_CPU_KERNEL(interpolate_forward)
  FASTNN_CPU_KERNEL(interpolate_backward)
  FASTNN_CPU_KERNEL(group_norm_forward)
  FASTNN_CPU_KERNEL(group_norm_backward)
  FASTNN_CPU_KERNEL(pixel_shuffle_forward)
  FASTNN_CPU_KERNEL(pixel_unshuffle_forward)
  FASTNN_CPU_KERNEL(sum_dims)
  FASTNN_CPU_KERNEL(vector_norms)
  // The values of index arrays, read on the host.
  static void embedding_indices_check(HostCall::Stream, const ops::Array& ids, int64_t num_embeddings) {
    ops::embedding_indices_check(ids, num_embeddings);
  }
  static void cross_entropy_indices_check(HostCall::Stream, const ops::Array& target, int64_t c,
                                          int64_t ignore_index) {
    ops::cross_entropy_indices_check(target, c, ignore_index);
  }
  static void gather_indices_check(HostCall::Stream, const ops::Array& index, int64_t n) {
    ops::gather_index_check(index, n);
  }
};

#undef FASTNN_CPU_KERNEL

}  // namespace fastnn::bindings
