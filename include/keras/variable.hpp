// keras.Variable: a named, shaped slot whose memory is allocated only when it
// is first read or assigned. Loading checks the stored shape against the
// declaration before anything is allocated, and an initializer never runs for
// a variable that is about to be overwritten.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "keras/initializers.hpp"
#include "keras/tensor.hpp"

namespace keras {

class Variable {
 public:
  Variable(std::string name, Shape shape, DType dtype, initializers::Initializer initializer, bool trainable);

  const std::string& name() const { return name_; }
  // "<layer name>/<variable name>", as Keras' variable.path.
  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable) { trainable_ = trainable; }
  bool allocated() const { return value_.defined(); }

  // The value; runs the initializer on first access.
  const Tensor& value();
  // The value for writing in place: counts as a modification (see version()).
  Tensor& mutable_value();
  // Grows on every assign() or mutable_value(), so that caches derived from the value
  // (prepacked or folded weights) know when to rebuild.
  std::uint64_t version() const { return version_; }
  // Replaces the value after checking the shape; casts to the variable's dtype.
  void assign(const Tensor& value);
  // The same, taking over `value`'s buffer when nothing else shares it and the
  // dtype matches (loading hands each dataset it read over without a copy).
  void assign(Tensor&& value);

 private:
  std::string name_;
  std::string path_;
  Shape shape_;
  DType dtype_;
  initializers::Initializer initializer_;
  bool trainable_;
  Tensor value_;
  std::uint64_t version_ = 0;
};

using VariablePtr = std::shared_ptr<Variable>;

}  // namespace keras
