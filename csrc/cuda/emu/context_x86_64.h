// x86-64 System V context switch (see context.h).
//
// A suspended context is a stack pointer; the stack at that address holds, from low to high:
//   [mxcsr | x87 cw] r15 r14 r13 r12 rbx rbp [return address]
// fastnn_emu_switch(save, to) pushes that frame, stores %rsp in *save, loads `to` and pops.
// A fresh context gets the same frame built by hand, with rbx = entry and the return address =
// fastnn_emu_start, which calls *%rbx with %rsp 16-byte aligned and marks the end of the call
// chain for unwinders. The functions live in a COMDAT group so that this header may be
// included by any number of translation units, and are hidden so modules never share them.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" void fastnn_emu_switch(void** save_sp, void* to_sp);
extern "C" void fastnn_emu_start();

asm(R"(
  .pushsection .text.fastnn_emu_switch,"axG",@progbits,fastnn_emu_switch,comdat
  .weak fastnn_emu_switch
  .hidden fastnn_emu_switch
  .type fastnn_emu_switch,@function
fastnn_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size fastnn_emu_switch, .-fastnn_emu_switch
  .popsection

  .pushsection .text.fastnn_emu_start,"axG",@progbits,fastnn_emu_start,comdat
  .weak fastnn_emu_start
  .hidden fastnn_emu_start
  .type fastnn_emu_start,@function
fastnn_emu_start:
  .cfi_startproc
  .cfi_undefined rip
  callq *%rbx
  ud2
  .cfi_endproc
  .size fastnn_emu_start, .-fastnn_emu_start
  .popsection
)");

namespace fastnn::emu::detail {

inline constexpr const char* kContextBackend = "x86_64";

struct Context {
  void* sp = nullptr;
};

// Builds the frame fastnn_emu_switch pops: after its `ret` into fastnn_emu_start, %rsp is the
// 16-byte aligned top, so the `call *%rbx` there enters `entry` with %rsp = 8 (mod 16).
inline void context_prepare(Context& context, char* stack_lo, size_t stack_size, void (*entry)()) {
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack_lo) + stack_size) & ~uintptr_t(15);
  uint64_t* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = reinterpret_cast<uint64_t>(&fastnn_emu_start);  // return address of the switch
  *--sp = 0;                                               // rbp: end of the frame chain
  *--sp = reinterpret_cast<uint64_t>(entry);               // rbx
  for (int i = 0; i < 4; ++i) *--sp = 0;                   // r12 r13 r14 r15
  uint32_t control[2] = {0, 0};
  __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
  --sp;
  __builtin_memcpy(sp, control, sizeof control);  // this thread's rounding and exception masks
  context.sp = sp;
}

inline void context_switch(Context& from, Context& to) { fastnn_emu_switch(&from.sp, to.sp); }

}  // namespace fastnn::emu::detail
