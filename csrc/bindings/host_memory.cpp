// The cache of large output blocks (host_memory.h): size class -> free blocks, under a mutex
// (arrays may die on any thread that holds the GIL; the lock keeps the cache's own invariants
// whatever the caller holds).
#include "bindings/host_memory.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <string>

namespace fastnn::bindings {

namespace py = pybind11;

namespace {

constexpr int64_t kMinCachedBytes = int64_t(256) << 10;
constexpr int64_t kClassBytes = int64_t(64) << 10;
constexpr int64_t kDefaultLimitMB = 256;

class BlockCache {
 public:
  BlockCache() {
    const char* env = std::getenv("FASTNN_HOST_CACHE_MB");
    int64_t mb = kDefaultLimitMB;
    if (env && *env) {
      char* end = nullptr;
      const long long value = std::strtoll(env, &end, 10);
      if (end && *end == '\0' && value >= 0) mb = value;  // anything else: the default
    }
    limit_ = mb << 20;
  }

  void* take(int64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* block = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        ++reused_;
        return block;
      }
      ++allocated_;
    }
    void* block = std::aligned_alloc(64, static_cast<size_t>(bytes));
    if (!block) throw std::bad_alloc();
    return block;
  }

  void give_back(void* block, int64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= limit_) {
        free_[bytes].push_back(block);
        cached_ += bytes;
        return;
      }
    }
    std::free(block);
  }

  HostCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {cached_, reused_, allocated_};
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, blocks] : free_)
      for (void* block : blocks) std::free(block);
    free_.clear();
    cached_ = 0;
  }

  bool enabled() const { return limit_ > 0; }

 private:
  std::mutex mutex_;
  std::map<int64_t, std::vector<void*>> free_;  // size class -> free blocks
  int64_t cached_ = 0, limit_ = 0, reused_ = 0, allocated_ = 0;
};

// Never destroyed: arrays may outlive the module's static objects at interpreter exit.
BlockCache& cache() {
  static BlockCache* instance = new BlockCache();
  return *instance;
}

struct Block {
  void* data;
  int64_t bytes;
};

}  // namespace

py::array host_output_array(const py::dtype& dtype, const std::vector<py::ssize_t>& dims) {
  int64_t bytes = dtype.itemsize();
  for (py::ssize_t d : dims) bytes *= d;  // the caller checked that this fits int64
  if (bytes < kMinCachedBytes || !cache().enabled()) return py::array(dtype, dims);
  const int64_t size_class = (bytes + kClassBytes - 1) / kClassBytes * kClassBytes;
  Block* block = new Block{cache().take(size_class), size_class};
  py::capsule owner(block, [](void* p) {
    Block* b = static_cast<Block*>(p);
    cache().give_back(b->data, b->bytes);
    delete b;
  });
  return py::array(dtype, dims, {}, block->data, owner);
}

HostCacheStats host_cache_stats() { return cache().stats(); }

void host_cache_clear() { cache().clear(); }

}  // namespace fastnn::bindings
