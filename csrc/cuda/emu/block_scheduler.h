// Runs one block on the calling worker: prepares a fiber per CUDA thread, then alternates
// passes (every runnable fiber runs, in the schedule's order, until it waits or ends) with
// releases (warp groups that are complete; the block barrier once every thread waits at the
// same __syncthreads). When nothing can be released the block has deadlocked: the launch fails
// with a message naming the kernel, the block, threads and source lines, and the block's
// fibers are abandoned (their stacks are rebuilt for the next block).
//
// Schedules: forward (thread 0 first), reverse, or random (a fresh permutation every pass from
// a generator seeded by the seed and the block's index, so a block behaves the same on any
// worker). A race between threads of a block shows as a different result under another order.
#pragma once
#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>

#include "cuda/emu/warp_collective.h"
#include "cuda/emu/worker.h"

namespace fastnn::emu::detail {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

[[noreturn]] inline void fiber_main() {
  Worker& w = *tls.worker;
  asan_finish_switch(nullptr);
  Fiber& f = *w.current;
  std::string escaped;
  try {
    w.launch->invoke(w.launch->call);
  } catch (const std::exception& e) {
    escaped = e.what();
  } catch (...) {
    escaped = "an exception of unknown type";
  }
  // Reported outside the handler: the C++ runtime's record of the exception being handled
  // belongs to the OS thread, and must not stay open while another fiber runs.
  if (!escaped.empty()) {
    record_failure("the kernel threw: " + escaped);
    std::string().swap(escaped);
    abandon_current();
  }
  f.state = FiberState::done;
  leave_fiber(w, f, nullptr);
  __builtin_unreachable();
}

inline void prepare_fibers(Worker& w, const LaunchState& launch) {
  if (w.stack_bytes != launch.options.stack_bytes) {
    w.fibers.clear();
    w.stack_bytes = launch.options.stack_bytes;
  }
  const unsigned n = launch.threads_per_block;
  while (w.fibers.size() < n) {
    auto f = std::make_unique<Fiber>();
    f->stack = std::make_unique<Stack>(w.stack_bytes);
    w.fibers.push_back(std::move(f));
  }
  if (w.stacks_dirty) {  // the fibers of a failed block may have left frames at any depth
    for (auto& f : w.fibers) asan_forget_stack(f->stack->lo(), f->stack->size());
    w.stacks_dirty = false;
  }
  const dim3 b = launch.block;
  for (unsigned i = 0; i < n; ++i) {
    Fiber& f = *w.fibers[i];
    f.state = FiberState::runnable;
    f.linear = i;
    f.index = uint3{i % b.x, (i / b.x) % b.y, i / (b.x * b.y)};
    f.file = "";
    f.line = 0;
    f.asan_fake_stack = nullptr;
    // A fiber that finished left poisoned only the few frames at the top of its stack.
    const size_t top = std::min<size_t>(f.stack->size(), 32 * 1024);
    asan_forget_stack(f.stack->lo() + f.stack->size() - top, top);
    // Stack tops staggered by a cache line per fiber: equal offsets in every stack would put
    // the hot top frames of all fibers into the same few cache sets.
    const size_t colour = (i % 64) * 64;
    context_prepare(f.context, f.stack->lo(), f.stack->size() - colour, &fiber_main);
  }
}

inline void order_pass(Worker& w, Schedule schedule, uint64_t& rng) {
  w.pass.clear();
  const unsigned n = w.launch->threads_per_block;
  for (unsigned i = 0; i < n; ++i)
    if (w.fibers[i]->state == FiberState::runnable) w.pass.push_back(w.fibers[i].get());
  if (schedule == Schedule::reverse) {
    std::reverse(w.pass.begin(), w.pass.end());
  } else if (schedule == Schedule::random) {
    for (size_t i = w.pass.size(); i > 1; --i) std::swap(w.pass[i - 1], w.pass[splitmix64(rng) % i]);
  }
}

inline std::string where(const Fiber& f) { return std::string(f.file) + ":" + std::to_string(f.line); }

// The block barrier, once no thread can move otherwise. Returns false with `error` set when it
// cannot open: a thread exited or waits at another __syncthreads or at a warp operation.
inline bool release_block_barrier(Worker& w, std::string* error) {
  const unsigned n = w.launch->threads_per_block;
  const Fiber* first = nullptr;
  const Fiber* exited = nullptr;
  const Fiber* in_warp = nullptr;
  unsigned waiting = 0;
  for (unsigned i = 0; i < n; ++i) {
    const Fiber& f = *w.fibers[i];
    if (f.state == FiberState::done) {
      if (!exited) exited = &f;
    } else if (f.state == FiberState::warp_op) {
      if (!in_warp) in_warp = &f;
    } else if (f.state == FiberState::block_barrier) {
      ++waiting;
      if (!first) {
        first = &f;
      } else if ((f.file != first->file && std::string(f.file) != first->file) || f.line != first->line) {
        *error = "threads wait at different __syncthreads(): thread " + format_index(first->index) + " at " +
                 where(*first) + ", thread " + format_index(f.index) + " at " + where(f);
        return false;
      }
    }
  }
  const std::string count = std::to_string(waiting) + " of " + std::to_string(n) + " threads";
  if (in_warp) {
    *error = "deadlock: " + count + " wait at __syncthreads() (" + (first ? where(*first) : "none") +
             "), thread " + format_index(in_warp->index) + " waits at " + warp_op_name(in_warp->warp.op) + " (" +
             where(*in_warp) + ") for lanes that never arrive";
    return false;
  }
  if (exited) {
    *error = "__syncthreads() at " + where(*first) + " reached by " + count + ": thread " +
             format_index(exited->index) + " exited without reaching it (divergent barrier)";
    return false;
  }
  for (unsigned i = 0; i < n; ++i) w.fibers[i]->state = FiberState::runnable;
  return true;
}

// Releases what can be released after a pass. Returns false when the block has finished or
// failed (`error` set).
inline bool release(Worker& w, std::string* error) {
  const unsigned n = w.launch->threads_per_block;
  bool any_live = false, progress = false;
  Fiber* lanes[32];
  for (unsigned base = 0; base < n; base += 32) {
    const int count = static_cast<int>(std::min(32u, n - base));
    bool warp_waits = false;
    for (int l = 0; l < count; ++l) {
      lanes[l] = w.fibers[base + l].get();
      any_live |= lanes[l]->state != FiberState::done;
      warp_waits |= lanes[l]->state == FiberState::warp_op;
    }
    if (warp_waits) {
      progress |= complete_warp(lanes, count, error);
      if (!error->empty()) return false;
    }
  }
  if (!any_live) return false;
  return progress || release_block_barrier(w, error);
}

// Runs block `linear` of the launch; returns false when it failed (the launch holds the error).
inline bool run_block(Worker& w, uint64_t linear) {
  LaunchState& launch = *w.launch;
  const dim3 g = launch.grid;
  w.block_linear = linear;
  w.block = uint3{static_cast<unsigned>(linear % g.x), static_cast<unsigned>(linear / g.x % g.y),
                  static_cast<unsigned>(linear / (uint64_t(g.x) * g.y))};
  tls.block_idx = w.block;
  w.shared.begin_block();
  prepare_fibers(w, launch);
  uint64_t rng = launch.options.seed ^ (linear * 0xD1B54A32D192ED03ull);
  for (;;) {
    order_pass(w, launch.options.schedule, rng);
    if (!w.pass.empty()) {
      w.cursor = 1;
      enter_fiber(w, w.scheduler, &w.scheduler_fake_stack, *w.pass[0]);
      w.current = nullptr;
      if (launch.failed.load(std::memory_order_relaxed)) {
        w.stacks_dirty = true;
        return false;
      }
    }
    std::string error;
    if (!release(w, &error)) {
      if (error.empty()) return true;
      launch.fail(block_context(w) + error);
      w.stacks_dirty = true;
      return false;
    }
  }
}

}  // namespace fastnn::emu::detail
