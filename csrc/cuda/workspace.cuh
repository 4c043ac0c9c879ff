// Temporary device memory for one launcher call, freed when it goes out of scope: stream-ordered
// (cudaMallocAsync / cudaFreeAsync) on a GPU, plain cudaMalloc under the emulator, whose streams
// run synchronously. Allocation failure throws std::bad_alloc (MemoryError in Python).
#pragma once
#include <cstddef>
#include <new>

#include "cuda/launch.cuh"

namespace fastnn::cuda {

class Workspace {
 public:
  Workspace(size_t bytes, cudaStream_t stream) : stream_(stream) {
    if (bytes == 0) bytes = 1;
#if defined(__CUDACC__)
    const cudaError_t e = cudaMallocAsync(&data_, bytes, stream);
#else
    const cudaError_t e = cudaMalloc(&data_, bytes);
#endif
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear it: the failure is reported as bad_alloc
      throw std::bad_alloc();
    }
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
#if defined(__CUDACC__)
    cudaFreeAsync(data_, stream_);
#else
    cudaFree(data_);
#endif
  }

  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace fastnn::cuda
