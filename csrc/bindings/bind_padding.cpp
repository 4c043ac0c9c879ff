// Padding on the CPU backend (fastnn._C).
#include "bindings/bind_padding.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_padding<CpuBackend>(py::module_&);
}
