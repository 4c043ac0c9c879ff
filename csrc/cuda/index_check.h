// The values of index arrays on the device (class indices, embedding ids), checked on the device:
// the bindings read only host arrays' values, and a device pointer must never be read on the host.
#pragma once
#include <cstdint>

struct CUstream_st;
typedef CUstream_st* cudaStream_t;  // as CUDA's driver_types.h declares it

namespace fastnn::cuda {

struct InvalidIndex {
  int64_t position = -1;  // -1: every index is valid
  int64_t value = 0;
};

// The first position i < n whose ids[i] is outside [0, limit) (and is not `exception`, when
// has_exception: cross-entropy's ignore_index). Waits for the stream (the answer is read back).
InvalidIndex first_index_out_of_range(cudaStream_t stream, const int64_t* ids, int64_t n, int64_t limit,
                                      bool has_exception, int64_t exception);

}  // namespace fastnn::cuda
