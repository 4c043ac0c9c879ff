// The CUDA backend of the binding templates: device arrays (DeviceCall, __cuda_array_interface__)
// and the kernels of csrc/cuda/. The same struct serves fastnn._cuda (kernels built by nvcc) and
// fastnn._cuda_emu (the same kernels built by the host compiler through the SIMT emulator): the
// module links one kernel library or the other. A family is bound on CUDA once its kernels
// exist; each forwarder takes the call's stream first, as CpuBackend's do.
#pragma once
#include <atomic>
#include <utility>

#include "bindings/device_array.h"
#include "cuda/activation.h"
#include "cuda/attention.h"
#include "cuda/conv.h"
#include "cuda/dropout.h"
#include "cuda/embedding.h"
#include "cuda/gather.h"
#include "cuda/gemm.h"
#include "cuda/group_norm.h"
#include "cuda/index_check.h"
#include "cuda/norm.h"
#include "cuda/interpolate.h"
#include "cuda/optim.h"
#include "cuda/padding.h"
#include "cuda/pixel_shuffle.h"
#include "cuda/pool.h"
#include "cuda/reduce.h"
#include "cuda/rnn.h"
#include "cuda/softmax_loss.h"
#include "ops/embedding.h"
#include "ops/gather.h"
#include "ops/softmax_loss.h"

namespace fastnn::bindings {

inline cudaStream_t cuda_stream(DeviceCall::Stream s) { return reinterpret_cast<cudaStream_t>(s.handle); }

// The numbered kernel version gemm runs (0: the best); set by the module's private
// _set_gemm_version so that tests and bench/gpu_check.py can check and time each version.
inline std::atomic<int> gemm_version{0};

// A forwarder to fastnn::cuda::<name>(stream, args...).
#define FASTNN_CUDA_KERNEL(name)                                  \
  template <class... A>                                           \
  static void name(DeviceCall::Stream s, A&&... args) {           \
    cuda::name(cuda_stream(s), std::forward<A>(args)...);         \
  }

struct CudaBackend {
  using Call = DeviceCall;
  static constexpr const char* name = "cuda";

  template <class T>
  static void gemm(DeviceCall::Stream s, const cpu::GemmProblem<T>& problem) {
    cuda::gemm(problem, cuda_stream(s), gemm_version.load(std::memory_order_relaxed));
  }
  FASTNN_CUDA_KERNEL(activation_forward)
  FASTNN_CUDA_KERNEL(activation_backward)
  FASTNN_CUDA_KERNEL(softmax_forward)
  FASTNN_CUDA_KERNEL(softmax_backward)
  FASTNN_CUDA_KERNEL(cross_entropy_forward)
  FASTNN_CUDA_KERNEL(cross_entropy_prob_forward)
  FASTNN_CUDA_KERNEL(sgd_step)
  FASTNN_CUDA_KERNEL(adagrad_step)
  FASTNN_CUDA_KERNEL(rmsprop_step)
  FASTNN_CUDA_KERNEL(adam_step)
  FASTNN_CUDA_KERNEL(adamax_step)
  FASTNN_CUDA_KERNEL(nadam_step)
  FASTNN_CUDA_KERNEL(adadelta_step)
  FASTNN_CUDA_KERNEL(dropout_forward)
  FASTNN_CUDA_KERNEL(dropout_backward)
  FASTNN_CUDA_KERNEL(embedding_forward)
  FASTNN_CUDA_KERNEL(embedding_backward)
  FASTNN_CUDA_KERNEL(batch_norm_forward)
  FASTNN_CUDA_KERNEL(batch_norm_backward)
  FASTNN_CUDA_KERNEL(layer_norm_forward)
  FASTNN_CUDA_KERNEL(layer_norm_backward)
  FASTNN_CUDA_KERNEL(group_norm_forward)
  FASTNN_CUDA_KERNEL(group_norm_backward)
  FASTNN_CUDA_KERNEL(max_pool2d_forward)
  FASTNN_CUDA_KERNEL(max_pool2d_backward)
  FASTNN_CUDA_KERNEL(avg_pool2d_forward)
  FASTNN_CUDA_KERNEL(avg_pool2d_backward)
  FASTNN_CUDA_KERNEL(adaptive_avg_pool2d_forward)
  FASTNN_CUDA_KERNEL(adaptive_avg_pool2d_backward)
  FASTNN_CUDA_KERNEL(upsample_nearest2d_forward)
  FASTNN_CUDA_KERNEL(upsample_nearest2d_backward)
  FASTNN_CUDA_KERNEL(pad_forward)
  FASTNN_CUDA_KERNEL(pad_backward)
  FASTNN_CUDA_KERNEL(interpolate_forward)
  FASTNN_CUDA_KERNEL(interpolate_backward)
  FASTNN_CUDA_KERNEL(pixel_shuffle_forward)
  FASTNN_CUDA_KERNEL(pixel_unshuffle_forward)
  FASTNN_CUDA_KERNEL(gather_forward)
  FASTNN_CUDA_KERNEL(scatter_add_forward)
  FASTNN_CUDA_KERNEL(conv2d_forward)
  FASTNN_CUDA_KERNEL(conv2d_backward_input)
  FASTNN_CUDA_KERNEL(conv2d_backward_weight)
  FASTNN_CUDA_KERNEL(conv2d_backward_bias)
  FASTNN_CUDA_KERNEL(conv_add_bias)
  FASTNN_CUDA_KERNEL(attention_forward)
  FASTNN_CUDA_KERNEL(attention_backward)
  FASTNN_CUDA_KERNEL(lstm_forward)
  FASTNN_CUDA_KERNEL(lstm_backward)
  FASTNN_CUDA_KERNEL(lstm_cell_forward)
  FASTNN_CUDA_KERNEL(lstm_cell_backward)
  FASTNN_CUDA_KERNEL(gru_forward)
  FASTNN_CUDA_KERNEL(gru_backward)
  FASTNN_CUDA_KERNEL(gru_cell_forward)
  FASTNN_CUDA_KERNEL(gru_cell_backward)
  FASTNN_CUDA_KERNEL(rnn_forward)
  FASTNN_CUDA_KERNEL(rnn_backward)
  FASTNN_CUDA_KERNEL(rnn_cell_forward)
  FASTNN_CUDA_KERNEL(rnn_cell_backward)
  FASTNN_CUDA_KERNEL(sum_dims)
  FASTNN_CUDA_KERNEL(vector_norms)
  // The values of embedding ids, checked on the device, with the CPU module's error.
  static void embedding_indices_check(DeviceCall::Stream s, const ops::Array& ids, int64_t num_embeddings) {
    const cuda::InvalidIndex bad =
        cuda::first_index_out_of_range(cuda_stream(s), ids.in<int64_t>(), ids.size(), num_embeddings, false, 0);
    if (bad.position >= 0) ops::embedding_index_out_of_range(bad.position, bad.value, num_embeddings);
  }

  // The values of class indices, checked on the device, with the CPU module's error.
  static void cross_entropy_indices_check(DeviceCall::Stream s, const ops::Array& target, int64_t c,
                                          int64_t ignore_index) {
    const cuda::InvalidIndex bad =
        cuda::first_index_out_of_range(cuda_stream(s), target.in<int64_t>(), target.size(), c, true, ignore_index);
    if (bad.position >= 0) ops::invalid_class_index(bad.position, bad.value, c, ignore_index);
  }

  // The values of gather / scatter_add indices, checked on the device, with the CPU module's error.
  static void gather_indices_check(DeviceCall::Stream s, const ops::Array& index, int64_t n) {
    const cuda::InvalidIndex bad =
        cuda::first_index_out_of_range(cuda_stream(s), index.in<int64_t>(), index.size(), n, false, 0);
    if (bad.position >= 0) ops::gather_index_out_of_range(bad.value, n);
  }

  // grad_loss is the device array [N] of reduction 'none'; for 'mean' and 'sum' the binding
  // passes the address of one number on the host, which the kernel gets by value.
  template <class T>
  static void cross_entropy_backward(DeviceCall::Stream s, T* grad_logits, const T* grad_loss, const T* log_probs,
                                     const int64_t* target, int64_t n, int64_t c,
                                     const cpu::CrossEntropyOptions<T>& opt) {
    const bool rows = opt.reduction == cpu::Reduction::none;
    cuda::cross_entropy_backward(cuda_stream(s), grad_logits, rows ? grad_loss : nullptr, rows ? T(0) : *grad_loss,
                                 log_probs, target, n, c, opt);
  }
  template <class T>
  static void cross_entropy_prob_backward(DeviceCall::Stream s, T* grad_logits, const T* grad_loss,
                                          const T* log_probs, const T* target, int64_t n, int64_t c,
                                          const cpu::CrossEntropyOptions<T>& opt) {
    const bool rows = opt.reduction == cpu::Reduction::none;
    cuda::cross_entropy_prob_backward(cuda_stream(s), grad_logits, rows ? grad_loss : nullptr,
                                      rows ? T(0) : *grad_loss, log_probs, target, n, c, opt);
  }
};

#undef FASTNN_CUDA_KERNEL

}  // namespace fastnn::bindings
