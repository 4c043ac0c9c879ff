// AVX2 + FMA activation and softmax loops for float32 (8 lanes); tails through maskload/maskstore.
#include <immintrin.h>

#include "cpu/simd/pointwise_kernels.h"
#include "cpu/simd/rnn_gate_kernels.h"

namespace fastnn::cpu::avx2 {
namespace {

#include "cpu/simd/vec_avx2.inc"
#include "cpu/simd/vec_math.inc"
#include "cpu/simd/pointwise_impl.inc"
#include "cpu/simd/rnn_gates_impl.inc"

}  // namespace

constexpr PointwiseKernels<float> pointwise_f32 = Pointwise<VecF32>::table();
constexpr RnnGateKernels<float> rnn_gates_f32 = RnnGates<VecF32>::table();

}  // namespace fastnn::cpu::avx2
