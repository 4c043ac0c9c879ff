// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): four
// 32-bit random words from a 64-bit counter and a 64-bit key, by ten rounds of two 32x32->64-bit
// multiplies with the Weyl key schedule. Counter-based: any word is computed on its own, so the
// CPU dropout kernel (cpu/dropout.cpp) and the CUDA one (cuda/dropout.cu) share this one function
// and draw identical masks. Host and device code (__host__ __device__ under nvcc).
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace fastnn {

struct Philox4x32 {
  uint32_t v[4];
};

FASTNN_HOST_DEVICE inline Philox4x32 philox4x32(uint64_t counter, uint64_t key) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c1 = uint32_t(p1);
    c3 = uint32_t(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

}  // namespace fastnn
