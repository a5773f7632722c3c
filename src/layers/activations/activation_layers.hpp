// Implementations of the activation layers (keras/src/layers/activations/).
// None but PReLU has variables or a build_config (Keras builds them at init).
#pragma once

#include <vector>

#include "keras/layers/activations.hpp"

namespace keras::detail {

class ActivationImpl final : public Layer {
 public:
  ActivationImpl(const std::string& activation, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Activation"; }
  const std::string& activation() const { return activation_; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  // keras.activations.linear returns its argument.
  bool returns_its_input(bool /*training*/) const override { return activation_ == "linear"; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  std::string activation_;
};

class SoftmaxImpl final : public Layer {
 public:
  // `axis`: an int or a list of ints, written back as given.
  SoftmaxImpl(Json axis, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Softmax"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: uses `mask` (masked logits) and passes it through.
  bool supports_masking() const override { return true; }
  bool call_accepts_mask() const override { return true; }
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 private:
  Json axis_;
  std::vector<int> axes_;
};

class ReLUImpl final : public Layer {
 public:
  // Numbers are kept as written (an int stays an int in the config).
  ReLUImpl(Json max_value, Json negative_slope, Json threshold, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "ReLU"; }
  const Json& max_value() const { return max_value_; }
  const Json& negative_slope() const { return negative_slope_; }
  const Json& threshold() const { return threshold_; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Json max_value_;
  Json negative_slope_;
  Json threshold_;
};

class LeakyReLUImpl final : public Layer {
 public:
  LeakyReLUImpl(Json negative_slope, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "LeakyReLU"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Json negative_slope_;
};

// Keras' ELU has no get_config(): its config is the constructor call
// (name, then alpha when it was passed, then trainable and dtype).
class ELUImpl final : public Layer {
 public:
  ELUImpl(Json alpha, const LayerBaseOptions& base);  // alpha null: not passed (1.0)
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "ELU"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Json alpha_;
};

class PReLUImpl final : public Layer {
 public:
  explicit PReLUImpl(const layers::PReLUOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "PReLU"; }
  Json get_config() const override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  const VariablePtr& alpha() const { return alpha_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::PReLUOptions options_;
  VariablePtr alpha_;
};

}  // namespace keras::detail
