// Fiber stacks: one mapping each, with an inaccessible guard page below it so that an overflow
// faults instead of corrupting the neighbouring fiber's stack. Pages are reserved lazily
// (MAP_NORESERVE): a fiber touches only the few pages its kernel uses. Stacks belong to a
// worker and are reused by every block and launch it runs.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <new>

namespace fastnn::emu::detail {

class Stack {
 public:
  explicit Stack(size_t usable) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = (usable + page_ - 1) / page_ * page_;
    void* base = mmap(nullptr, size_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    mprotect(base, page_, PROT_NONE);
    base_ = static_cast<char*>(base);
  }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack() { munmap(base_, size_ + page_); }

  char* lo() const { return base_ + page_; }  // lowest usable byte, page aligned
  size_t size() const { return size_; }

 private:
  char* base_ = nullptr;
  size_t size_ = 0, page_ = 0;
};

}  // namespace fastnn::emu::detail
