// Portable context switch on glibc's makecontext/swapcontext (see context.h). Slower than the
// x86-64 switch (swapcontext saves and restores the signal mask with a syscall), but runs on
// every platform glibc supports; selected with FASTNN_EMU_UCONTEXT or off x86-64.
#pragma once
#include <ucontext.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace fastnn::emu::detail {

inline constexpr const char* kContextBackend = "ucontext";

struct Context {
  ucontext_t uc;
};

inline void context_prepare(Context& context, char* stack_lo, size_t stack_size, void (*entry)()) {
  if (getcontext(&context.uc) != 0) {
    std::fprintf(stderr, "fastnn emulator: getcontext failed\n");
    std::abort();
  }
  context.uc.uc_stack.ss_sp = stack_lo;
  context.uc.uc_stack.ss_size = stack_size;
  context.uc.uc_link = nullptr;
  makecontext(&context.uc, entry, 0);
}

inline void context_switch(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }

}  // namespace fastnn::emu::detail
