#include "keras/variable.hpp"

namespace keras {

Variable::Variable(std::string name, Shape shape, DType dtype, initializers::Initializer initializer, bool trainable)
    : name_(std::move(name)),
      path_(name_),
      shape_(std::move(shape)),
      dtype_(dtype),
      initializer_(std::move(initializer)),
      trainable_(trainable) {
  for (std::int64_t d : shape_) {
    if (d < 0) throw ValueError("Variable '" + name_ + "' needs a fully known shape, got " + shape_to_string(shape_));
  }
  // Counted before anything is allocated: a config with absurd sizes fails here, not in malloc.
  std::uint64_t bytes = dtype_size(dtype_);
  for (std::int64_t d : shape_) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes))
      throw ValueError("Variable '" + name_ + "' of shape " + shape_to_string(shape_) +
                       " has more elements than 64-bit sizes can count");
  }
}

const Tensor& Variable::value() {
  if (!value_.defined()) {
    value_ = initializer_.defined() ? initializer_(shape_, dtype_) : Tensor(shape_, dtype_);
    if (value_.dtype() != dtype_) value_ = value_.astype(dtype_);
  }
  return value_;
}

Tensor& Variable::mutable_value() {
  ++version_;
  value();
  return value_;
}

void Variable::assign(Tensor&& value) {
  if (value.shape() != shape_ || value.dtype() != dtype_ || !value.sole_owner()) {
    assign(static_cast<const Tensor&>(value));
    return;
  }
  value_ = std::move(value);
  ++version_;
}

void Variable::assign(const Tensor& value) {
  if (value.shape() != shape_)
    throw ShapeMismatchError(
        "The shape of the target variable and the shape of the target value in "
        "`variable.assign(value)` must match. variable.shape=" +
        shape_to_string(shape_) + ", Received: value.shape=" + shape_to_string(value.shape()) +
        ". Target variable: " + path_);
  value_ = value.dtype() == dtype_ ? value.clone() : value.astype(dtype_);
  ++version_;
}

}  // namespace keras
