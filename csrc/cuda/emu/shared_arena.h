// Shared memory of the block a worker runs. Each static FASTNN_SHARED declaration gets its own
// heap allocation the first time a thread of the launch reaches it (keyed by the declaration),
// and the dynamic shared memory of the launch one more, each of the exact size, so that
// AddressSanitizer sees an access past the end. At the start of every block all of it is
// filled with 0xFF bytes (a NaN as float and double, -1 as an integer): a thread that reads
// shared memory no thread of its block wrote gets a NaN, whatever an earlier block left there.
#pragma once
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace fastnn::emu::detail {

inline constexpr size_t kStaticSharedLimit = 48 * 1024;      // per kernel, as on every GPU
inline constexpr size_t kSharedOptInLimit = 163 * 1024;      // static + dynamic, sm_80's limit
inline constexpr unsigned char kSharedPoison = 0xFF;

class SharedArena {
 public:
  SharedArena() = default;
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;
  ~SharedArena() { end_launch(); }

  void begin_launch(size_t dynamic_bytes, size_t limit) {
    end_launch();
    limit_ = limit;
    dynamic_bytes_ = dynamic_bytes;
    dynamic_ = ::operator new(dynamic_bytes ? dynamic_bytes : 1, std::align_val_t(16));
  }

  void end_launch() {
    for (Var& v : vars_) ::operator delete(v.ptr, std::align_val_t(v.align));
    vars_.clear();
    static_bytes_ = 0;
    if (dynamic_) ::operator delete(dynamic_, std::align_val_t(16));
    dynamic_ = nullptr;
    dynamic_bytes_ = 0;
  }

  void begin_block() {
    for (Var& v : vars_) std::memset(v.ptr, kSharedPoison, v.size);
    if (dynamic_bytes_) std::memset(dynamic_, kSharedPoison, dynamic_bytes_);
  }

  void* dynamic() const { return dynamic_; }

  // The storage of a static declaration; null with `error` set when it would exceed a limit.
  void* get_static(const void* key, size_t size, size_t align, std::string* error) {
    for (const Var& v : vars_)
      if (v.key == key) return v.ptr;
    if (static_bytes_ + size > kStaticSharedLimit) {
      *error = "static shared memory of " + std::to_string(static_bytes_ + size) + " bytes exceeds the " +
               std::to_string(kStaticSharedLimit) + "-byte limit";
      return nullptr;
    }
    if (static_bytes_ + size + dynamic_bytes_ > limit_) {
      *error = "static (" + std::to_string(static_bytes_ + size) + " bytes) plus dynamic (" +
               std::to_string(dynamic_bytes_) + " bytes) shared memory exceeds the kernel's limit of " +
               std::to_string(limit_) + " bytes";
      return nullptr;
    }
    align = align < 16 ? 16 : align;
    void* p = ::operator new(size, std::align_val_t(align));
    std::memset(p, kSharedPoison, size);
    vars_.push_back({key, size, align, p});
    static_bytes_ += size;
    return p;
  }

 private:
  struct Var {
    const void* key;
    size_t size, align;
    void* ptr;
  };
  std::vector<Var> vars_;
  size_t static_bytes_ = 0, dynamic_bytes_ = 0, limit_ = kSharedOptInLimit;
  void* dynamic_ = nullptr;
};

}  // namespace fastnn::emu::detail
