// The optimizer updates on the CPU backend (fastnn._C).
#include "bindings/bind_optim.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_optim<CpuBackend>(py::module_&);
}
