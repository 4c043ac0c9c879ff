// CUDA's atomic functions and memory fences on host memory. Blocks run concurrently on several
// workers, so these are real atomics (GCC __atomic builtins, relaxed like CUDA's); floating-point
// read-modify-writes are compare-and-swap loops. Each returns the old value, as in CUDA.
// CUDA has no float atomicMax: kernels use fastnn::cuda::atomic_max (csrc/cuda/atomics.cuh),
// built on the integer ones here, so that it is the same code in both builds.
#pragma once

namespace fastnn::emu::detail {

template <class T, class F>
T atomic_update(T* address, F update) {
  T old;
  __atomic_load(address, &old, __ATOMIC_RELAXED);
  T desired = update(old);
  while (!__atomic_compare_exchange(address, &old, &desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    desired = update(old);
  return old;
}

}  // namespace fastnn::emu::detail

#define FASTNN_EMU_INTEGER_ATOMICS(T)                                                                                    \
  inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }                                \
  inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }                                \
  inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }                              \
  inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }                                \
  inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }                                  \
  inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }                                \
  inline T atomicMax(T* a, T v) {                                                                                     \
    return ::fastnn::emu::detail::atomic_update(a, [v](T old) { return old < v ? v : old; });                         \
  }                                                                                                                   \
  inline T atomicMin(T* a, T v) {                                                                                     \
    return ::fastnn::emu::detail::atomic_update(a, [v](T old) { return v < old ? v : old; });                         \
  }                                                                                                                   \
  inline T atomicCAS(T* a, T compare, T v) {                                                                          \
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);                            \
    return compare;                                                                                                   \
  }

FASTNN_EMU_INTEGER_ATOMICS(int)
FASTNN_EMU_INTEGER_ATOMICS(unsigned)
FASTNN_EMU_INTEGER_ATOMICS(long long)
FASTNN_EMU_INTEGER_ATOMICS(unsigned long long)
#undef FASTNN_EMU_INTEGER_ATOMICS

inline float atomicAdd(float* a, float v) {
  return ::fastnn::emu::detail::atomic_update(a, [v](float old) { return old + v; });
}
inline double atomicAdd(double* a, double v) {
  return ::fastnn::emu::detail::atomic_update(a, [v](double old) { return old + v; });
}
inline float atomicExch(float* a, float v) {
  float old;
  __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);
  return old;
}

inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
