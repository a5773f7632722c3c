// Implementations of the regularization layers
// (keras/src/layers/regularization/). Keras builds them at init: no
// variables, no build_config; at inference each returns its input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keras/layers/regularization.hpp"

namespace keras::detail {

// Shared by the layers with a rate or stddev and an optional seed: the
// number as written, and a per-layer stream of seeds when a seed is given.
class NoiseLayer : public Layer {
 public:
  NoiseLayer(const LayerBaseOptions& base, const std::string& prefix, Json amount, std::optional<std::int64_t> seed);
  bool writes_build_config() const override { return false; }
  // Masks: Dropout, AlphaDropout, SpatialDropout*, GaussianNoise, GaussianDropout pass the mask through.
  bool supports_masking() const override { return true; }
  // Keras' call returns `inputs` itself unless it draws noise (training).
  bool returns_its_input(bool training) const override { return !training; }
  double amount() const { return amount_.get<double>(); }

 protected:
  // The seed of the next random draw: nullopt uses the process-wide generator.
  std::optional<std::uint64_t> next_seed();
  Json seed_json() const { return seed_ ? Json(*seed_) : Json(nullptr); }
  Json amount_;
  std::optional<std::int64_t> seed_;

 private:
  std::uint64_t draws_ = 0;
};

// Dropout and AlphaDropout (same config: rate, seed, noise_shape).
class DropoutImpl final : public NoiseLayer {
 public:
  DropoutImpl(bool alpha, Json rate, std::optional<Shape> noise_shape, std::optional<std::int64_t> seed,
              const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  static LayerPtr alpha_from_config(const Json& config);
  std::string class_name() const override { return alpha_ ? "AlphaDropout" : "Dropout"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  bool alpha_;
  std::optional<Shape> noise_shape_;
};

class SpatialDropoutImpl final : public NoiseLayer {
 public:
  SpatialDropoutImpl(int spatial_dims, Json rate, const std::string& data_format, std::optional<std::int64_t> seed,
                     const LayerBaseOptions& base);
  static LayerPtr from_config(int spatial_dims, const Json& config);
  std::string class_name() const override { return "SpatialDropout" + std::to_string(spatial_dims_) + "D"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  int spatial_dims_;
  std::string data_format_;
};

class GaussianNoiseImpl final : public NoiseLayer {
 public:
  GaussianNoiseImpl(Json stddev, std::optional<std::int64_t> seed, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "GaussianNoise"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
};

class GaussianDropoutImpl final : public NoiseLayer {
 public:
  GaussianDropoutImpl(Json rate, std::optional<std::int64_t> seed, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "GaussianDropout"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
};

// Keras passes activity_regularizer=L1L2(l1, l2) to the base layer and drops
// it from the config, which holds l1 and l2 instead.
class ActivityRegularizationImpl final : public Layer {
 public:
  ActivityRegularizationImpl(Json l1, Json l2, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "ActivityRegularization"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  bool returns_its_input(bool /*training*/) const override { return true; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Json l1_;
  Json l2_;
};

}  // namespace keras::detail
