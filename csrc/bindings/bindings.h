// Each binding file registers one op family on the _C module.
#pragma once
#include <pybind11/pybind11.h>

namespace fastnn::bindings {

void bind_config(pybind11::module_& m);
void bind_gemm(pybind11::module_& m);
void bind_activation(pybind11::module_& m);
void bind_softmax_loss(pybind11::module_& m);
void bind_dropout(pybind11::module_& m);
void bind_optim(pybind11::module_& m);
void bind_embedding(pybind11::module_& m);
void bind_attention(pybind11::module_& m);
void bind_rnn(pybind11::module_& m);
void bind_conv(pybind11::module_& m);
void bind_pool(pybind11::module_& m);
void bind_norm(pybind11::module_& m);
void bind_gather(pybind11::module_& m);

}  // namespace fastnn::bindings
