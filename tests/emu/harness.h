// A minimal driver for the emulator's C++ test programs (tests/test_emulator.py builds and runs
// them). EMU_TEST(name) registers a case; `program --list` prints the names, `program name...`
// runs those cases (every case when none is named) and prints one line per case:
// "PASS name" or "FAIL name: file:line: what". The exit status is 1 when any case failed.
// The schedule and worker count come from FASTNN_EMU_SCHEDULE / FASTNN_EMU_WORKERS.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/launch.cuh"

namespace emu_test {

struct Case {
  const char* name;
  void (*run)();
};

inline std::vector<Case>& cases() {
  static std::vector<Case> c;
  return c;
}

struct Register {
  Register(const char* name, void (*run)()) { cases().push_back({name, run}); }
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
  throw Failure(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

// Runs `launch` and returns the message of the fastnn::cuda::Error it throws ("" if none).
inline std::string launch_error(const std::function<void()>& launch) {
  try {
    launch();
  } catch (const fastnn::cuda::Error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace emu_test

#define EMU_TEST(name)                                             \
  static void name();                                              \
  static ::emu_test::Register name##_registered(#name, &name);     \
  static void name()

#define CHECK(cond)                                                \
  do {                                                             \
    if (!(cond)) ::emu_test::fail(__FILE__, __LINE__, #cond);      \
  } while (0)

#define CHECK_EQ(a, b)                                                                                \
  do {                                                                                                \
    auto check_a_ = (a);                                                                              \
    auto check_b_ = (b);                                                                              \
    if (!(check_a_ == check_b_))                                                                      \
      ::emu_test::fail(__FILE__, __LINE__,                                                            \
                       std::string(#a " == " #b ": ") + std::to_string(check_a_) + " vs " + std::to_string(check_b_)); \
  } while (0)

#define CHECK_CONTAINS(text, part)                                                                          \
  do {                                                                                                      \
    std::string check_text_ = (text);                                                                       \
    if (!::emu_test::contains(check_text_, part))                                                           \
      ::emu_test::fail(__FILE__, __LINE__, std::string("'") + check_text_ + "' does not contain '" + (part) + "'"); \
  } while (0)
