// The activations on the CPU backend (fastnn._C).
#include "bindings/bind_activation.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_activation<CpuBackend>(py::module_&);
}
