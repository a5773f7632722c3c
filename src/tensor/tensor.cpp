#include "keras/tensor.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <sstream>

#include "tensor/arena.hpp"

namespace keras {

namespace {

constexpr std::size_t kAlignment = 64;

std::shared_ptr<std::byte> allocate_storage(std::size_t nbytes, bool zero = true) {
  // Round up to the alignment, and never 0.
  std::size_t padded = ((nbytes + kAlignment - 1) / kAlignment) * kAlignment;
  if (padded == 0) padded = kAlignment;
  std::shared_ptr<std::byte> storage = detail::arena_allocate(padded);
  if (!storage) storage = detail::system_allocate(padded);
  if (zero) std::memset(storage.get(), 0, padded);
  return storage;
}

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::float32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::float64;
}
template <>
constexpr DType dtype_of<std::int8_t>() {
  return DType::int8;
}
template <>
constexpr DType dtype_of<std::int16_t>() {
  return DType::int16;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::int32;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::int64;
}
template <>
constexpr DType dtype_of<std::uint32_t>() {
  return DType::uint32;
}
template <>
constexpr DType dtype_of<std::uint64_t>() {
  return DType::uint64;
}

bool dtype_matches(DType stored, DType requested) {
  if (stored == requested) return true;
  // 2-byte float formats and uint16 share the same element type; bool and uint8 too.
  auto is16 = [](DType d) { return d == DType::float16 || d == DType::bfloat16 || d == DType::uint16; };
  auto is8 = [](DType d) { return d == DType::uint8 || d == DType::bool_; };
  return (is16(stored) && is16(requested)) || (is8(stored) && is8(requested));
}

template <typename T>
DType access_dtype() {
  if constexpr (std::is_same_v<T, std::uint16_t>)
    return DType::uint16;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return DType::uint8;
  else
    return dtype_of<T>();
}

double load_as_double(const std::byte* base, DType dtype, std::int64_t i) {
  switch (dtype) {
    case DType::float32:
      return reinterpret_cast<const float*>(base)[i];
    case DType::float64:
      return reinterpret_cast<const double*>(base)[i];
    case DType::float16:
      return half_to_float(reinterpret_cast<const std::uint16_t*>(base)[i]);
    case DType::bfloat16:
      return bfloat16_to_float(reinterpret_cast<const std::uint16_t*>(base)[i]);
    case DType::int8:
      return reinterpret_cast<const std::int8_t*>(base)[i];
    case DType::int16:
      return reinterpret_cast<const std::int16_t*>(base)[i];
    case DType::int32:
      return reinterpret_cast<const std::int32_t*>(base)[i];
    case DType::int64:
      return static_cast<double>(reinterpret_cast<const std::int64_t*>(base)[i]);
    case DType::uint8:
      return reinterpret_cast<const std::uint8_t*>(base)[i];
    case DType::uint16:
      return reinterpret_cast<const std::uint16_t*>(base)[i];
    case DType::uint32:
      return reinterpret_cast<const std::uint32_t*>(base)[i];
    case DType::uint64:
      return static_cast<double>(reinterpret_cast<const std::uint64_t*>(base)[i]);
    case DType::bool_:
      return reinterpret_cast<const std::uint8_t*>(base)[i] != 0 ? 1.0 : 0.0;
  }
  return 0.0;
}

template <typename T>
T saturate_cast(double v) {
  if (std::isnan(v)) return T{0};
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  // max() of a 64-bit type rounds up to 2^63 (2^64) as a double, one past the
  // range, so values at or above it saturate explicitly.
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  if (v >= hi) return std::numeric_limits<T>::max();
  if (v <= lo) return std::numeric_limits<T>::lowest();
  return static_cast<T>(std::trunc(v));
}

void store_from_double(std::byte* base, DType dtype, std::int64_t i, double v) {
  switch (dtype) {
    case DType::float32:
      reinterpret_cast<float*>(base)[i] = static_cast<float>(v);
      return;
    case DType::float64:
      reinterpret_cast<double*>(base)[i] = v;
      return;
    case DType::float16:
      reinterpret_cast<std::uint16_t*>(base)[i] = float_to_half(static_cast<float>(v));
      return;
    case DType::bfloat16:
      reinterpret_cast<std::uint16_t*>(base)[i] = float_to_bfloat16(static_cast<float>(v));
      return;
    case DType::int8:
      reinterpret_cast<std::int8_t*>(base)[i] = saturate_cast<std::int8_t>(v);
      return;
    case DType::int16:
      reinterpret_cast<std::int16_t*>(base)[i] = saturate_cast<std::int16_t>(v);
      return;
    case DType::int32:
      reinterpret_cast<std::int32_t*>(base)[i] = saturate_cast<std::int32_t>(v);
      return;
    case DType::int64:
      reinterpret_cast<std::int64_t*>(base)[i] = saturate_cast<std::int64_t>(v);
      return;
    case DType::uint8:
      reinterpret_cast<std::uint8_t*>(base)[i] = saturate_cast<std::uint8_t>(v);
      return;
    case DType::uint16:
      reinterpret_cast<std::uint16_t*>(base)[i] = saturate_cast<std::uint16_t>(v);
      return;
    case DType::uint32:
      reinterpret_cast<std::uint32_t*>(base)[i] = saturate_cast<std::uint32_t>(v);
      return;
    case DType::uint64:
      reinterpret_cast<std::uint64_t*>(base)[i] = saturate_cast<std::uint64_t>(v);
      return;
    case DType::bool_:
      reinterpret_cast<std::uint8_t*>(base)[i] = v != 0.0 ? 1 : 0;
      return;
  }
}

}  // namespace

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return "float32";
    case DType::float16:
      return "float16";
    case DType::bfloat16:
      return "bfloat16";
    case DType::float64:
      return "float64";
    case DType::int8:
      return "int8";
    case DType::int16:
      return "int16";
    case DType::int32:
      return "int32";
    case DType::int64:
      return "int64";
    case DType::uint8:
      return "uint8";
    case DType::uint16:
      return "uint16";
    case DType::uint32:
      return "uint32";
    case DType::uint64:
      return "uint64";
    case DType::bool_:
      return "bool";
  }
  return "unknown";
}

DType dtype_from_name(std::string_view name) {
  static constexpr DType all[] = {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8,
                                  DType::int16,   DType::int32,   DType::int64,    DType::uint8,   DType::uint16,
                                  DType::uint32,  DType::uint64,  DType::bool_};
  for (DType d : all) {
    if (dtype_name(d) == name) return d;
  }
  if (name == "float") return DType::float32;
  if (name == "int") return DType::int32;
  throw ValueError("Invalid dtype: " + std::string(name));
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::float64:
    case DType::int64:
    case DType::uint64:
      return 8;
    case DType::float32:
    case DType::int32:
    case DType::uint32:
      return 4;
    case DType::float16:
    case DType::bfloat16:
    case DType::int16:
    case DType::uint16:
      return 2;
    case DType::int8:
    case DType::uint8:
    case DType::bool_:
      return 1;
  }
  return 1;
}

bool is_floating(DType dtype) {
  return dtype == DType::float32 || dtype == DType::float16 || dtype == DType::bfloat16 || dtype == DType::float64;
}

std::string shape_to_string(const Shape& shape) {
  std::ostringstream out;
  out << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out << ", ";
    if (shape[i] < 0)
      out << "None";
    else
      out << shape[i];
  }
  if (shape.size() == 1) out << ',';
  out << ')';
  return out.str();
}

std::int64_t shape_size(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) throw ShapeMismatchError("Shape " + shape_to_string(shape) + " has unknown dimensions");
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      throw ValueError("Shape " + shape_to_string(shape) + " is too large");
    n *= d;
  }
  return n;
}

int normalize_axis(int axis, int rank) {
  int resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank)
    throw ValueError("axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " + std::to_string(rank));
  return resolved;
}

std::uint16_t float_to_half(float value) {
  std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  std::uint32_t sign = (f >> 16) & 0x8000U;
  std::uint32_t mag = f & 0x7FFFFFFFU;
  if (mag >= 0x7F800000U) {  // inf or nan
    return static_cast<std::uint16_t>(sign | 0x7C00U | (mag > 0x7F800000U ? 0x200U : 0U));
  }
  if (mag >= 0x477FF000U) return static_cast<std::uint16_t>(sign | 0x7C00U);  // overflow to inf
  if (mag < 0x38800000U) {  // subnormal half or zero: round to nearest even
    float abs_value = std::bit_cast<float>(mag);
    float scaled = abs_value * 16777216.0F;  // 2^24: units of the smallest subnormal
    auto q = static_cast<std::uint32_t>(std::nearbyint(scaled));
    return static_cast<std::uint16_t>(sign | q);
  }
  std::uint32_t exp = ((mag >> 23) - 112U) << 10;
  std::uint32_t mant = (mag >> 13) & 0x3FFU;
  std::uint32_t h = exp | mant;
  std::uint32_t rest = mag & 0x1FFFU;
  if (rest > 0x1000U || (rest == 0x1000U && (h & 1U))) ++h;  // round to nearest even
  return static_cast<std::uint16_t>(sign | h);
}

float half_to_float(std::uint16_t bits) {
  std::uint32_t sign = (static_cast<std::uint32_t>(bits) & 0x8000U) << 16;
  std::uint32_t exp = (bits >> 10) & 0x1FU;
  std::uint32_t mant = bits & 0x3FFU;
  if (exp == 0) {
    float v = static_cast<float>(mant) / 16777216.0F;
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7F800000U | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112U) << 23) | (mant << 13));
}

std::uint16_t float_to_bfloat16(float value) {
  std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  if ((f & 0x7FFFFFFFU) > 0x7F800000U) return static_cast<std::uint16_t>((f >> 16) | 0x40U);  // quiet nan
  std::uint32_t rounding = 0x7FFFU + ((f >> 16) & 1U);
  return static_cast<std::uint16_t>((f + rounding) >> 16);
}

float bfloat16_to_float(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(shape_size(shape_)), dtype_size(dtype_), &bytes))
    throw ValueError("Shape " + shape_to_string(shape_) + " is too large");
  storage_ = allocate_storage(bytes);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) { return Tensor(shape, dtype); }

Tensor Tensor::uninitialized(const Shape& shape, DType dtype) {
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = allocate_storage(static_cast<std::size_t>(shape_size(shape)) * dtype_size(dtype), false);
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, DType dtype) {
  // Zero is every dtype's all-zero bytes (a zeroed allocation); any other value is converted once
  // and its bytes replicated by doubling copies, not converted per element.
  if (value == 0.0F && !std::signbit(value)) return Tensor(shape, dtype);
  Tensor t = uninitialized(shape, dtype);
  const std::size_t total = static_cast<std::size_t>(t.size()) * dtype_size(dtype);
  if (total == 0) return t;
  std::byte* base = t.storage_.get();
  store_from_double(base, dtype, 0, value);
  for (std::size_t filled = dtype_size(dtype); filled < total;) {
    const std::size_t chunk = std::min(filled, total - filled);
    std::memcpy(base + filled, base, chunk);
    filled += chunk;
  }
  return t;
}

Tensor Tensor::scalar(float value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values) {
  Tensor t(shape, DType::float32);
  if (static_cast<std::int64_t>(values.size()) != t.size())
    throw ShapeMismatchError("from_vector: " + std::to_string(values.size()) + " values do not fill shape " +
                             shape_to_string(shape));
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor Tensor::from_vector_i64(const Shape& shape, const std::vector<std::int64_t>& values, DType dtype) {
  Tensor t(shape, dtype);
  if (static_cast<std::int64_t>(values.size()) != t.size())
    throw ShapeMismatchError("from_vector_i64: " + std::to_string(values.size()) + " values do not fill shape " +
                             shape_to_string(shape));
  for (std::size_t i = 0; i < values.size(); ++i)
    store_from_double(t.storage_.get(), dtype, static_cast<std::int64_t>(i), static_cast<double>(values[i]));
  return t;
}

std::int64_t Tensor::dim(int axis) const { return shape_[static_cast<std::size_t>(normalize_axis(axis, rank()))]; }

std::int64_t Tensor::size() const { return defined() ? shape_size(shape_) : 0; }

std::size_t Tensor::nbytes() const { return static_cast<std::size_t>(size()) * dtype_size(dtype_); }

template <typename T>
T* Tensor::data() {
  if (!defined()) throw ValueError("Tensor has no storage");
  if (!dtype_matches(dtype_, access_dtype<T>()))
    throw ValueError("Tensor of dtype " + dtype_name(dtype_) + " accessed as " + dtype_name(access_dtype<T>()));
  return reinterpret_cast<T*>(storage_.get());
}

template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

#define KERAS_INSTANTIATE_DATA(T) \
  template T* Tensor::data<T>();  \
  template const T* Tensor::data<T>() const;
KERAS_INSTANTIATE_DATA(float)
KERAS_INSTANTIATE_DATA(double)
KERAS_INSTANTIATE_DATA(std::int8_t)
KERAS_INSTANTIATE_DATA(std::int16_t)
KERAS_INSTANTIATE_DATA(std::int32_t)
KERAS_INSTANTIATE_DATA(std::int64_t)
KERAS_INSTANTIATE_DATA(std::uint8_t)
KERAS_INSTANTIATE_DATA(std::uint16_t)
KERAS_INSTANTIATE_DATA(std::uint32_t)
KERAS_INSTANTIATE_DATA(std::uint64_t)
#undef KERAS_INSTANTIATE_DATA

void* Tensor::raw_data() { return storage_.get(); }
const void* Tensor::raw_data() const { return storage_.get(); }

std::span<const std::byte> Tensor::bytes() const { return {storage_.get(), nbytes()}; }

double Tensor::at(std::int64_t flat_index) const {
  if (flat_index < 0 || flat_index >= size()) throw ValueError("Tensor index out of range");
  return load_as_double(storage_.get(), dtype_, flat_index);
}

float Tensor::item() const {
  if (size() != 1) throw ValueError("item() needs a tensor with one element, got shape " + shape_to_string(shape_));
  return static_cast<float>(at(0));
}

Tensor Tensor::astype(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out(shape_, dtype);
  const std::int64_t n = size();
  if (dtype_ == DType::float32 && dtype == DType::float16) {
    const float* src = data<float>();
    auto* dst = out.data<std::uint16_t>();
    for (std::int64_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) store_from_double(out.storage_.get(), dtype, i, at(i));
  }
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape resolved = shape;
  std::int64_t known = 1;
  int unknown_axis = -1;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      if (unknown_axis >= 0) throw ValueError("reshape: only one dimension may be -1");
      unknown_axis = static_cast<int>(i);
    } else {
      known *= resolved[i];
    }
  }
  if (unknown_axis >= 0) {
    if (known == 0 || size() % known != 0)
      throw ShapeMismatchError("cannot reshape " + shape_to_string(shape_) + " into " + shape_to_string(shape));
    resolved[static_cast<std::size_t>(unknown_axis)] = size() / known;
  }
  if (shape_size(resolved) != size())
    throw ShapeMismatchError("cannot reshape array of shape " + shape_to_string(shape_) + " into shape " +
                             shape_to_string(shape));
  Tensor out = *this;
  out.shape_ = std::move(resolved);
  return out;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor out(shape_, dtype_);
  std::memcpy(out.storage_.get(), storage_.get(), nbytes());
  return out;
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> out(static_cast<std::size_t>(size()));
  for (std::int64_t i = 0; i < size(); ++i) out[static_cast<std::size_t>(i)] = static_cast<float>(at(i));
  return out;
}

std::vector<std::int64_t> Tensor::to_vector_i64() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(size()));
  for (std::int64_t i = 0; i < size(); ++i) {
    if (dtype_ == DType::int64)
      out[static_cast<std::size_t>(i)] = data<std::int64_t>()[i];
    else
      out[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(at(i));
  }
  return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    double x = a.at(i);
    double y = b.at(i);
    if (std::isnan(x) || std::isnan(y)) {
      if (!(std::isnan(x) && std::isnan(y))) return false;
      continue;
    }
    if (std::isinf(x) || std::isinf(y)) {
      if (x != y) return false;
      continue;
    }
    if (std::abs(x - y) > atol + rtol * std::abs(y)) return false;
  }
  return true;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (std::int64_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a.at(i) - b.at(i)));
  return worst;
}

}  // namespace keras
