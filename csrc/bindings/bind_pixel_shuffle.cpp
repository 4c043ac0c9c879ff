// Pixel shuffle and unshuffle on the CPU backend (fastnn._C).
#include "bindings/bind_pixel_shuffle.h"

#include "bindings/backend_cpu.h"

namespace fastnn::bindings {
template void bind_pixel_shuffle<CpuBackend>(py::module_&);
}
