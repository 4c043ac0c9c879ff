// The state of a launch, of a worker (an OS thread running blocks) and of a fiber (one CUDA
// thread), and the switches between fibers.
//
// A block runs on one worker. Its fibers run in passes: the scheduler orders the runnable fibers
// (schedule.h), enters the first, and each fiber that blocks (barrier, warp operation) or ends
// switches straight to the next fiber of the pass; the last one switches back to the scheduler,
// which then releases barriers (block_scheduler.h). Fibers never move between OS threads, so
// thread_local state is valid in them.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/emu/asan.h"
#include "cuda/emu/context.h"
#include "cuda/emu/options.h"
#include "cuda/emu/shared_arena.h"
#include "cuda/emu/stack.h"
#include "cuda/emu/vector_types.h"

namespace fastnn::emu::detail {

enum class FiberState : uint8_t { runnable, block_barrier, warp_op, done };

enum class WarpOp : uint8_t { sync, shfl_idx, shfl_up, shfl_down, shfl_xor, ballot };

inline const char* warp_op_name(WarpOp op) {
  switch (op) {
    case WarpOp::sync: return "__syncwarp";
    case WarpOp::shfl_idx: return "__shfl_sync";
    case WarpOp::shfl_up: return "__shfl_up_sync";
    case WarpOp::shfl_down: return "__shfl_down_sync";
    case WarpOp::shfl_xor: return "__shfl_xor_sync";
    case WarpOp::ballot: return "__ballot_sync/__any_sync/__all_sync";
  }
  return "?";
}

// What a lane brings to a warp operation, and what it takes away.
struct WarpRequest {
  WarpOp op = WarpOp::sync;
  unsigned mask = 0;
  uint64_t value = 0;  // the shuffled bits, or the ballot predicate
  int arg = 0;         // source lane, delta or lane mask
  int width = 32;
  uint64_t result = 0;
  unsigned group = 0;  // lanes that took part
};

struct Fiber {
  Context context;
  std::unique_ptr<Stack> stack;
  void* asan_fake_stack = nullptr;
  FiberState state = FiberState::done;
  uint3 index{0, 0, 0};
  unsigned linear = 0;
  const char* file = "";  // where it waits
  int line = 0;
  WarpRequest warp;
};

struct LaunchState {
  const char* kernel = "";
  void (*invoke)(const void*) = nullptr;
  const void* call = nullptr;
  dim3 grid, block;
  unsigned threads_per_block = 0;
  uint64_t blocks = 0;
  size_t dynamic_smem = 0, smem_limit = 0;
  Options options;
  std::atomic<uint64_t> next_block{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;

  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (error.empty()) error = message;
    failed.store(true);
  }
};

struct Worker {
  std::vector<std::unique_ptr<Fiber>> fibers;
  size_t stack_bytes = 0;
  bool stacks_dirty = false;  // a block failed: its fibers' stacks hold abandoned frames
  Context scheduler;
  const void* scheduler_stack = nullptr;
  size_t scheduler_stack_size = 0;
  void* scheduler_fake_stack = nullptr;
  std::vector<Fiber*> pass;
  size_t cursor = 0;
  Fiber* current = nullptr;
  LaunchState* launch = nullptr;
  uint3 block{0, 0, 0};
  uint64_t block_linear = 0;
  SharedArena shared;
};

// What kernel code reads through threadIdx, blockIdx, blockDim, gridDim.
struct ThreadState {
  uint3 thread_idx{0, 0, 0};
  uint3 block_idx{0, 0, 0};
  dim3 block_dim, grid_dim;
  Worker* worker = nullptr;
};
inline thread_local ThreadState tls;

inline std::string format_index(uint3 i) {
  return "(" + std::to_string(i.x) + "," + std::to_string(i.y) + "," + std::to_string(i.z) + ")";
}

// "kernel 'k' block (x,y,z): " followed by what went wrong.
inline std::string block_context(const Worker& w) {
  return std::string("kernel '") + w.launch->kernel + "' block " + format_index(w.block) + ": ";
}

inline Worker& current_worker(const char* what) {
  Worker* w = tls.worker;
  if (!w || !w->current) {
    std::fprintf(stderr, "fastnn emulator: %s called outside a kernel\n", what);
    std::abort();
  }
  return *w;
}

// Switches from `from` (a fiber, or the scheduler) into fiber `to`; returns when `from` is resumed.
inline void enter_fiber(Worker& w, Context& from, void** from_fake_stack, Fiber& to) {
  w.current = &to;
  tls.thread_idx = to.index;
  asan_start_switch(from_fake_stack, to.stack->lo(), to.stack->size());
  context_switch(from, to.context);
  asan_finish_switch(from_fake_stack ? *from_fake_stack : nullptr);
}

// Leaves fiber f for the next fiber of the pass, or the scheduler after the last one.
// `fake_stack` is null when f has finished and will never be resumed.
inline void leave_fiber(Worker& w, Fiber& f, void** fake_stack) {
  if (w.cursor < w.pass.size()) {
    Fiber& next = *w.pass[w.cursor++];
    enter_fiber(w, f.context, fake_stack, next);
    return;
  }
  w.current = nullptr;
  asan_start_switch(fake_stack, w.scheduler_stack, w.scheduler_stack_size);
  context_switch(f.context, w.scheduler);
  asan_finish_switch(fake_stack ? *fake_stack : nullptr);
}

// The calling fiber waits (at a barrier or warp operation) until the scheduler releases it.
inline void wait_current(Worker& w, FiberState why) {
  Fiber& f = *w.current;
  f.state = why;
  leave_fiber(w, f, &f.asan_fake_stack);
}

// A failure of the running fiber: record_failure notes it for the launch, then
// abandon_current leaves the fiber for good (its block is abandoned). They are separate calls
// so that no temporary of the message is alive in the abandoned frame (it would leak).
inline void record_failure(const std::string& what) {
  Worker& w = current_worker("a failing kernel");
  w.launch->fail(block_context(w) + "thread " + format_index(w.current->index) + ": " + what);
}

[[noreturn]] inline void abandon_current() {
  Worker& w = current_worker("a failing kernel");
  Fiber& f = *w.current;
  f.state = FiberState::done;
  w.current = nullptr;
  asan_start_switch(nullptr, w.scheduler_stack, w.scheduler_stack_size);
  context_switch(f.context, w.scheduler);
  __builtin_unreachable();
}

}  // namespace fastnn::emu::detail
