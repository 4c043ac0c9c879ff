// Completion of warp operations (__syncwarp, shuffles, votes), run by the scheduler between
// passes. Each warp is handled on its own: a lane waiting with mask M completes together with
// the other lanes of M (those that exist in the block) once all of them wait at the same kind
// of operation with the same mask. Other warps may meanwhile wait at __syncthreads or have
// exited, so a reduction in which only warp 0 shuffles works.
//
// Shuffle sources follow the PTX definition of shfl.sync (segmask = 32 - width, delta and lane
// taken modulo 32): a source outside the caller's segment (up/down/xor) yields the caller's own
// value; a source lane that does not take part yields poison bits (all ones: NaN, -1), which is
// what "undefined" looks like on the device.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "cuda/emu/worker.h"

namespace fastnn::emu::detail {

inline std::string format_hex(unsigned v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

inline constexpr uint64_t kWarpPoison = ~uint64_t(0);

// Source lane of a shuffle per PTX shfl.sync; `lane` when the source is outside the segment.
inline int shuffle_source(WarpOp op, int lane, int arg, int width) {
  const int segmask = (32 - width) & 31;
  const int b = arg & 31;
  const int min_lane = lane & segmask;
  const int max_lane = op == WarpOp::shfl_up ? min_lane : (min_lane | (31 & ~segmask));
  int j = lane;
  bool in_range = true;
  switch (op) {
    case WarpOp::shfl_up: j = lane - b; in_range = j >= max_lane; break;
    case WarpOp::shfl_down: j = lane + b; in_range = j <= max_lane; break;
    case WarpOp::shfl_xor: j = lane ^ b; in_range = j <= max_lane; break;
    case WarpOp::shfl_idx: j = min_lane | (b & ~segmask); in_range = j <= max_lane; break;
    default: break;
  }
  return in_range ? j : lane;
}

inline void complete_group(Fiber* const* lanes, unsigned group) {
  WarpOp op = WarpOp::sync;
  for (int l = 0; l < 32; ++l)
    if (group >> l & 1) op = lanes[l]->warp.op;
  unsigned ballot = 0;
  if (op == WarpOp::ballot)
    for (int l = 0; l < 32; ++l)
      if ((group >> l & 1) && lanes[l]->warp.value) ballot |= 1u << l;
  for (int l = 0; l < 32; ++l) {
    if (!(group >> l & 1)) continue;
    WarpRequest& r = lanes[l]->warp;
    r.group = group;
    if (op == WarpOp::ballot) {
      r.result = ballot;
    } else if (op != WarpOp::sync) {
      int j = shuffle_source(op, l, r.arg, r.width);
      r.result = (group >> j & 1) ? lanes[j]->warp.value : kWarpPoison;
    }
  }
  for (int l = 0; l < 32; ++l)
    if (group >> l & 1) lanes[l]->state = FiberState::runnable;
}

// Completes every ready group of one warp (`lanes[0..count)`); returns whether any completed,
// or sets `error` when the warp can never complete (a named lane exited, masks disagree).
inline bool complete_warp(Fiber* const* lanes, int count, std::string* error) {
  const unsigned exists = count == 32 ? ~0u : (1u << count) - 1;
  unsigned waiting = 0, done = 0;
  for (int l = 0; l < count; ++l) {
    if (lanes[l]->state == FiberState::warp_op) waiting |= 1u << l;
    if (lanes[l]->state == FiberState::done) done |= 1u << l;
  }
  bool progress = false;
  unsigned handled = 0;
  for (int l = 0; l < count; ++l) {
    if (!(waiting >> l & 1) || (handled >> l & 1)) continue;
    const WarpRequest& r = lanes[l]->warp;
    const unsigned group = r.mask & exists;
    auto where = [&](int lane) {
      return std::string(warp_op_name(lanes[lane]->warp.op)) + " at " + lanes[lane]->file + ":" +
             std::to_string(lanes[lane]->line);
    };
    if (!(group >> l & 1)) {
      *error = "thread " + format_index(lanes[l]->index) + " calls " + where(l) + " with mask " +
               format_hex(r.mask) + " that does not name its own lane " + std::to_string(l);
      return false;
    }
    if (group & done) {
      int gone = __builtin_ctz(group & done);
      *error = "thread " + format_index(lanes[l]->index) + " waits at " + where(l) + " for lane " +
               std::to_string(gone) + " of its warp, which has exited";
      return false;
    }
    if (group & ~waiting) continue;  // a named lane is still elsewhere (maybe a deadlock)
    for (int k = 0; k < count; ++k) {
      if (!(group >> k & 1)) continue;
      const WarpRequest& o = lanes[k]->warp;
      if (o.op != r.op || (o.mask & exists) != group) {
        *error = "lanes of one warp meet at different warp operations: thread " + format_index(lanes[l]->index) +
                 " at " + where(l) + " and thread " + format_index(lanes[k]->index) + " at " + where(k);
        return false;
      }
    }
    complete_group(lanes, group);
    handled |= group;
    progress = true;
  }
  return progress;
}

}  // namespace fastnn::emu::detail
