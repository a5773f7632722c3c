// Scalar arithmetic in a variable's dtype, rounded after every operation the
// way Keras' numpy backend computes: float32 and float64 natively, float16 and
// bfloat16 computed in float32 and rounded back (numpy and ml_dtypes do so).
// Optimizer update rules are written once as templates over these types.
//
// Keras' ops (keras.ops.multiply, ...) compute float64 inputs in float32 under
// the numpy backend (result_type maps float64 to float32 outside TensorFlow),
// so float64 variables are updated with float32 arithmetic too. Python
// operators on numpy scalars are not keras.ops: with NumPy 1.x (which wrote
// the Keras 3.16 fixtures) an expression such as `1 - beta_1_power` or
// `0.5 * power(0.96, step)` is float64, rounded to float32 only where it
// enters a keras.op or is assigned to a variable. Update rules compute those
// intermediates as doubles (`dbl`) and round them where Keras does.
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::detail::optim {

template <DType D>
struct Rounded {
  float v = 0.0F;

  Rounded() = default;
  explicit Rounded(double x) : v(round(static_cast<float>(x))) {}
  static float round(float x) {
    if constexpr (D == DType::float16) return half_to_float(float_to_half(x));
    return bfloat16_to_float(float_to_bfloat16(x));
  }
  static Rounded of(float x) {
    Rounded r;
    r.v = round(x);
    return r;
  }
  friend Rounded operator+(Rounded a, Rounded b) { return of(a.v + b.v); }
  friend Rounded operator-(Rounded a, Rounded b) { return of(a.v - b.v); }
  friend Rounded operator*(Rounded a, Rounded b) { return of(a.v * b.v); }
  friend Rounded operator/(Rounded a, Rounded b) { return of(a.v / b.v); }
  friend Rounded operator-(Rounded a) { return of(-a.v); }
  friend bool operator<(Rounded a, Rounded b) { return a.v < b.v; }
  friend bool operator>(Rounded a, Rounded b) { return a.v > b.v; }
  friend bool operator==(Rounded a, Rounded b) { return a.v == b.v; }
  Rounded& operator+=(Rounded b) { return *this = *this + b; }
  Rounded& operator-=(Rounded b) { return *this = *this - b; }
};
using Half = Rounded<DType::float16>;
using BFloat = Rounded<DType::bfloat16>;

inline float to_float(float x) { return x; }
inline double to_float(double x) { return x; }
template <DType D>
float to_float(Rounded<D> x) {
  return x.v;
}

template <typename S>
double dbl(S x) {
  return static_cast<double>(to_float(x));
}

// The elementwise functions numpy applies (each rounds once).
inline float sqrt_of(float x) { return std::sqrt(x); }
inline double sqrt_of(double x) { return std::sqrt(x); }
template <DType D>
Rounded<D> sqrt_of(Rounded<D> x) {
  return Rounded<D>::of(std::sqrt(x.v));
}
inline float pow_of(float x, float y) { return std::pow(x, y); }
inline double pow_of(double x, double y) { return std::pow(x, y); }
template <DType D>
Rounded<D> pow_of(Rounded<D> x, Rounded<D> y) {
  return Rounded<D>::of(std::pow(x.v, y.v));
}
template <typename S>
S abs_of(S x) {
  return x < S(0.0) ? -x : x;
}
// numpy.maximum / minimum propagate NaN.
template <typename S>
S max_of(S a, S b) {
  if (std::isnan(static_cast<double>(to_float(a)))) return a;
  if (std::isnan(static_cast<double>(to_float(b)))) return b;
  return a < b ? b : a;
}
template <typename S>
S min_of(S a, S b) {
  if (std::isnan(static_cast<double>(to_float(a)))) return a;
  if (std::isnan(static_cast<double>(to_float(b)))) return b;
  return b < a ? b : a;
}
template <typename S>
S sign_of(S x) {
  if (std::isnan(static_cast<double>(to_float(x)))) return x;
  if (x > S(0.0)) return S(1.0);
  if (x < S(0.0)) return S(-1.0);
  return S(0.0);
}
// numpy.clip(x, lo, hi) = minimum(maximum(x, lo), hi).
template <typename S>
S clip_of(S x, S lo, S hi) {
  return min_of(max_of(x, lo), hi);
}

// The storage dtype of each scalar type.
template <typename S>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<S, float>) return DType::float32;
  if constexpr (std::is_same_v<S, double>) return DType::float64;
  if constexpr (std::is_same_v<S, Half>) return DType::float16;
  return DType::bfloat16;
}

// A tensor's values cast to S (numpy astype to the variable dtype).
template <typename S>
std::vector<S> load_values(const Tensor& tensor) {
  const std::int64_t n = tensor.size();
  std::vector<S> out(static_cast<std::size_t>(n));
  if constexpr (std::is_same_v<S, double>) {
    Tensor t = tensor.astype(DType::float64);
    if (n > 0) std::memcpy(out.data(), t.data<double>(), static_cast<std::size_t>(n) * sizeof(double));
  } else if constexpr (std::is_same_v<S, float>) {
    Tensor t = tensor.astype(DType::float32);
    if (n > 0) std::memcpy(out.data(), t.data<float>(), static_cast<std::size_t>(n) * sizeof(float));
  } else {
    // float16 and bfloat16 values are exact in float32; wider inputs round once.
    if (tensor.dtype() == DType::float64) {
      for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = S(tensor.at(i));
    } else {
      Tensor t = tensor.astype(DType::float32);
      const float* p = t.data<float>();
      for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = S::of(p[i]);
    }
  }
  return out;
}

template <typename S>
Tensor make_tensor(const std::vector<S>& values, const Shape& shape) {
  Tensor out(shape, dtype_of<S>());
  const std::size_t n = values.size();
  if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double>) {
    if (n > 0) std::memcpy(out.raw_data(), values.data(), n * sizeof(S));
  } else {
    auto* p = out.data<std::uint16_t>();
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = std::is_same_v<S, Half> ? float_to_half(values[i].v) : float_to_bfloat16(values[i].v);
    }
  }
  return out;
}

// Replaces a variable's value (a fresh buffer, as numpy's assign does, so
// tensors previously read from the variable keep their values).
template <typename S>
void store_values(Variable& variable, const std::vector<S>& values) {
  Tensor t = make_tensor(values, variable.shape());
  variable.mutable_value() = variable.dtype() == t.dtype() ? t : t.astype(variable.dtype());
}

// Calls fn(S{}) with S the scalar type of a floating dtype.
template <typename Fn>
decltype(auto) with_float_type(DType dtype, const std::string& what, Fn&& fn) {
  switch (dtype) {
    case DType::float32:
    case DType::float64:  // keras.ops compute float64 in float32 (see above)
      return fn(float{});
    case DType::float16:
      return fn(Half{});
    case DType::bfloat16:
      return fn(BFloat{});
    default:
      throw ValueError(what + ": optimizers update floating-point variables only, got dtype " + dtype_name(dtype));
  }
}

// numpy's pairwise summation of a contiguous float32 buffer (np.sum), so
// norms add up in numpy's order.
float pairwise_sum(const float* values, std::int64_t n);

}  // namespace keras::detail::optim
