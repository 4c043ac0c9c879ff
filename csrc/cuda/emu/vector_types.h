// CUDA's built-in vector types (dim3, uint3, float2/4, double2, int2/4, ...) with their make_*
// functions. Alignments are CUDA's, so a reinterpret_cast<const float4*> load has the same
// requirements as on the device.
#pragma once

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

#define FASTNN_EMU_VECTOR2(name, T, align)                                   \
  struct alignas(align) name {                                               \
    T x, y;                                                                  \
  };                                                                         \
  inline constexpr name make_##name(T x, T y) { return name{x, y}; }
#define FASTNN_EMU_VECTOR4(name, T, align)                                   \
  struct alignas(align) name {                                               \
    T x, y, z, w;                                                            \
  };                                                                         \
  inline constexpr name make_##name(T x, T y, T z, T w) { return name{x, y, z, w}; }

FASTNN_EMU_VECTOR2(float2, float, 8)
FASTNN_EMU_VECTOR4(float4, float, 16)
FASTNN_EMU_VECTOR2(double2, double, 16)
FASTNN_EMU_VECTOR2(int2, int, 8)
FASTNN_EMU_VECTOR4(int4, int, 16)
FASTNN_EMU_VECTOR2(uint2, unsigned, 8)
FASTNN_EMU_VECTOR4(uint4, unsigned, 16)

#undef FASTNN_EMU_VECTOR2
#undef FASTNN_EMU_VECTOR4
