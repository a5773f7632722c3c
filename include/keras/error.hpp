// The exception hierarchy of keras-cpp. Every failure caused by bad input or
// an unmet precondition is reported as one of these; messages name the file
// and the part of it at fault, in Keras' own wording where Keras has one.
#pragma once

#include <stdexcept>
#include <string>

namespace keras {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
