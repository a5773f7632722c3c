#pragma once

#include "keras/layers/core.hpp"

namespace keras::detail {

// keras.layers.Identity. Its Keras class has no get_config(): the config is
// the base keys only.
class IdentityImpl final : public Layer {
 public:
  explicit IdentityImpl(const LayerBaseOptions& base) : Layer(base, "identity") {}
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Identity"; }
  bool writes_build_config() const override { return false; }
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  bool returns_its_input(bool /*training*/) const override { return true; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;
};

// keras.layers.Masking.
class MaskingImpl final : public Layer {
 public:
  MaskingImpl(Json mask_value, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Masking"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  // Masks: ignores any incoming mask; outputs any(inputs != mask_value, axis=-1).
  bool supports_masking() const override { return true; }
  // any(not_equal(inputs, mask_value), axis=-1) as symbolic op nodes.
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

  double mask_value() const { return mask_value_.get<double>(); }

 private:
  Json mask_value_;  // as written: an int stays an int
};

}  // namespace keras::detail
