// Gather and scatter-add on the CPU backend (fastnn._C).
#include "bindings/bind_gather.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_gather<CpuBackend>(py::module_&);
}
