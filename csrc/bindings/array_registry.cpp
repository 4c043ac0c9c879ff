#include "bindings/array_registry.h"

#include <stdexcept>

namespace fastnn::bindings {

ArrayRegistry::~ArrayRegistry() {
  for (int i = 0; i < count_; ++i) entry(i).~Entry();
}

ArrayRegistry::Entry& ArrayRegistry::new_entry(const char* name, bool output) {
  if (count_ == kMaxArrays) throw std::logic_error("ArrayRegistry: more than kMaxArrays arrays in one call");
  Entry& e = *new (storage_ + count_ * sizeof(Entry)) Entry;  // default-initialised: no 1 KiB memset
  args_[count_++] = {&e.array, name, output};
  return e;
}

void ArrayRegistry::drop_last() { entry(--count_).~Entry(); }

void ArrayRegistry::allow_in_place(const char* output, const char* input) {
  if (in_place_count_ == 4) throw std::logic_error("ArrayRegistry: more than 4 in-place pairs");
  in_place_[in_place_count_++] = {output, input};
}

void ArrayRegistry::check_aliasing() const { ops::check_aliasing(args_, count_, in_place_, in_place_count_); }

py::object ArrayRegistry::object(const ops::Array* a) const {
  if (!a) return py::none();
  for (int i = 0; i < count_; ++i)
    if (&entry(i).array == a) return entry(i).obj;
  throw std::logic_error("ArrayRegistry::object: the array is not one of this call's");
}

}  // namespace fastnn::bindings
