#include "core/workspace.h"

#include <cstdlib>
#include <new>

namespace fastnn {

namespace {
struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~Buffer() { std::free(data); }
};
thread_local Buffer buffers[static_cast<int>(WorkspaceSlot::count)];
}  // namespace

void* workspace(WorkspaceSlot slot, size_t bytes) {
  Buffer& buf = buffers[static_cast<int>(slot)];
  if (bytes > buf.bytes) {
    size_t grown = bytes + bytes / 4;           // grow with headroom to avoid repeated growth
    grown = (grown + 4095) & ~size_t(4095);
    void* fresh = std::aligned_alloc(64, grown);
    if (fresh == nullptr) throw std::bad_alloc();
    std::free(buf.data);
    buf.data = fresh;
    buf.bytes = grown;
  }
  return buf.data;
}

}  // namespace fastnn
