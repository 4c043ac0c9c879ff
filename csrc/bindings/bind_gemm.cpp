// gemm on the CPU backend (fastnn._C).
#include "bindings/bind_gemm.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_gemm<CpuBackend>(py::module_&);
}
