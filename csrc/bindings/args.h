// Parsing of the non-array arguments of every binding. Each takes the Python object as it came
// and raises ops::Error (TypeError / ValueError) naming the argument, what was expected and
// what came, instead of pybind11's "incompatible function arguments" dump or a RuntimeError.
// Sequences are iterated with owned references (no borrowed temporaries), so a shape may be any
// iterable of ints: tuple, list, range, generator, NumPy array.
#pragma once
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ops/array.h"

namespace fastnn::bindings {

namespace py = pybind11;

// A Python int (or an object with __index__, not bool) that fits int64.
int64_t int_arg(py::handle obj, const char* name);
// A Python int in [0, 2**64).
uint64_t uint64_arg(py::handle obj, const char* name);
// A real number: int, float or a NumPy real scalar (not bool, str or None).
double float_arg(py::handle obj, const char* name);
// True/False (a NumPy bool or the ints 0 and 1 too).
bool bool_arg(py::handle obj, const char* name);
// A str.
std::string str_arg(py::handle obj, const char* name);
// An int, or an iterable of ints, as a shape (each size >= 0 and < 2**63).
ops::Shape shape_arg(py::handle obj, const char* name);
// An int or an iterable of exactly `count` ints (at most 4), as `count` values (an int repeated).
void int_tuple_arg(py::handle obj, const char* name, int count, int64_t* values);
// An iterable of ints of any sign and length (pad widths).
std::vector<int64_t> int_list_arg(py::handle obj, const char* name);
// An iterable of real numbers of any length (scale factors).
std::vector<double> float_list_arg(py::handle obj, const char* name);

}  // namespace fastnn::bindings
