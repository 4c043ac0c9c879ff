// The CPU extension module fastnn._C.
#include "bindings/bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastnn CPU kernels (C++, OpenMP, SIMD)";
  fastnn::bindings::bind_config(m);
  fastnn::bindings::bind_gemm(m);
  fastnn::bindings::bind_optim(m);
}
