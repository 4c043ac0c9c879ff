// Group normalisation on the CPU backend (fastnn._C).
#include "bindings/bind_group_norm.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_group_norm<CpuBackend>(py::module_&);
}
