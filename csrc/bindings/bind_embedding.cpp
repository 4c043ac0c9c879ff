// Embedding on the CPU backend (fastnn._C).
#include "bindings/bind_embedding.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_embedding<CpuBackend>(py::module_&);
}
