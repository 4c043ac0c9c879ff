// Pooling and nearest upsampling on the CPU backend (fastnn._C).
#include "bindings/bind_pool.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_pool<CpuBackend>(py::module_&);
}
