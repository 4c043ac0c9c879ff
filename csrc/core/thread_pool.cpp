// The thread pool of thread_pool.h. Synchronisation, all on 32-bit futex words:
// - start: each worker has its own word `seq`; the caller publishes the job in the pool, then
//   increments the seq of each worker it needs and wakes it only if it went to sleep;
// - finish: a shared count `remaining`; the worker that brings it to 0 wakes the caller if the
//   caller went to sleep;
// - barrier: a counter and a generation word (the last to arrive resets the counter and bumps
//   the generation).
// "Went to sleep" is a flag set before the sleeper's last check of its word; the waker changes
// the word before reading the flag. Both are sequentially consistent, so either the sleeper sees
// the new word or the waker sees the flag (and futex_wait itself returns if the word changed).
// The pool object is never freed (a forked child just forgets it), so a worker finishing late
// never touches freed memory.
#include "core/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/futex.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fastnn {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

constexpr int kDefaultSpinUs = 50;
constexpr int kMaxSpinUs = 1000000;

int spin_from_environment() {
  const char* text = std::getenv("FASTNN_SPIN_US");
  if (text == nullptr || *text == '\0') return kDefaultSpinUs;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  // An unusable value must not make the import fail; show_config() shows the spin in use.
  if (*end != '\0' || value < 0 || value > kMaxSpinUs) return kDefaultSpinUs;
  return static_cast<int>(value);
}

std::atomic<int> spin_time_us{spin_from_environment()};

// Spins until ready() or spin_us() has passed; returns ready().
template <class Ready>
bool spin_until(Ready&& ready) {
  const int us = spin_time_us.load(std::memory_order_relaxed);
  if (us == 0) return ready();
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::microseconds(us);
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (clock::now() >= deadline) return ready();
  }
}

// Waits until *word != value: spins, then sleeps with `sleeping` raised.
void wait_for_change(std::atomic<uint32_t>& word, uint32_t value, std::atomic<uint32_t>& sleeping) {
  if (spin_until([&] { return word.load(std::memory_order_acquire) != value; })) return;
  sleeping.fetch_add(1, std::memory_order_seq_cst);
  while (word.load(std::memory_order_seq_cst) == value) futex_wait(&word, value);
  sleeping.fetch_sub(1, std::memory_order_relaxed);
}

void wake_if_sleeping(std::atomic<uint32_t>& word, std::atomic<uint32_t>& sleeping) {
  if (sleeping.load(std::memory_order_seq_cst) != 0) futex_wake_all(&word);
}

// Thrown inside fn at a barrier when another worker of the region failed; never leaves the pool.
struct RegionAborted {};

// This thread's region: nullptr outside any, &inline_marker in one nested inline, else the pool.
char inline_marker;
thread_local void* current_region = nullptr;

// Runs fn as the one worker of an inline region: nested in a region, barrier() returns at once
// and regions inside stay inline; outside any region nothing changes.
void run_inline(RegionFn fn, void* ctx) {
  void* outer = current_region;
  if (outer != nullptr) current_region = &inline_marker;
  try {
    fn(ctx, 0, 1);
  } catch (...) {
    current_region = outer;
    throw;
  }
  current_region = outer;
}

struct alignas(64) Worker {
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> sleeping{0};
  std::atomic<bool> stop{false};
  std::thread thread;
};

class Pool {
 public:
  void run(int nworkers, RegionFn fn, void* ctx);
  void barrier();
  void trim(int workers);
  int workers() {
    std::lock_guard<std::mutex> lock(region_mutex_);
    return static_cast<int>(workers_.size());
  }

 private:
  void start_workers(int count);
  void stop_workers_from(size_t first);
  void worker_main(Worker* self, int tid);
  void execute(int tid);
  void fail(std::exception_ptr error);

  std::mutex region_mutex_;  // held by the caller for a whole region, and to resize
  std::vector<std::unique_ptr<Worker>> workers_;

  // The job, written by the caller before it increments the workers' seq.
  RegionFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int nworkers_ = 1;

  alignas(64) std::atomic<uint32_t> remaining_{0};
  std::atomic<uint32_t> caller_sleeping_{0};

  alignas(64) std::atomic<uint32_t> arrived_{0};
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> barrier_sleepers_{0};

  alignas(64) std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

void Pool::start_workers(int count) {
  while (static_cast<int>(workers_.size()) < count) {
    auto worker = std::make_unique<Worker>();
    Worker* self = worker.get();
    const int tid = static_cast<int>(workers_.size()) + 1;
    try {
      worker->thread = std::thread([this, self, tid] { worker_main(self, tid); });
    } catch (const std::system_error&) {
      return;  // no more threads: the region runs on the workers there are
    }
    workers_.push_back(std::move(worker));
  }
}

void Pool::stop_workers_from(size_t first) {
  for (size_t i = first; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    w.stop.store(true, std::memory_order_relaxed);
    w.seq.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(&w.seq);
  }
  for (size_t i = first; i < workers_.size(); ++i) workers_[i]->thread.join();
  workers_.resize(std::min(first, workers_.size()));
}

void Pool::trim(int workers) {
  std::lock_guard<std::mutex> lock(region_mutex_);
  stop_workers_from(static_cast<size_t>(std::max(workers, 0)));
}

void Pool::fail(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = error;
  }
  failed_.store(true, std::memory_order_seq_cst);
  // Release the workers waiting in barrier(): they see failed_ and leave fn.
  generation_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(&generation_);
}

void Pool::execute(int tid) {
  void* outer = current_region;
  current_region = this;
  try {
    fn_(ctx_, tid, nworkers_);
  } catch (const RegionAborted&) {
  } catch (...) {
    fail(std::current_exception());
  }
  current_region = outer;
}

void Pool::worker_main(Worker* self, int tid) {
  uint32_t seen = 0;
  for (;;) {
    wait_for_change(self->seq, seen, self->sleeping);
    seen = self->seq.load(std::memory_order_acquire);
    if (self->stop.load(std::memory_order_relaxed)) return;
    execute(tid);
    if (remaining_.fetch_sub(1, std::memory_order_seq_cst) == 1) wake_if_sleeping(remaining_, caller_sleeping_);
  }
}

void Pool::run(int nworkers, RegionFn fn, void* ctx) {
  std::unique_lock<std::mutex> lock(region_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread's region is running: this one runs inline
    run_inline(fn, ctx);
    return;
  }
  start_workers(nworkers - 1);
  const int n = std::min<int>(nworkers, static_cast<int>(workers_.size()) + 1);
  fn_ = fn;
  ctx_ = ctx;
  nworkers_ = n;
  arrived_.store(0, std::memory_order_relaxed);
  failed_.store(false, std::memory_order_relaxed);
  error_ = nullptr;
  remaining_.store(static_cast<uint32_t>(n - 1), std::memory_order_relaxed);
  for (int i = 0; i < n - 1; ++i) {
    Worker& w = *workers_[i];
    w.seq.fetch_add(1, std::memory_order_seq_cst);
    wake_if_sleeping(w.seq, w.sleeping);
  }
  execute(0);
  for (;;) {
    const uint32_t left = remaining_.load(std::memory_order_acquire);
    if (left == 0) break;
    wait_for_change(remaining_, left, caller_sleeping_);
  }
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void Pool::barrier() {
  if (failed_.load(std::memory_order_acquire)) throw RegionAborted{};
  const uint32_t generation = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(nworkers_)) {
    arrived_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    wake_if_sleeping(generation_, barrier_sleepers_);
    return;
  }
  wait_for_change(generation_, generation, barrier_sleepers_);
  if (failed_.load(std::memory_order_acquire)) throw RegionAborted{};
}

// The process's pool, created on first use; a forked child drops its parent's (leaked on
// purpose: its threads do not exist in the child, so it can be neither used nor destroyed).
std::atomic<Pool*> the_pool{nullptr};

Pool& pool() {
  Pool* p = the_pool.load(std::memory_order_acquire);
  if (p != nullptr) return *p;
  auto fresh = std::make_unique<Pool>();
  if (the_pool.compare_exchange_strong(p, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
  return *p;  // another thread created it first
}

void forget_pool_in_child() {
  the_pool.store(nullptr, std::memory_order_relaxed);
  current_region = nullptr;
}

const int atfork_registered = pthread_atfork(nullptr, nullptr, forget_pool_in_child);

}  // namespace

void run_region(int nworkers, RegionFn fn, void* ctx) {
  if (nworkers <= 1 || current_region != nullptr) {  // one worker, or nested: inline
    run_inline(fn, ctx);
    return;
  }
  pool().run(nworkers, fn, ctx);
}

void barrier() {
  void* region = current_region;
  if (region != nullptr && region != &inline_marker) static_cast<Pool*>(region)->barrier();
}

int spin_us() { return spin_time_us.load(std::memory_order_relaxed); }

void set_spin_us(int us) {
  if (us < 0 || us > kMaxSpinUs)
    throw std::invalid_argument("spin_us must be in [0, " + std::to_string(kMaxSpinUs) + "], got " +
                                std::to_string(us));
  spin_time_us.store(us, std::memory_order_relaxed);
}

void trim_thread_pool(int threads) { pool().trim(threads - 1); }

int thread_pool_workers() { return pool().workers(); }

}  // namespace fastnn
