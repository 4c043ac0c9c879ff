// Memory for the NumPy arrays the kernels return (HostCall::allocate): large blocks are kept
// when their array dies and handed to the next output of the same size class, so that a
// training step's activations and gradients, the same shapes every step, reuse memory instead
// of faulting in fresh pages (about 1 us per 4 KiB page here: 0.9 ms of a 1.4 ms ReLU over 3 MB;
// glibc returns such blocks to the system as soon as they are freed).
//
// Blocks of at least kMinCachedBytes are rounded up to their size class (64 KiB multiples) and
// 64-byte aligned; an array's block goes back to the cache when the array and every view of it
// are gone (a capsule owns it). The cache keeps at most FASTNN_HOST_CACHE_MB megabytes
// (default 256; 0 turns it off) of free blocks; beyond that, freed blocks go back to the system.
// Smaller outputs are ordinary NumPy allocations.
#pragma once
#include <pybind11/numpy.h>

#include <cstdint>
#include <vector>

namespace fastnn::bindings {

// A C-contiguous, writeable array of `dtype` and `dims`, uninitialised.
pybind11::array host_output_array(const pybind11::dtype& dtype, const std::vector<pybind11::ssize_t>& dims);

// (free bytes cached, blocks handed out that were reused, blocks newly allocated): for tests.
struct HostCacheStats {
  int64_t cached_bytes, reused, allocated;
};
HostCacheStats host_cache_stats();
void host_cache_clear();

}  // namespace fastnn::bindings
