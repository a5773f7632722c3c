// keras.Variable: a named, shaped slot whose memory is allocated only when it
// is first read or assigned. Loading checks the stored shape against the
// declaration before anything is allocated, and an initializer never runs for
// a variable that is about to be overwritten.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  // Holds a value (or has given its memory back, release_into). Under the variable's lock, so
  // that it may be asked beside another thread's release.
  bool allocated() const;

  // The value; runs the initializer on first access, and rebuilds a released value.
  const Tensor& value();
  // The value as a tensor of its own handle, taken under the variable's lock: what code that
  // may run beside release_into() on another thread reads (inference caches, get_weights,
  // saving). Shares the variable's buffer; a released value is rebuilt for this reader only.
  Tensor snapshot();
  // Gives the value's memory back when an inference cache holds the same numbers in another
  // layout (prepacked weights), so that a loaded model keeps its weights once. Under the
  // variable's lock, when the value is allocated, is still at `version` (the one the cache was
  // made for) and no other tensor shares its buffer, `convert` receives the value, may take its
  // numbers over (even give its pages back to the system) and returns the function that
  // rebuilds it bit for bit: kept by the next value() or mutable_value(), lent to each
  // snapshot(). A `convert` that throws must leave the value as it was. False, with `convert`
  // not called (or returning no function), otherwise. The version stays: the numbers do. A
  // caller that holds a reference from value() on another thread must not race with this
  // (inference caches, get_weights and saving read snapshot()).
  bool release_into(const std::function<std::function<Tensor()>(Tensor& value)>& convert, std::uint64_t version);
  // Whether the value's memory is given back (release_into) and not rebuilt since.
  bool released() const { return released_.load(std::memory_order_acquire); }
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
  void initialize_if_needed();  // runs the initializer once, on first read
  void restore_released();
  void drop_released();

  Tensor value_;
  std::uint64_t version_ = 0;
  // release_into() and the rebuild of a released value.
  mutable std::mutex mutex_;
  std::atomic<bool> released_{false};
  std::function<Tensor()> restore_;
};

using VariablePtr = std::shared_ptr<Variable>;

}  // namespace keras
