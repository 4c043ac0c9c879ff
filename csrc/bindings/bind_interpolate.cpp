// Interpolation on the CPU backend (fastnn._C).
#include "bindings/bind_interpolate.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_interpolate<CpuBackend>(py::module_&);
}
