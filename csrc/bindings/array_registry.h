// What the host and the device array adapters share: the arrays one kernel call converted
// (kept alive until the call returns), the in-place pairs it declared, the one aliasing check
// over all of them, and the Python object behind each descriptor.
#pragma once
#include <pybind11/pybind11.h>

#include <new>
#include <string>

#include "ops/checks.h"

namespace fastnn::bindings {

namespace py = pybind11;

class ArrayRegistry {
 public:
  static constexpr int kMaxArrays = 24;

  ArrayRegistry() = default;
  ArrayRegistry(const ArrayRegistry&) = delete;
  ArrayRegistry& operator=(const ArrayRegistry&) = delete;
  ~ArrayRegistry();

  // `output` may be the very same view as `input` (elementwise in place).
  void allow_in_place(const char* output, const char* input);
  // The aliasing rule over every array of the call (ops::check_aliasing).
  void check_aliasing() const;
  // The Python array behind a descriptor this call returned; None for null.
  py::object object(const ops::Array* a) const;
  py::object object(const ops::Array& a) const { return object(&a); }

 protected:
  struct Entry {
    py::object obj;
    ops::Array array;
    std::string type_name;  // storage for a dtype name without an ops::DType
  };
  // A new entry, counted at once (the destructor releases it if a check then throws) and
  // registered for the aliasing check under `name`.
  Entry& new_entry(const char* name, bool output);
  // Releases the last entry (replaced by a converted copy).
  void drop_last();
  Entry& last() { return entry(count_ - 1); }

 private:
  // Constructed on demand (placement new): a call converts a few arrays, and building
  // kMaxArrays entries per call would cost more than the checks.
  Entry& entry(int i) { return *std::launder(reinterpret_cast<Entry*>(storage_ + i * sizeof(Entry))); }
  const Entry& entry(int i) const {
    return *std::launder(reinterpret_cast<const Entry*>(storage_ + i * sizeof(Entry)));
  }
  alignas(Entry) unsigned char storage_[kMaxArrays * sizeof(Entry)];
  ops::Argument args_[kMaxArrays];
  int count_ = 0;
  ops::InPlace in_place_[4];
  int in_place_count_ = 0;
};

}  // namespace fastnn::bindings
