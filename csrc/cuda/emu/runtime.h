// The CUDA runtime calls that launchers and tests use, on host memory: device memory is
// aligned host memory, copies in any direction are memcpy, streams exist only as handles and
// every call (launches too) completes before it returns. Errors are recorded per host thread
// like CUDA's: cudaGetLastError returns and clears the last one; fastnn::emu::last_error_detail
// says what went wrong in the last failed launch (kernel, block, thread, source line).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "cuda/emu/shared_arena.h"

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };

struct CUstream_st;
typedef CUstream_st* cudaStream_t;

namespace fastnn::emu {
namespace detail {

inline thread_local cudaError_t last_error = cudaSuccess;
inline thread_local std::string last_detail;

inline cudaError_t record(cudaError_t e, std::string detail = {}) {
  if (e != cudaSuccess) {
    last_error = e;
    last_detail = std::move(detail);
  }
  return e;
}

// Per-kernel cudaFuncAttributeMaxDynamicSharedMemorySize, keyed by the kernel's address.
inline std::mutex& attribute_mutex() {
  static std::mutex m;
  return m;
}
inline std::map<const void*, size_t>& max_dynamic_smem() {
  static std::map<const void*, size_t> m;
  return m;
}

inline cudaError_t copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return record(cudaErrorInvalidMemcpyDirection);
  if (count && (!dst || !src)) return record(cudaErrorInvalidValue, "cudaMemcpy with a null pointer");
  if (count) std::memmove(dst, src, count);
  return cudaSuccess;
}

}  // namespace detail

inline const std::string& last_error_detail() { return detail::last_detail; }

}  // namespace fastnn::emu

inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}
inline cudaError_t cudaGetLastError() {
  cudaError_t e = fastnn::emu::detail::last_error;
  fastnn::emu::detail::last_error = cudaSuccess;
  return e;
}
inline cudaError_t cudaPeekAtLastError() { return fastnn::emu::detail::last_error; }

inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (!p) return fastnn::emu::detail::record(cudaErrorInvalidValue, "cudaMalloc with a null pointer");
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256 + 256 * (bytes == 0));
  return *p ? cudaSuccess : fastnn::emu::detail::record(cudaErrorMemoryAllocation);
}
template <class T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  return fastnn::emu::detail::copy(dst, src, count, kind);
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                                   cudaStream_t = nullptr) {
  return fastnn::emu::detail::copy(dst, src, count, kind);
}
inline cudaError_t cudaMemset(void* dst, int value, size_t count) {
  if (count && !dst) return fastnn::emu::detail::record(cudaErrorInvalidValue, "cudaMemset with a null pointer");
  if (count) std::memset(dst, value, count);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* dst, int value, size_t count, cudaStream_t = nullptr) {
  return cudaMemset(dst, value, count);
}
template <class T>
cudaError_t cudaMemcpyToSymbol(T& symbol, const void* src, size_t count, size_t offset = 0,
                               cudaMemcpyKind kind = cudaMemcpyHostToDevice) {
  if (offset + count > sizeof(T)) return fastnn::emu::detail::record(cudaErrorInvalidValue, "copy past the symbol's end");
  return fastnn::emu::detail::copy(reinterpret_cast<char*>(&symbol) + offset, src, count, kind);
}
template <class T>
cudaError_t cudaMemcpyFromSymbol(void* dst, const T& symbol, size_t count, size_t offset = 0,
                                 cudaMemcpyKind kind = cudaMemcpyDeviceToHost) {
  if (offset + count > sizeof(T)) return fastnn::emu::detail::record(cudaErrorInvalidValue, "copy past the symbol's end");
  return fastnn::emu::detail::copy(dst, reinterpret_cast<const char*>(&symbol) + offset, count, kind);
}

inline cudaError_t cudaStreamCreate(cudaStream_t* s) {
  static char handle;  // streams are synchronous: every stream is the same queue
  *s = reinterpret_cast<cudaStream_t>(&handle);
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int d) {
  return d == 0 ? cudaSuccess : fastnn::emu::detail::record(cudaErrorInvalidValue, "the emulator has device 0 only");
}

template <class... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attribute, int value) {
  using namespace fastnn::emu::detail;
  if (attribute != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 ||
      static_cast<size_t>(value) > kSharedOptInLimit)
    return record(cudaErrorInvalidValue, "cudaFuncSetAttribute: unsupported attribute or value");
  std::lock_guard<std::mutex> lock(attribute_mutex());
  max_dynamic_smem()[reinterpret_cast<const void*>(kernel)] = static_cast<size_t>(value);
  return cudaSuccess;
}
