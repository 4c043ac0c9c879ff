// Run-time options of the emulator: the fiber schedule, the number of worker threads and the
// fiber stack size. Defaults come from the environment when first needed, and the API below
// overrides them (tests run every kernel under several schedules this way):
//   FASTNN_EMU_SCHEDULE = forward | reverse | random   order in which a block's threads run
//                                                       between barriers (default forward)
//   FASTNN_EMU_SEED     = integer                       seed of the random schedule (default 1)
//   FASTNN_EMU_WORKERS  = integer                       OS threads running blocks (0: one per core)
//   FASTNN_EMU_STACK_KB = integer                       stack per CUDA thread (default 64, 1024 under ASan)
// An unparsable value makes every launch fail with a message naming the variable.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cuda/emu/asan.h"

namespace fastnn::emu {

enum class Schedule : int { forward = 0, reverse = 1, random = 2 };

inline const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::forward: return "forward";
    case Schedule::reverse: return "reverse";
    case Schedule::random: return "random";
  }
  return "?";
}

inline bool parse_schedule(const char* text, Schedule* out) {
  for (Schedule s : {Schedule::forward, Schedule::reverse, Schedule::random}) {
    if (std::strcmp(text, schedule_name(s)) == 0) {
      *out = s;
      return true;
    }
  }
  return false;
}

struct Options {
  Schedule schedule = Schedule::forward;
  uint64_t seed = 1;
  unsigned workers = 0;  // 0: std::thread::hardware_concurrency()
  size_t stack_bytes = (detail::kAsan ? 1024 : 64) * 1024;
  std::string error;  // a bad environment variable, reported by every launch
};

namespace detail {

inline bool parse_unsigned(const char* text, unsigned long long* out) {
  if (!*text) return false;
  char* end = nullptr;
  *out = std::strtoull(text, &end, 10);
  return *end == '\0';
}

inline Options options_from_environment() {
  Options o;
  if (const char* v = std::getenv("FASTNN_EMU_SCHEDULE"); v && !parse_schedule(v, &o.schedule))
    o.error = std::string("FASTNN_EMU_SCHEDULE must be forward, reverse or random, got '") + v + "'";
  unsigned long long n = 0;
  if (const char* v = std::getenv("FASTNN_EMU_SEED")) {
    if (parse_unsigned(v, &n)) o.seed = n;
    else o.error = std::string("FASTNN_EMU_SEED must be an unsigned integer, got '") + v + "'";
  }
  if (const char* v = std::getenv("FASTNN_EMU_WORKERS")) {
    if (parse_unsigned(v, &n) && n <= 4096) o.workers = static_cast<unsigned>(n);
    else o.error = std::string("FASTNN_EMU_WORKERS must be an integer in [0, 4096], got '") + v + "'";
  }
  if (const char* v = std::getenv("FASTNN_EMU_STACK_KB")) {
    if (parse_unsigned(v, &n) && n >= 16 && n <= (1u << 20)) o.stack_bytes = n * 1024;
    else o.error = std::string("FASTNN_EMU_STACK_KB must be an integer in [16, 1048576], got '") + v + "'";
  }
  return o;
}

inline std::mutex& options_mutex() {
  static std::mutex m;
  return m;
}

inline Options& options_storage() {
  static Options o = options_from_environment();
  return o;
}

}  // namespace detail

// A copy of the current options; each launch takes one at its start.
inline Options options() {
  std::lock_guard<std::mutex> lock(detail::options_mutex());
  return detail::options_storage();
}

inline void set_schedule(Schedule schedule, uint64_t seed = 1) {
  std::lock_guard<std::mutex> lock(detail::options_mutex());
  detail::options_storage().schedule = schedule;
  detail::options_storage().seed = seed;
}

inline void set_workers(unsigned workers) {
  std::lock_guard<std::mutex> lock(detail::options_mutex());
  detail::options_storage().workers = workers;
}

}  // namespace fastnn::emu
