// Shared memory declarations, spelled the same in both builds (launch.cuh gives the nvcc ones):
//   FASTNN_SHARED(float, tile, [32][33]);   //  __shared__ float tile[32][33];
//   FASTNN_DYNAMIC_SHARED(float, buffer);   //  extern __shared__ float buffer[];  (as a pointer)
// Here `tile` becomes a reference to the block's copy in the worker's SharedArena, found by the
// address of a static key unique to the declaration (and to each template instantiation).
#pragma once
#include <string>

#include "cuda/emu/worker.h"

namespace fastnn::emu::detail {

template <class T>
T& block_shared(const void* key) {
  Worker& w = current_worker("FASTNN_SHARED");
  std::string error;
  void* p = w.shared.get_static(key, sizeof(T), alignof(T), &error);
  if (!p) {
    record_failure(error);
    std::string().swap(error);
    abandon_current();
  }
  return *static_cast<T*>(p);
}

inline void* dynamic_shared() { return current_worker("FASTNN_DYNAMIC_SHARED").shared.dynamic(); }

}  // namespace fastnn::emu::detail

#define FASTNN_SHARED(type, name, ...)                         \
  static const char fastnn_shared_key_##name = 0;             \
  using fastnn_shared_type_##name = type __VA_ARGS__;         \
  fastnn_shared_type_##name& name =                           \
      ::fastnn::emu::detail::block_shared<fastnn_shared_type_##name>(&fastnn_shared_key_##name)

#define FASTNN_DYNAMIC_SHARED(type, name) \
  type* name = static_cast<type*>(::fastnn::emu::detail::dynamic_shared())
