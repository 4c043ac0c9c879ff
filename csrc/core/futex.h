// Sleeping on a 32-bit atomic word until another thread changes it: a Linux futex, or elsewhere
// a condition variable per hashed address (the portable fallback). Spurious wake-ups are allowed:
// callers re-check their condition in a loop.
#pragma once
#include <atomic>
#include <cstdint>

namespace fastnn {

// Blocks while *word == expected (returns at once if it already differs).
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected);
// Wakes every thread blocked in futex_wait on `word`; call after changing *word.
void futex_wake_all(std::atomic<uint32_t>* word);
// "futex" or "condition_variable": what futex_wait sleeps on in this build.
const char* futex_kind();

}  // namespace fastnn
