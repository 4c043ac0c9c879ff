#include "core/futex.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#else
#include <condition_variable>
#include <mutex>
#endif

namespace fastnn {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
              "a futex word must be a plain 32-bit integer");

#if defined(__linux__)

// Process-private futexes: the words never live in memory shared with another process.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

const char* futex_kind() { return "futex"; }

#else

namespace {
// A waker changes the word before taking the bucket's lock, and a waiter checks the word under
// that lock, so a change is either seen by the check or followed by a notification.
struct Bucket {
  std::mutex mutex;
  std::condition_variable changed;
};
constexpr int kBuckets = 64;

// Never destroyed: pool workers may still sleep in a bucket while the process exits.
Bucket& bucket_of(const void* word) {
  static Bucket* const buckets = new Bucket[kBuckets];
  return buckets[(reinterpret_cast<uintptr_t>(word) >> 6) % kBuckets];
}
}  // namespace

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
  Bucket& b = bucket_of(word);
  std::unique_lock<std::mutex> lock(b.mutex);
  if (word->load(std::memory_order_seq_cst) == expected) b.changed.wait(lock);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  Bucket& b = bucket_of(word);
  { std::lock_guard<std::mutex> lock(b.mutex); }
  b.changed.notify_all();
}

const char* futex_kind() { return "condition_variable"; }

#endif

}  // namespace fastnn
