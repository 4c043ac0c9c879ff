// What kernel code calls: the built-in indices, __syncthreads, and the warp operations
// (__syncwarp, shuffles, votes), each of which suspends the calling fiber until the scheduler
// releases it (block_scheduler.h, warp_collective.h). Call sites are recorded with
// __builtin_FILE/__builtin_LINE for error messages and for the check that a block's threads
// wait at the same __syncthreads.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "cuda/emu/worker.h"

inline constexpr int warpSize = 32;

namespace fastnn::emu::detail {

inline const uint3& thread_index() { return tls.thread_idx; }
inline const uint3& block_index() { return tls.block_idx; }
inline const dim3& block_dim() { return tls.block_dim; }
inline const dim3& grid_dim() { return tls.grid_dim; }

inline unsigned lane_of(const Fiber& f) { return f.linear % 32; }

inline WarpRequest& warp_wait(WarpOp op, unsigned mask, uint64_t value, int arg, int width, const char* file,
                              int line) {
  Worker& w = current_worker(warp_op_name(op));
  Fiber& f = *w.current;
  f.file = file;
  f.line = line;
  if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
    record_failure(std::string(warp_op_name(op)) + " at " + file + ":" + std::to_string(line) +
                   ": width must be a power of two in [1, 32], got " + std::to_string(width));
    abandon_current();
  }
  f.warp = WarpRequest{op, mask, value, arg, width, 0, 0};
  wait_current(w, FiberState::warp_op);
  return f.warp;
}

template <class T>
T shuffle(WarpOp op, unsigned mask, T var, int arg, int width, const char* file, int line) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffles move values of at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  const WarpRequest& r = warp_wait(op, mask, bits, arg, width, file, line);
  T out;
  std::memcpy(&out, &r.result, sizeof(T));
  return out;
}

}  // namespace fastnn::emu::detail

#define threadIdx (::fastnn::emu::detail::thread_index())
#define blockIdx (::fastnn::emu::detail::block_index())
#define blockDim (::fastnn::emu::detail::block_dim())
#define gridDim (::fastnn::emu::detail::grid_dim())

inline void __syncthreads(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  using namespace ::fastnn::emu::detail;
  Worker& w = current_worker("__syncthreads");
  w.current->file = file;
  w.current->line = line;
  wait_current(w, FiberState::block_barrier);
}

inline void __syncwarp(unsigned mask = 0xffffffffu, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  ::fastnn::emu::detail::warp_wait(::fastnn::emu::detail::WarpOp::sync, mask, 0, 0, 32, file, line);
}

template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize, const char* file = __builtin_FILE(),
              int line = __builtin_LINE()) {
  return ::fastnn::emu::detail::shuffle(::fastnn::emu::detail::WarpOp::shfl_idx, mask, var, src_lane, width, file, line);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  return ::fastnn::emu::detail::shuffle(::fastnn::emu::detail::WarpOp::shfl_up, mask, var, static_cast<int>(delta),
                                        width, file, line);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char* file = __builtin_FILE(),
                   int line = __builtin_LINE()) {
  return ::fastnn::emu::detail::shuffle(::fastnn::emu::detail::WarpOp::shfl_down, mask, var, static_cast<int>(delta),
                                        width, file, line);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  return ::fastnn::emu::detail::shuffle(::fastnn::emu::detail::WarpOp::shfl_xor, mask, var, lane_mask, width, file, line);
}

inline unsigned __ballot_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  using namespace ::fastnn::emu::detail;
  return static_cast<unsigned>(warp_wait(WarpOp::ballot, mask, predicate != 0, 0, 32, file, line).result);
}
inline int __any_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return __ballot_sync(mask, predicate, file, line) != 0;
}
inline int __all_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  using namespace ::fastnn::emu::detail;
  const WarpRequest& r = warp_wait(WarpOp::ballot, mask, predicate != 0, 0, 32, file, line);
  return static_cast<unsigned>(r.result) == r.group;
}

[[noreturn]] inline void __trap() {
  ::fastnn::emu::detail::record_failure("__trap() called");
  ::fastnn::emu::detail::abandon_current();
}
