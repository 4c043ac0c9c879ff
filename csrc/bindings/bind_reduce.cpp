// Reductions on the CPU backend (fastnn._C).
#include "bindings/bind_reduce.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_reduce<CpuBackend>(py::module_&);
}
