// The exception hierarchy of keras-cpp. Every failure caused by bad input or
// an unmet precondition is reported as one of these; messages name the file
// and the part of it at fault, in Keras' own wording where Keras has one.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace keras {

// One step of where an error happened: an object being worked on ("layer
// 'dense_3'") or the source it came from ("model.keras config.json").
struct ErrorContext {
  enum class Kind { object, source };
  Kind kind = Kind::source;
  std::string what;  // object: "layer", "model", "optimizer", ...; source: the file and part
  std::string name;  // object: its name
  std::string action = "loading";

  static ErrorContext object(std::string what, std::string name, std::string action = "loading") {
    return {Kind::object, std::move(what), std::move(name), std::move(action)};
  }
  static ErrorContext source(std::string where) { return {Kind::source, std::move(where), {}, {}}; }
};

// The base of every keras-cpp exception. As an error travels up through
// loaders, each adds where it was (innermost first); what() is the message
// followed by that context:
//   Could not locate class 'Foo'. ... (while loading layer 'functional/foo' from model.keras config.json)
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  explicit Error(const char* message) : Error(std::string(message)) {}

  const char* what() const noexcept override { return what_.c_str(); }
  // The message without context.
  const std::string& message() const noexcept { return message_; }
  // Innermost first.
  const std::vector<ErrorContext>& context() const noexcept { return context_; }
  void add_context(ErrorContext frame);

 private:
  std::string message_;
  std::vector<ErrorContext> context_;
  std::string what_;
};

// Runs `fn`; a keras::Error passing through gets `frame` added to its context
// and is rethrown as the same object (so its type is kept). Loaders wrap each
// step with it instead of catching and re-throwing new exceptions.
template <typename F>
decltype(auto) with_context(const ErrorContext& frame, F&& fn) {
  try {
    return std::forward<F>(fn)();
  } catch (Error& e) {
    e.add_context(frame);
    throw;
  }
}

// A bad argument or a value that does not fit (Python's ValueError).
class ValueError : public Error {
 public:
  using Error::Error;
};

// A tensor or variable whose shape does not fit what is expected.
class ShapeMismatchError : public ValueError {
 public:
  using ValueError::ValueError;
};

// A file that is not what it claims to be: not a zip, bad JSON, broken HDF5,
// a missing member or dataset.
class FormatError : public Error {
 public:
  using Error::Error;
};

// A class, function or name that no registry knows.
class UnknownObjectError : public Error {
 public:
  using Error::Error;
};

// Content refused for safety: lambdas, links out of a file, path traversal,
// decompression bombs.
class UnsafeContentError : public Error {
 public:
  using Error::Error;
};

// A save target that exists while overwrite was not allowed.
class FileExistsError : public Error {
 public:
  using Error::Error;
};

// A path that does not exist or cannot be opened.
class FileNotFoundError : public Error {
 public:
  using Error::Error;
};

// An operating-system failure while reading or writing (disk full, permissions).
class IOError : public Error {
 public:
  using Error::Error;
};

// A valid Keras feature that keras-cpp does not implement (quantized layers,
// string tensors, ...).
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

}  // namespace keras
