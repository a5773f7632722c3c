#pragma once

#include "keras/layers/core.hpp"

namespace keras::detail {

class DenseImpl final : public Layer {
 public:
  DenseImpl(std::int64_t units, const layers::DenseOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Dense"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  bool supports_masking() const override { return true; }

  std::int64_t units() const { return units_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::int64_t units_;
  layers::DenseOptions options_;
  VariablePtr kernel_;
  VariablePtr bias_;
};

}  // namespace keras::detail
