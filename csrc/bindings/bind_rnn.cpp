// Recurrent layers on the CPU backend (fastnn._C).
#include "bindings/bind_rnn.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_rnn<CpuBackend>(py::module_&);
}
