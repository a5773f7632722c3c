// Dense n-dimensional arrays: the values that flow through models and the
// storage of variables. float32 is the dtype of all math; the others exist for
// storage, inputs and conversion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras/error.hpp"

namespace keras {

enum class DType : std::uint8_t {
  float32,
  float16,
  bfloat16,
  float64,
  int8,
  int16,
  int32,
  int64,
  uint8,
  uint16,
  uint32,
  uint64,
  bool_,
};

// Keras' dtype names ("float32", "bfloat16", "bool", ...).
std::string dtype_name(DType dtype);
// Throws ValueError for a name keras-cpp does not know.
DType dtype_from_name(std::string_view name);
std::size_t dtype_size(DType dtype);
bool is_floating(DType dtype);

// Dimensions of a tensor. In symbolic shapes -1 stands for None (unknown).
using Shape = std::vector<std::int64_t>;
inline constexpr std::int64_t kUnknownDim = -1;

std::string shape_to_string(const Shape& shape);  // "(None, 3)" as Python prints it
std::int64_t shape_size(const Shape& shape);      // product of dims; throws on unknown dims
// Resolves a possibly negative axis against a rank; throws ValueError when out of range.
int normalize_axis(int axis, int rank);

std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);
std::uint16_t float_to_bfloat16(float value);  // round to nearest even
float bfloat16_to_float(std::uint16_t bits);

// A contiguous, row-major, 64-byte aligned array. Copies share storage (like
// numpy views of the same buffer); use clone() for an independent copy.
class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  explicit Tensor(Shape shape, DType dtype = DType::float32);

  static Tensor zeros(const Shape& shape, DType dtype = DType::float32);
  // Storage left uninitialized, for kernels that overwrite every element.
  static Tensor uninitialized(const Shape& shape, DType dtype = DType::float32);
  static Tensor full(const Shape& shape, float value, DType dtype = DType::float32);
  static Tensor scalar(float value, DType dtype = DType::float32);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);
  static Tensor from_vector_i64(const Shape& shape, const std::vector<std::int64_t>& values,
                                DType dtype = DType::int64);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  std::int64_t dim(int axis) const;  // negative axes count from the end
  std::int64_t size() const;         // number of elements
  std::size_t nbytes() const;

  // Typed access; throws ValueError when T does not match the dtype
  // (float16/bfloat16 are accessed as std::uint16_t, bool as std::uint8_t).
  template <typename T>
  T* data();
  template <typename T>
  const T* data() const;
  void* raw_data();
  const void* raw_data() const;
  std::span<const std::byte> bytes() const;

  // Element i (flat index) converted to double, whatever the dtype.
  double at(std::int64_t flat_index) const;
  float item() const;  // single-element tensor as float

  Tensor astype(DType dtype) const;          // converted copy (or this tensor if same dtype)
  Tensor reshape(const Shape& shape) const;  // shares storage; one dim may be -1
  Tensor clone() const;
  // True when no other Tensor shares this one's buffer (then moving it hands the buffer over).
  bool sole_owner() const { return storage_.use_count() == 1; }

  // Elementwise values as float / int64, converted from any dtype.
  std::vector<float> to_vector() const;
  std::vector<std::int64_t> to_vector_i64() const;

 private:
  std::shared_ptr<std::byte> storage_;
  Shape shape_;
  DType dtype_ = DType::float32;
};

// |a - b| <= atol + rtol * |b| elementwise (numpy.allclose), same shapes.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
// Largest |a - b| (for messages); infinity when shapes differ.
double max_abs_diff(const Tensor& a, const Tensor& b);

// NumPy .npy files: every dtype above; C and Fortran order on read.
Tensor load_npy(const std::filesystem::path& path);
Tensor parse_npy(std::span<const std::byte> bytes, const std::string& origin = "<memory>");
void save_npy(const std::filesystem::path& path, const Tensor& tensor);
std::vector<std::byte> serialize_npy(const Tensor& tensor);

namespace random {
// Seeds the process-wide generator used when no seed is given.
void set_seed(std::uint64_t seed);
// A fresh seed from the process-wide generator, for objects that keep their
// own random stream (the augmentation layers).
std::uint64_t draw_seed();
// Uniform values in [minval, maxval), like keras.random.uniform.
Tensor uniform(const Shape& shape, float minval = 0.0F, float maxval = 1.0F,
               std::optional<std::uint64_t> seed = std::nullopt);
Tensor normal(const Shape& shape, float mean = 0.0F, float stddev = 1.0F,
              std::optional<std::uint64_t> seed = std::nullopt);
// Normal values redrawn until within two standard deviations.
Tensor truncated_normal(const Shape& shape, float mean = 0.0F, float stddev = 1.0F,
                        std::optional<std::uint64_t> seed = std::nullopt);
}  // namespace random

}  // namespace keras
