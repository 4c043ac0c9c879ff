// Running a kernel template on the element type of an array: with_float_type(a, f) reads a's
// dtype while holding the GIL, releases it and calls f(float{}) or f(double{}), so a binding
// writes its kernel call once (`using T = decltype(tag);`) instead of once per dtype.
#pragma once
#include "bindings/arrays.h"

namespace fastnn::bindings {

template <class F>
void with_float_type(const py::array& a, F&& f) {
  const bool f32 = is_float32(a);  // before releasing the GIL: dtype() touches Python objects
  py::gil_scoped_release no_gil;
  if (f32) f(float{});
  else f(double{});
}

// Typed data pointer of an array whose dtype the caller has checked.
template <class T>
T* data_ptr(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}
template <class T>
const T* data_ptr(const py::array& a) {
  return static_cast<const T*>(a.data());
}

// The data of an optional array held as None or an ndarray (a default py::array is an empty
// array, not null, so optional arguments travel as py::object); null for None. Call it while
// holding the GIL and cast inside the kernel call.
inline void* optional_data(const py::object& a) {
  return a.is_none() ? nullptr : const_cast<void*>(py::reinterpret_borrow<py::array>(a).data());
}

}  // namespace fastnn::bindings
