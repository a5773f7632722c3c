// keras.initializers: how variables get their first values. An Initializer is
// a cheap handle; it can be built from a Keras name ("glorot_uniform"), from a
// config envelope, or from the typed constructors below.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "keras/json.hpp"
#include "keras/tensor.hpp"

namespace keras::initializers {

class InitializerImpl {
 public:
  virtual ~InitializerImpl() = default;
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  virtual Tensor generate(const Shape& shape, DType dtype) const = 0;
};

class Initializer {
 public:
  Initializer() = default;
  Initializer(const char* name);         // NOLINT(google-explicit-constructor): keras accepts strings
  Initializer(const std::string& name);  // NOLINT(google-explicit-constructor)
  explicit Initializer(std::shared_ptr<const InitializerImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const;
  // The {"module": "keras.initializers", "class_name": ..., "config": ..., "registered_name": null} envelope.
  Json serialize() const;
  const InitializerImpl& impl() const;

 private:
  std::shared_ptr<const InitializerImpl> impl_;
};

// From a string name or a config envelope; throws UnknownObjectError.
Initializer get(const Json& identifier);

struct SeedOption {
  std::optional<std::int64_t> seed;
};
struct VarianceScalingOptions {
  double scale = 1.0;
  std::string mode = "fan_in";                    // fan_in, fan_out, fan_avg
  std::string distribution = "truncated_normal";  // truncated_normal, untruncated_normal, uniform
  std::optional<std::int64_t> seed;
};

Initializer Zeros();
Initializer Ones();
Initializer Constant(double value = 0.0);
Initializer RandomUniform(double minval = -0.05, double maxval = 0.05, std::optional<std::int64_t> seed = {});
Initializer RandomNormal(double mean = 0.0, double stddev = 0.05, std::optional<std::int64_t> seed = {});
Initializer TruncatedNormal(double mean = 0.0, double stddev = 0.05, std::optional<std::int64_t> seed = {});
Initializer VarianceScaling(VarianceScalingOptions options = {});
Initializer GlorotUniform(SeedOption options = {});
Initializer GlorotNormal(SeedOption options = {});
Initializer HeUniform(SeedOption options = {});
Initializer HeNormal(SeedOption options = {});
Initializer LecunUniform(SeedOption options = {});
Initializer LecunNormal(SeedOption options = {});
Initializer Orthogonal(double gain = 1.0, std::optional<std::int64_t> seed = {});
Initializer Identity(double gain = 1.0);
// keras.initializers.STFT: side "real" (cos) or "imag" (sin) DFT kernels of
// shape (frame_length, channels, bins), windowed ("hann", "hamming", ...,
// null or frame_length numbers) and scaled ("density", "spectrum" or null).
Initializer STFT(const std::string& side = "real", Json window = "hann", Json scaling = "density",
                 bool periodic = false);

// Keras' fan computation (keras/src/initializers/random_initializers.py compute_fans).
std::pair<double, double> compute_fans(const Shape& shape);

}  // namespace keras::initializers
