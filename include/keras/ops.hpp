// keras.ops on symbolic tensors: raw operations recorded as graph nodes
// (keras.src.ops.numpy / nn / core classes in config.json), plus operator
// overloads on KerasTensor (x + y, x * 2.0, -x, x < y, ...).
//
//   auto a = keras::Input({4, 6}, {.name = "a"});
//   auto m = keras::ops::mean(a, 1, /*keepdims=*/true);   // Mean(axis=1, keepdims=True)
//   auto y = keras::ops::add(a, 1.0) * a;                  // Add, then Multiply
//   auto s = keras::ops::get_item(a, {keras::ops::Slice(), keras::ops::Slice(1, 3)});  // a[:, 1:3]
//
// Each call creates a new operation with an auto name from the snake-case
// class name ("mean", "mean_1", ...; the counters are shared with layers,
// as in Keras). Constants are recorded as Keras records Python numbers: an
// int stays an int (NotEqual(x, 0)), a double stays a float (Add(y, 1.0)).
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "keras/json.hpp"
#include "keras/operation.hpp"

namespace keras::ops {

template <typename T>
concept Arithmetic = std::is_arithmetic_v<T>;

// A Python number as Keras records it: bool, int or float.
class Number {
 public:
  template <Arithmetic T>
  Number(T value) : value_(encode(value)) {}  // NOLINT(google-explicit-constructor)
  const Json& json() const { return value_; }

 private:
  template <typename T>
  static Json encode(T value) {
    if constexpr (std::is_same_v<T, bool>) {
      return Json(value);
    } else if constexpr (std::is_integral_v<T>) {
      return Json(static_cast<std::int64_t>(value));
    } else {
      return encode_float(static_cast<double>(value), std::is_same_v<T, float>);
    }
  }
  // A float keeps its shortest decimal form (0.1F is recorded as 0.1).
  static Json encode_float(double value, bool from_float32);
  Json value_;
};

// An argument of an elementwise op: a symbolic tensor or a number.
class Operand {
 public:
  Operand(const KerasTensor& tensor) : value_(tensor) {}  // NOLINT(google-explicit-constructor)
  template <Arithmetic T>
  Operand(T value) : value_(Number(value)) {}      // NOLINT(google-explicit-constructor)
  Operand(const Number& value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  bool is_tensor() const { return std::holds_alternative<KerasTensor>(value_); }
  SymbolicArg to_arg() const;

 private:
  std::variant<KerasTensor, Number> value_;
};

// The `axis` argument of reductions and friends: None (every axis), one int,
// or a list (a tuple in Python; recorded as a JSON list).
class Axis {
 public:
  Axis() = default;                       // NOLINT(bugprone-exception-escape): None
  Axis(std::nullopt_t) {}                 // NOLINT(google-explicit-constructor)
  Axis(int axis) : json_(axis) {}         // NOLINT(google-explicit-constructor)
  Axis(std::initializer_list<int> axes);  // NOLINT(google-explicit-constructor)
  Axis(const std::vector<int>& axes);     // NOLINT(google-explicit-constructor)
  const Json& json() const { return json_; }

 private:
  Json json_ = nullptr;
};

// One element of a get_item key: an index, a slice, None (np.newaxis) or `...`.
struct Slice {
  Slice() = default;
  Slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
        std::optional<std::int64_t> step = std::nullopt)
      : start(start), stop(stop), step(step) {}
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::optional<std::int64_t> step;
};
struct NewAxis {};
struct Ellipsis {};
inline constexpr NewAxis newaxis{};
inline constexpr Ellipsis ellipsis{};

class KeyItem {
 public:
  KeyItem(std::int64_t index) : json_(index) {}  // NOLINT(google-explicit-constructor)
  KeyItem(int index) : json_(index) {}           // NOLINT(google-explicit-constructor)
  KeyItem(const Slice& slice);                   // NOLINT(google-explicit-constructor)
  KeyItem(NewAxis) : json_(nullptr) {}           // NOLINT(google-explicit-constructor)
  KeyItem(Ellipsis);                             // NOLINT(google-explicit-constructor)
  // As Keras serializes it: an int, null, {"class_name": "__slice__", ...} or {"class_name": "__ellipsis__", ...}.
  const Json& json() const { return json_; }

 private:
  Json json_;
};

// ------------------------------------------------------------ elementwise
KerasTensor add(const Operand& x1, const Operand& x2);
KerasTensor subtract(const Operand& x1, const Operand& x2);
KerasTensor multiply(const Operand& x1, const Operand& x2);
KerasTensor divide(const Operand& x1, const Operand& x2);       // Divide
KerasTensor true_divide(const Operand& x1, const Operand& x2);  // TrueDivide (what `x / y` records)
KerasTensor floor_divide(const Operand& x1, const Operand& x2);
KerasTensor mod(const Operand& x1, const Operand& x2);
KerasTensor power(const Operand& x1, const Operand& x2);
KerasTensor maximum(const Operand& x1, const Operand& x2);
KerasTensor minimum(const Operand& x1, const Operand& x2);

KerasTensor negative(const KerasTensor& x);
KerasTensor absolute(const KerasTensor& x);
KerasTensor abs(const KerasTensor& x);  // Absolute, as Keras' ops.abs
KerasTensor square(const KerasTensor& x);
KerasTensor sqrt(const KerasTensor& x);
KerasTensor exp(const KerasTensor& x);
KerasTensor log(const KerasTensor& x);
KerasTensor log1p(const KerasTensor& x);
KerasTensor expm1(const KerasTensor& x);
KerasTensor tanh(const KerasTensor& x);
KerasTensor sin(const KerasTensor& x);
KerasTensor cos(const KerasTensor& x);
KerasTensor floor(const KerasTensor& x);
KerasTensor ceil(const KerasTensor& x);
KerasTensor sign(const KerasTensor& x);
KerasTensor reciprocal(const KerasTensor& x);
KerasTensor rsqrt(const KerasTensor& x);  // keras.src.ops.math
KerasTensor erf(const KerasTensor& x);    // keras.src.ops.math
KerasTensor clip(const KerasTensor& x, const Number& x_min, const Number& x_max);

// ------------------------------------------------------------- comparisons
KerasTensor equal(const Operand& x1, const Operand& x2);
KerasTensor not_equal(const Operand& x1, const Operand& x2);
KerasTensor less(const Operand& x1, const Operand& x2);
KerasTensor less_equal(const Operand& x1, const Operand& x2);
KerasTensor greater(const Operand& x1, const Operand& x2);
KerasTensor greater_equal(const Operand& x1, const Operand& x2);
KerasTensor logical_and(const Operand& x1, const Operand& x2);
KerasTensor logical_or(const Operand& x1, const Operand& x2);
KerasTensor logical_xor(const Operand& x1, const Operand& x2);
KerasTensor logical_not(const KerasTensor& x);
KerasTensor where(const KerasTensor& condition, const Operand& x1, const Operand& x2);

// -------------------------------------------------------------- reductions
KerasTensor mean(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor sum(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
// `initial` is recorded (null by default) but only null is supported when running.
KerasTensor max(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor min(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor prod(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor var(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor std(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor any(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor all(const KerasTensor& x, const Axis& axis = {}, bool keepdims = false);
KerasTensor argmax(const KerasTensor& x, std::optional<int> axis = std::nullopt, bool keepdims = false);
KerasTensor argmin(const KerasTensor& x, std::optional<int> axis = std::nullopt, bool keepdims = false);

// -------------------------------------------------------- shapes and layout
KerasTensor matmul(const KerasTensor& x1, const KerasTensor& x2);
KerasTensor transpose(const KerasTensor& x, std::optional<std::vector<int>> axes = std::nullopt);
// `newshape` includes the batch dimension; one entry may be -1.
KerasTensor reshape(const KerasTensor& x, const std::vector<std::int64_t>& newshape);
KerasTensor concatenate(const std::vector<KerasTensor>& xs, int axis = 0);
KerasTensor stack(const std::vector<KerasTensor>& xs, int axis = 0);
KerasTensor expand_dims(const KerasTensor& x, int axis);
KerasTensor squeeze(const KerasTensor& x, const Axis& axis = {});
KerasTensor cast(const KerasTensor& x, const std::string& dtype);
// zeros_like / ones_like: x's shape, in `dtype` (default: x's dtype).
KerasTensor zeros_like(const KerasTensor& x, std::optional<std::string> dtype = std::nullopt);
KerasTensor ones_like(const KerasTensor& x, std::optional<std::string> dtype = std::nullopt);
// x[key]: one key item (x[1:3], x[0]) or a tuple of them (x[:, 1:3, ::2]).
KerasTensor get_item(const KerasTensor& x, const KeyItem& key);
KerasTensor get_item(const KerasTensor& x, const std::vector<KeyItem>& key);

// ------------------------------------------------------- keras.src.ops.nn
KerasTensor relu(const KerasTensor& x);
KerasTensor sigmoid(const KerasTensor& x);
KerasTensor softmax(const KerasTensor& x, int axis = -1);
KerasTensor log_softmax(const KerasTensor& x, int axis = -1);
KerasTensor silu(const KerasTensor& x);
KerasTensor softplus(const KerasTensor& x);
KerasTensor gelu(const KerasTensor& x, bool approximate = true);

// Renames the operation that produced `x` (e.g. to match a name Keras
// generated in another process) and returns x.
KerasTensor with_name(const KerasTensor& x, const std::string& name);

// The generic form: records a call of the raw op `class_name` (looked up
// among the registered raw operations) with the given constructor config
// (without "name") and arguments.
std::vector<KerasTensor> call_raw_op(const std::string& class_name, const Json& params,
                                     const std::vector<SymbolicArg>& args);

}  // namespace keras::ops

namespace keras {

// Python's operators on symbolic tensors, recording the same ops as Keras'
// KerasTensor dunder methods. (== stays identity: KerasTensor::operator==.)
KerasTensor operator+(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator-(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator*(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator/(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator%(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator<(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator<=(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator>(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator>=(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator&(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator|(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator^(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator-(const KerasTensor& x);
KerasTensor operator~(const KerasTensor& x);

template <ops::Arithmetic T>
KerasTensor operator+(const KerasTensor& a, T b) {
  return ops::add(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator+(T a, const KerasTensor& b) {
  return ops::add(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator-(const KerasTensor& a, T b) {
  return ops::subtract(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator-(T a, const KerasTensor& b) {
  return ops::subtract(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator*(const KerasTensor& a, T b) {
  return ops::multiply(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator*(T a, const KerasTensor& b) {
  return ops::multiply(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator/(const KerasTensor& a, T b) {
  return ops::true_divide(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator/(T a, const KerasTensor& b) {
  return ops::true_divide(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator%(const KerasTensor& a, T b) {
  return ops::mod(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator<(const KerasTensor& a, T b) {
  return ops::less(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator<=(const KerasTensor& a, T b) {
  return ops::less_equal(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator>(const KerasTensor& a, T b) {
  return ops::greater(a, b);
}
template <ops::Arithmetic T>
KerasTensor operator>=(const KerasTensor& a, T b) {
  return ops::greater_equal(a, b);
}

}  // namespace keras
