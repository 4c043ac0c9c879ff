// The one parallel-for helper: every threaded kernel runs through parallel_region or
// parallel_for, on fastnn's own thread pool (core/thread_pool.h). Results never depend on the
// thread count: callers split work into pieces whose arithmetic does not change with the split
// (no reduction across threads except in a fixed order).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "core/thread_pool.h"

namespace fastnn {

// Threads kernels use. Default: OMP_NUM_THREADS when it holds a positive integer (the first of
// a list), else the cores this process may run on.
int num_threads();
void set_num_threads(int n);  // n >= 1; stops pool workers beyond n - 1

// The contiguous share [begin, end) of `total` items that worker `tid` of `nworkers` owns.
inline void split_range(int64_t total, int tid, int nworkers, int64_t* begin, int64_t* end) {
  int64_t base = total / nworkers, extra = total % nworkers;
  *begin = tid * base + std::min<int64_t>(tid, extra);
  *end = *begin + base + (tid < extra ? 1 : 0);
}

// Runs body(tid, nworkers) on up to `nworkers` threads, the caller being tid 0, and returns
// when all are done; an exception from any body is rethrown here. Body must partition its work
// by (tid, nworkers) alone: the pool may run it with fewer workers (regions nested in a region
// of several workers, or started while another thread's region runs, run inline as body(0, 1)).
// Inside, barrier() synchronises the region's workers.
template <class Body>
void parallel_region(int nworkers, Body&& body) {
  using Fn = std::remove_reference_t<Body>;
  run_region(nworkers, [](void* ctx, int tid, int n) { (*static_cast<Fn*>(ctx))(tid, n); },
             const_cast<void*>(static_cast<const void*>(&body)));
}

// Runs body(begin, end) over contiguous chunks of [0, total); at most one chunk per thread and
// no thread gets fewer than `min_chunk` items, so small loops stay on one thread.
template <class Body>
void parallel_for(int64_t total, int64_t min_chunk, Body&& body) {
  if (total <= 0) return;
  int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), total / std::max<int64_t>(1, min_chunk)));
  parallel_region(static_cast<int>(chunks), [&](int tid, int nworkers) {
    int64_t begin, end;
    split_range(total, tid, nworkers, &begin, &end);
    if (begin < end) body(begin, end);
  });
}

}  // namespace fastnn
