// Reusable scratch memory for kernels (packed GEMM blocks, im2col panels, gate buffers).
//
// Each calling thread owns a small set of slots that grow and are kept: a kernel asks for
// slot k with at least n bytes and gets 64-byte aligned memory that stays valid until the next
// request for the same slot from the same thread. Freshly mapped pages cost about 1 us each on
// first touch here, so buffers are never returned between calls.
#pragma once
#include <cstddef>

namespace fastnn {

enum class WorkspaceSlot { gemm_a = 0, gemm_b = 1, gemm_tile = 2, scratch0 = 3, scratch1 = 4, packed_b = 5, count = 6 };

void* workspace(WorkspaceSlot slot, size_t bytes);

template <class T>
T* workspace_array(WorkspaceSlot slot, size_t count) {
  return static_cast<T*>(workspace(slot, count * sizeof(T)));
}

}  // namespace fastnn
