#include "ops/array.h"

#include "ops/error.h"

namespace fastnn::ops {

size_t itemsize(DType t) {
  switch (t) {
    case DType::float64: case DType::int64: case DType::uint64: return 8;
    case DType::float32: case DType::int32: case DType::uint32: return 4;
    case DType::int16: case DType::uint16: return 2;
    case DType::int8: case DType::uint8: case DType::bool_: return 1;
    case DType::other: break;
  }
  return 0;
}

const char* dtype_name(DType t) {
  static const char* const names[] = {"float32", "float64", "int8",   "int16",  "int32", "int64",
                                      "uint8",   "uint16",  "uint32", "uint64", "bool",  "other"};
  return names[static_cast<int>(t)];
}

Shape::Shape(std::initializer_list<int64_t> d) {
  for (int64_t v : d) push_back(v);
}

Shape::Shape(const int64_t* d, int n) : ndim(n) {
  for (int i = 0; i < n; ++i) dims[i] = d[i];
}

void Shape::push_back(int64_t d) {
  if (ndim == kMaxDims) value_error("a shape may have at most " + std::to_string(kMaxDims) + " dimensions");
  dims[ndim++] = d;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= dims[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (ndim != o.ndim) return false;
  for (int i = 0; i < ndim; ++i)
    if (dims[i] != o.dims[i]) return false;
  return true;
}

std::string shape_string(const Shape& s) {
  std::string out = "(";
  for (int d = 0; d < s.ndim; ++d) {
    if (d) out += ", ";
    out += std::to_string(s.dims[d]);
  }
  if (s.ndim == 1) out += ",";
  return out + ")";
}

int64_t Array::size() const {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= shape[d];
  return n;
}

bool Array::c_contiguous() const {
  int64_t expected = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    if (shape[d] == 0) return true;
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

void Array::byte_bounds(intptr_t* lo, intptr_t* hi) const {
  const intptr_t item = static_cast<intptr_t>(itemsize(dtype) ? itemsize(dtype) : 1);
  *lo = reinterpret_cast<intptr_t>(data);
  *hi = *lo + item - 1;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) {
      *hi = *lo - 1;
      return;
    }
    const intptr_t span = static_cast<intptr_t>(shape[d] - 1) * strides[d] * item;
    if (span < 0) *lo += span;
    else *hi += span;
  }
}

}  // namespace fastnn::ops
