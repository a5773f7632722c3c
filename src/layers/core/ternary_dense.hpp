#pragma once

#include "keras/layers/core.hpp"

namespace keras::detail {

// keras.layers.TernaryDense (keras/src/layers/core/ternary_dense.py), float kernel.
class TernaryDenseImpl final : public Layer {
 public:
  TernaryDenseImpl(std::int64_t units, const layers::TernaryDenseOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "TernaryDense"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  // Masks: passes the input's mask through (supports_masking = True).
  bool supports_masking() const override { return true; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::int64_t units_;
  layers::TernaryDenseOptions options_;
  VariablePtr kernel_, bias_;
};

}  // namespace keras::detail
