// AddressSanitizer support for fibers. ASan tracks one stack per OS thread; every switch to
// another stack must be announced (start_switch before, finish_switch after, on the new stack),
// or ASan takes fiber frames for stack overflows and its reports crash. A fiber stack that is
// reused starts with its shadow cleared, since the frames of the fiber before it never unwound.
// Without ASan every function here is empty.
#pragma once
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define FASTNN_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FASTNN_EMU_ASAN 1
#endif
#endif

#ifdef FASTNN_EMU_ASAN
#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace fastnn::emu::detail {

#ifdef FASTNN_EMU_ASAN
inline constexpr bool kAsan = true;

// `fake_stack_save` is null when the departing fiber has finished for good.
inline void asan_start_switch(void** fake_stack_save, const void* to_bottom, size_t to_size) {
  __sanitizer_start_switch_fiber(fake_stack_save, to_bottom, to_size);
}
inline void asan_finish_switch(void* fake_stack) { __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr); }
inline void asan_forget_stack(void* lo, size_t size) { __asan_unpoison_memory_region(lo, size); }

// The calling OS thread's own stack, the target when a fiber switches back to the scheduler.
inline void asan_thread_stack(const void** bottom, size_t* size) {
  pthread_attr_t attr;
  void* lo = nullptr;
  size_t sz = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &lo, &sz);
    pthread_attr_destroy(&attr);
  }
  *bottom = lo;
  *size = sz;
}
#else
inline constexpr bool kAsan = false;
inline void asan_start_switch(void**, const void*, size_t) {}
inline void asan_finish_switch(void*) {}
inline void asan_forget_stack(void*, size_t) {}
inline void asan_thread_stack(const void** bottom, size_t* size) {
  *bottom = nullptr;
  *size = 0;
}
#endif

}  // namespace fastnn::emu::detail
