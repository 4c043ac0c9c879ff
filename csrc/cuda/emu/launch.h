// Launching a kernel: checks the configuration as CUDA does, then runs the grid's blocks on
// worker threads (the calling thread and up to workers-1 more, never more than there are
// blocks), each worker taking the next block from a shared counter and running it on its
// fibers. Workers and their fiber stacks are pooled and reused by later launches. The launch
// returns when every block has finished (streams are synchronous); a failure of any block
// stops the others from starting new blocks and is reported through cudaGetLastError.
#pragma once
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda/emu/block_scheduler.h"
#include "cuda/emu/runtime.h"

namespace fastnn::emu {
namespace detail {

inline std::mutex& pool_mutex() {
  static std::mutex m;
  return m;
}
inline std::vector<std::unique_ptr<Worker>>& pool() {
  static std::vector<std::unique_ptr<Worker>> p;
  return p;
}

inline std::unique_ptr<Worker> acquire_worker() {
  std::lock_guard<std::mutex> lock(pool_mutex());
  if (pool().empty()) return std::make_unique<Worker>();
  std::unique_ptr<Worker> w = std::move(pool().back());
  pool().pop_back();
  return w;
}

inline void release_worker(std::unique_ptr<Worker> w) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  pool().push_back(std::move(w));
}

// The body of each worker thread (the caller's included).
inline void run_blocks(LaunchState& launch) {
  std::unique_ptr<Worker> w;
  try {
    w = acquire_worker();
    w->launch = &launch;
    w->shared.begin_launch(launch.dynamic_smem, launch.smem_limit);
    asan_thread_stack(&w->scheduler_stack, &w->scheduler_stack_size);
    tls.worker = w.get();
    tls.block_dim = launch.block;
    tls.grid_dim = launch.grid;
    for (uint64_t id; !launch.failed.load(std::memory_order_relaxed) &&
                      (id = launch.next_block.fetch_add(1, std::memory_order_relaxed)) < launch.blocks;)
      run_block(*w, id);
  } catch (const std::exception& e) {
    launch.fail(std::string("kernel '") + launch.kernel + "': the emulator could not run it: " + e.what());
  }
  tls = ThreadState{};
  if (w) {
    w->shared.end_launch();
    w->launch = nullptr;
    release_worker(std::move(w));
  }
}

inline cudaError_t check_configuration(const char* kernel, dim3 grid, dim3 block, size_t smem, size_t limit) {
  auto bad = [&](cudaError_t e, const std::string& what) {
    return record(e, std::string("kernel '") + kernel + "': " + what);
  };
  if (!grid.x || !grid.y || !grid.z || !block.x || !block.y || !block.z)
    return bad(cudaErrorInvalidConfiguration, "grid and block dimensions must be positive");
  if (block.x > 1024 || block.y > 1024 || block.z > 64 || uint64_t(block.x) * block.y * block.z > 1024)
    return bad(cudaErrorInvalidConfiguration, "a block has at most 1024 threads (x, y <= 1024, z <= 64), got " +
                                                  format_index(block));
  if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
    return bad(cudaErrorInvalidConfiguration, "grid " + format_index(grid) + " exceeds (2^31-1, 65535, 65535)");
  if (smem > limit)
    return bad(cudaErrorInvalidValue, std::to_string(smem) + " bytes of dynamic shared memory exceed the kernel's " +
                                          std::to_string(limit) + " (raise it with cudaFuncSetAttribute)");
  return cudaSuccess;
}

inline void launch_erased(const char* kernel, const void* address, void (*invoke)(const void*), const void* call,
                          dim3 grid, dim3 block, size_t smem) {
  if (tls.worker) {
    record(cudaErrorLaunchFailure, std::string("kernel '") + kernel + "' launched from inside a kernel");
    return;
  }
  LaunchState launch;
  launch.options = options();
  if (!launch.options.error.empty()) {
    record(cudaErrorInvalidValue, launch.options.error);
    return;
  }
  size_t limit = kStaticSharedLimit;
  {
    std::lock_guard<std::mutex> lock(attribute_mutex());
    auto it = max_dynamic_smem().find(address);
    if (it != max_dynamic_smem().end()) limit = std::max(limit, it->second);
  }
  if (check_configuration(kernel, grid, block, smem, limit) != cudaSuccess) return;
  launch.kernel = kernel;
  launch.invoke = invoke;
  launch.call = call;
  launch.grid = grid;
  launch.block = block;
  launch.threads_per_block = block.x * block.y * block.z;
  launch.blocks = uint64_t(grid.x) * grid.y * grid.z;
  launch.dynamic_smem = smem;
  launch.smem_limit = limit;
  unsigned workers = launch.options.workers ? launch.options.workers : std::thread::hardware_concurrency();
  workers = static_cast<unsigned>(std::clamp<uint64_t>(launch.blocks, 1, std::max(workers, 1u)));
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([&launch] { run_blocks(launch); });
  run_blocks(launch);
  for (std::thread& t : threads) t.join();
  if (launch.failed.load()) record(cudaErrorLaunchFailure, launch.error);
}

template <class... P>
struct KernelCall {
  void (*kernel)(P...);
  std::tuple<std::decay_t<P>...> params;
  static void invoke(const void* self) {
    const KernelCall& c = *static_cast<const KernelCall*>(self);
    std::apply(c.kernel, c.params);  // every CUDA thread gets its own copy of the parameters
  }
};

}  // namespace detail

// kernel<<<grid, block, smem, stream>>>(args...), named `name` in error messages.
template <class... P, class... A>
void launch(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, size_t smem, cudaStream_t /*stream*/,
            A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "a kernel launch must pass every parameter");
  detail::KernelCall<P...> call{kernel, {std::forward<A>(args)...}};
  detail::launch_erased(name, reinterpret_cast<const void*>(kernel), &detail::KernelCall<P...>::invoke, &call, grid,
                        block, smem);
}

}  // namespace fastnn::emu
