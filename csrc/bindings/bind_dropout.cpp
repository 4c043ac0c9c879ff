// Dropout on the CPU backend (fastnn._C).
#include "bindings/bind_dropout.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_dropout<CpuBackend>(py::module_&);
}
