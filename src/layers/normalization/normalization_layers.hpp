// Implementations of the keras.layers normalization layers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/layers/normalization.hpp"

namespace keras::detail {

// A call's training flag: an explicit `training` keyword of the node wins
// over the flag of the whole run, as in Keras.
bool effective_training(const CallArgs& args);

class BatchNormalizationImpl final : public Layer {
 public:
  explicit BatchNormalizationImpl(const layers::BatchNormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "BatchNormalization"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;
  // Masks: uses `mask` for the moments in training; passes it through.
  bool call_accepts_mask() const override { return true; }
  bool supports_masking() const override { return true; }

  const VariablePtr& gamma() const { return gamma_; }
  const VariablePtr& beta() const { return beta_; }
  const VariablePtr& moving_mean() const { return moving_mean_; }
  const VariablePtr& moving_variance() const { return moving_variance_; }
  const layers::BatchNormalizationOptions& options() const { return options_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  Tensor apply(const Tensor& input, const std::optional<Tensor>& mask, bool training);
  // Training mode on the tape: batch statistics (updating the moving ones)
  // and the normalization, differentiable in x, gamma and beta.
  ad::Var apply_training(const ad::Var& x, const std::optional<Tensor>& mask, TapeVariables& variables);
  // Batch moments over every axis but `axis`, weighted by `mask` (rank - 1) when given.
  void batch_moments(const ad::Var& x, int axis, const std::optional<Tensor>& mask, ad::Var* mean,
                     ad::Var* variance) const;
  // Batch renormalization's training step: corrected gamma/beta and the statistics updates.
  void renorm_step(const Tensor& mean, const Tensor& variance, ad::Var* gamma, ad::Var* beta);
  // Checks the input against the layer; returns the normalized axis.
  int check_input(const Shape& shape, const std::optional<Tensor>& mask) const;

  layers::BatchNormalizationOptions options_;
  VariablePtr gamma_, beta_, moving_mean_, moving_variance_;
  VariablePtr moving_stddev_, renorm_mean_, renorm_stddev_;
};

class LayerNormalizationImpl final : public Layer {
 public:
  explicit LayerNormalizationImpl(const layers::LayerNormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "LayerNormalization"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::LayerNormalizationOptions options_;  // axis becomes the sorted canonical list once built
  VariablePtr gamma_, beta_;
};

class GroupNormalizationImpl final : public Layer {
 public:
  explicit GroupNormalizationImpl(const layers::GroupNormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "GroupNormalization"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::GroupNormalizationOptions options_;  // groups = -1 becomes the channel count once built
  VariablePtr gamma_, beta_;
};

class UnitNormalizationImpl final : public Layer {
 public:
  explicit UnitNormalizationImpl(const layers::UnitNormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "UnitNormalization"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }

 private:
  layers::UnitNormalizationOptions options_;
};

class RMSNormalizationImpl final : public Layer {
 public:
  explicit RMSNormalizationImpl(const layers::RMSNormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "RMSNormalization"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::RMSNormalizationOptions options_;  // axis becomes a sorted list once built
  VariablePtr scale_;
};

// keras.layers.SpectralNormalization: the wrapped layer with its kernel
// divided by its spectral norm (power iteration, in training); at inference
// the wrapped layer as it is.
class SpectralNormalizationImpl final : public Layer {
 public:
  SpectralNormalizationImpl(LayerPtr layer, std::int64_t power_iterations, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "SpectralNormalization"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override { return layer_->compute_output_shape(input_shape); }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  const LayerPtr& layer() const { return layer_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  // One power-iteration update of vector_u and the kernel (Keras' normalized_weights).
  void normalize_weights();

  LayerPtr layer_;
  std::int64_t power_iterations_;
  VariablePtr kernel_;  // the wrapped layer's kernel, shared
  VariablePtr vector_u_;
};

}  // namespace keras::detail
