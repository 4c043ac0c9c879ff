// Attention on the CPU backend (fastnn._C).
#include "bindings/bind_attention.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_attention<CpuBackend>(py::module_&);
}
