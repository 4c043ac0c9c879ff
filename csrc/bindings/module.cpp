// The CPU extension module fastnn._C.
#include "bindings/bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastnn CPU kernels (C++, own thread pool, SIMD)";
  fastnn::bindings::bind_config(m);
  fastnn::bindings::bind_gemm(m);
  fastnn::bindings::bind_activation(m);
  fastnn::bindings::bind_softmax_loss(m);
  fastnn::bindings::bind_dropout(m);
  fastnn::bindings::bind_optim(m);
  fastnn::bindings::bind_embedding(m);
  fastnn::bindings::bind_attention(m);
  fastnn::bindings::bind_rnn(m);
  fastnn::bindings::bind_conv(m);
  fastnn::bindings::bind_pool(m);
  fastnn::bindings::bind_norm(m);
}
