// The op families every module registers, each a template over its backend (binding.h says
// how to add one), and the CPU-only registrations of fastnn._C.
#pragma once
#include <pybind11/pybind11.h>

namespace fastnn::bindings {

// Families converted to the backend templates (bind_<family>.h has the definition).
template <class Backend> void bind_gemm(pybind11::module_& m);
template <class Backend> void bind_activation(pybind11::module_& m);
template <class Backend> void bind_optim(pybind11::module_& m);
template <class Backend> void bind_attention(pybind11::module_& m);
template <class Backend> void bind_conv(pybind11::module_& m);
template <class Backend> void bind_pool(pybind11::module_& m);
template <class Backend> void bind_norm(pybind11::module_& m);
template <class Backend> void bind_padding(pybind11::module_& m);
template <class Backend> void bind_interpolate(pybind11::module_& m);
template <class Backend> void bind_group_norm(pybind11::module_& m);
template <class Backend> void bind_pixel_shuffle(pybind11::module_& m);
template <class Backend> void bind_dropout(pybind11::module_& m);
template <class Backend> void bind_embedding(pybind11::module_& m);
template <class Backend> void bind_gather(pybind11::module_& m);
template <class Backend> void bind_softmax_loss(pybind11::module_& m);
template <class Backend> void bind_rnn(pybind11::module_& m);
template <class Backend> void bind_reduce(pybind11::module_& m);

void bind_config(pybind11::module_& m);
// _describe_device_array: the device adapter's reading of an object, for tests (see the .cpp).
void bind_device_introspection(pybind11::module_& m);

}  // namespace fastnn::bindings
