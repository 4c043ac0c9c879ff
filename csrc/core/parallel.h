// The one place OpenMP is used. Results never depend on the thread count: callers split work
// into pieces whose arithmetic does not change with the split (no reduction across threads
// except in a fixed order).
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace fastnn {

int num_threads();            // threads kernels use (default: cores available, OMP_NUM_THREADS)
void set_num_threads(int n);  // n >= 1

// The contiguous share [begin, end) of `total` items that worker `tid` of `nworkers` owns.
inline void split_range(int64_t total, int tid, int nworkers, int64_t* begin, int64_t* end) {
  int64_t base = total / nworkers, extra = total % nworkers;
  *begin = tid * base + std::min<int64_t>(tid, extra);
  *end = *begin + base + (tid < extra ? 1 : 0);
}

// Runs body(tid, nworkers) on `nworkers` threads (1 runs inline, without OpenMP). Inside,
// `barrier()` synchronises all workers of the region.
template <class Body>
void parallel_region(int nworkers, Body&& body) {
  if (nworkers <= 1) {
    body(0, 1);
    return;
  }
#pragma omp parallel num_threads(nworkers)
  body(omp_get_thread_num(), omp_get_num_threads());
}

inline void barrier() {
#pragma omp barrier
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
