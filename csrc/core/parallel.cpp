#include "core/parallel.h"

#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace fastnn {

namespace {

// OMP_NUM_THREADS's first entry ("4" or "4,2"), as OpenMP reads it; 0 when unset or unusable.
int threads_from_environment() {
  const char* text = std::getenv("OMP_NUM_THREADS");
  if (text == nullptr) return 0;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || (*end != '\0' && *end != ',') || value < 1 || value > 4096) return 0;
  return static_cast<int>(value);
}

int cores_available() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

int initial_num_threads() {
  const int requested = threads_from_environment();
  return requested > 0 ? requested : cores_available();
}

std::atomic<int> thread_count{initial_num_threads()};

}  // namespace

int num_threads() { return thread_count.load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  thread_count.store(n, std::memory_order_relaxed);
  trim_thread_pool(n);
}

}  // namespace fastnn
