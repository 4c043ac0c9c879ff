// The one exception type of the op descriptions: a kind (what Python raises) and a message that
// names the argument, what was expected and what came. The bindings translate it (TypeError,
// ValueError, fastnn.errors.IndexOutOfRangeError); a CUDA backend raises the same errors.
#pragma once
#include <exception>
#include <string>

namespace fastnn::ops {

enum class ErrorKind { type, value, index };

class Error : public std::exception {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  ErrorKind kind() const noexcept { return kind_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  ErrorKind kind_;
  std::string message_;
};

[[noreturn]] inline void type_error(std::string message) { throw Error(ErrorKind::type, std::move(message)); }
[[noreturn]] inline void value_error(std::string message) { throw Error(ErrorKind::value, std::move(message)); }
[[noreturn]] inline void index_error(std::string message) { throw Error(ErrorKind::index, std::move(message)); }

}  // namespace fastnn::ops
