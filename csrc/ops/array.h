// The array descriptor every op description and every backend adapter speaks: a data pointer,
// an element type, a shape and strides in elements, where the memory lives and whether it may
// be written. Plain C++ (no Python, no device API): the host adapter fills it from a NumPy array,
// the device adapter from __cuda_array_interface__, and csrc/ops/<family>.h check it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace fastnn::ops {

// NumPy's limit (NPY_MAXDIMS in NumPy 2); a device array with more dims is refused.
constexpr int kMaxDims = 64;

enum class DType : uint8_t { float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool_, other };
enum class Device : uint8_t { host, cuda };

size_t itemsize(DType t);
const char* dtype_name(DType t);  // "float32", ...; "other" has no name (Array::type_name has it)
inline bool is_float(DType t) { return t == DType::float32 || t == DType::float64; }
inline bool is_integer(DType t) { return t >= DType::int8 && t <= DType::uint64; }

// A shape without heap allocation: at most kMaxDims sizes.
struct Shape {
  int ndim = 0;
  int64_t dims[kMaxDims];

  Shape() = default;
  Shape(std::initializer_list<int64_t> d);
  Shape(const int64_t* d, int n);
  void push_back(int64_t d);
  int64_t operator[](int i) const { return dims[i]; }
  int64_t& operator[](int i) { return dims[i]; }
  int64_t numel() const;
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

// "(3, 4)", "(5,)", "()"
std::string shape_string(const Shape& s);

struct Array {
  void* data = nullptr;
  DType dtype = DType::other;
  const char* type_name = "";  // the producer's name for the dtype, for messages ("float16", "<U3")
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];  // in elements, any sign
  Device device = Device::host;
  bool writeable = false;

  int64_t size() const;
  Shape dims() const { return Shape(shape, ndim); }
  bool c_contiguous() const;
  // [lo, hi] byte addresses the array can touch; empty arrays touch none (lo > hi).
  void byte_bounds(intptr_t* lo, intptr_t* hi) const;

  template <class T>
  const T* in() const {
    return static_cast<const T*>(data);
  }
  template <class T>
  T* out() const {
    return static_cast<T*>(data);
  }
};

// Typed pointer of an optional array: null when there is none.
template <class T>
const T* in_or_null(const Array* a) {
  return a ? a->in<T>() : nullptr;
}
template <class T>
T* out_or_null(const Array* a) {
  return a ? a->out<T>() : nullptr;
}

}  // namespace fastnn::ops
