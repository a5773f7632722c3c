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

namespace {
Tensor checked_restore(const std::function<Tensor()>& restore, const Variable& v) {
  Tensor restored = restore();
  if (restored.shape() != v.shape() || restored.dtype() != v.dtype())
    throw ValueError("Variable '" + v.path() + "': its released value came back as " +
                     shape_to_string(restored.shape()) + " " + dtype_name(restored.dtype()) + ", expected " +
                     shape_to_string(v.shape()) + " " + dtype_name(v.dtype()));
  return restored;
}
}  // namespace

void Variable::initialize_if_needed() {
  if (value_.defined()) return;
  value_ = initializer_.defined() ? initializer_(shape_, dtype_) : Tensor(shape_, dtype_);
  if (value_.dtype() != dtype_) value_ = value_.astype(dtype_);
}

bool Variable::allocated() const {
  const std::lock_guard lock(mutex_);
  return value_.defined() || released_.load(std::memory_order_relaxed);
}

void Variable::restore_released() {
  const std::lock_guard lock(mutex_);
  if (!released_.load(std::memory_order_relaxed)) return;  // another thread rebuilt it
  value_ = checked_restore(restore_, *this);
  restore_ = nullptr;
  released_.store(false, std::memory_order_release);
}

Tensor Variable::snapshot() {
  const std::lock_guard lock(mutex_);
  // A released value is rebuilt for the reader only: the variable stays released.
  if (released_.load(std::memory_order_relaxed)) return checked_restore(restore_, *this);
  initialize_if_needed();
  return value_;
}

bool Variable::release_into(const std::function<std::function<Tensor()>(Tensor& value)>& convert,
                            std::uint64_t version) {
  const std::lock_guard lock(mutex_);
  if (released_.load(std::memory_order_relaxed) || version != version_ || !value_.defined() || !value_.sole_owner())
    return false;
  std::function<Tensor()> restore = convert(value_);
  if (!restore) return false;
  restore_ = std::move(restore);
  value_ = Tensor();
  released_.store(true, std::memory_order_release);
  return true;
}

const Tensor& Variable::value() {
  if (released()) restore_released();
  initialize_if_needed();
  return value_;
}

Tensor& Variable::mutable_value() {
  ++version_;
  value();
  return value_;
}

void Variable::drop_released() {
  const std::lock_guard lock(mutex_);
  restore_ = nullptr;
  released_.store(false, std::memory_order_release);
}

void Variable::assign(Tensor&& value) {
  if (value.shape() != shape_ || value.dtype() != dtype_ || !value.sole_owner()) {
    assign(static_cast<const Tensor&>(value));
    return;
  }
  if (released()) drop_released();  // overwritten: no need to rebuild it
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
  Tensor copy = value.dtype() == dtype_ ? value.clone() : value.astype(dtype_);
  if (released()) drop_released();
  value_ = std::move(copy);
  ++version_;
}

}  // namespace keras
