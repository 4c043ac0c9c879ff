// Execution contexts for fibers: prepare a context that starts `entry` on a given stack, and
// switch from one context to another. One implementation is chosen at compile time:
//   x86-64 (default there): context_x86_64.h, a hand-written switch that saves the callee-saved
//     registers and the SSE/x87 control words on the old stack and swaps %rsp (no syscall);
//   anything else, or with FASTNN_EMU_UCONTEXT defined: context_ucontext.h, glibc's
//     makecontext/swapcontext (portable, but each switch makes a sigprocmask syscall).
// Both give the entry function a 16-byte aligned stack as the SysV ABI requires.
#pragma once

#if defined(__x86_64__) && !defined(FASTNN_EMU_UCONTEXT)
#include "cuda/emu/context_x86_64.h"
#else
#include "cuda/emu/context_ucontext.h"
#endif
