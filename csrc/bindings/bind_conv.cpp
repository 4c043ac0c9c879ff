// Convolutions on the CPU backend (fastnn._C).
#include "bindings/bind_conv.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_conv<CpuBackend>(py::module_&);
}
