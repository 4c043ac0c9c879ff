// fastnn's thread pool: persistent workers behind parallel_region (core/parallel.h).
//
// A region runs fn(ctx, tid, n) for tid = 0..n-1: tid 0 on the calling thread, the others on
// workers 1..n-1, each always the same worker, so static partitions land on the same threads
// (and their thread-local workspaces) from call to call. Waiting, for a job or for the others to
// finish, spins for spin_us() microseconds and then sleeps on a futex, so back-to-back kernels
// start without a wake-up while an idle or shared machine gets its cores back.
//
// Rules (what makes it safe without care from the kernels):
// - One region at a time per process. A call from inside a region of several workers (nested)
//   runs inline as one worker, and so does a call from a second thread while another thread's
//   region runs: results never depend on the number of workers, so both only cost parallelism,
//   never a wrong answer. A region of one worker is no region: regions started inside it may
//   use the pool.
// - An exception thrown by any worker's fn reaches the caller of run_region (the first one thrown;
//   workers still waiting in barrier() at that moment leave fn by an internal exception).
// - After fork() the child starts with a fresh, empty pool (pthread_atfork); the parent's
//   workers do not exist there and are never touched.
#pragma once

namespace fastnn {

using RegionFn = void (*)(void* ctx, int tid, int nworkers);

// Runs fn(ctx, tid, n) on n <= nworkers threads (fewer only when workers cannot be started, or
// n = 1 in the inline cases above) and returns when all have returned; nworkers <= 1 calls
// fn(ctx, 0, 1) at once.
void run_region(int nworkers, RegionFn fn, void* ctx);

// Inside a region: returns once every worker of the region has called it. Elsewhere (inline
// regions of one worker) it returns at once.
void barrier();

// Spin time of waiting threads in microseconds (0: sleep at once). Default 50, or the
// environment variable FASTNN_SPIN_US when it holds an integer in [0, 1000000].
int spin_us();
void set_spin_us(int us);

// Keeps at most `threads` - 1 workers: stops and joins the rest (waits for a running region).
void trim_thread_pool(int threads);
// Workers started now (diagnostics and tests).
int thread_pool_workers();

}  // namespace fastnn
