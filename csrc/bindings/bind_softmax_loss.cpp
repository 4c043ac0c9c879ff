// Softmax and cross-entropy on the CPU backend (fastnn._C).
#include "bindings/bind_softmax_loss.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_softmax_loss<CpuBackend>(py::module_&);
}
