#pragma once

#include "keras/layers/core.hpp"
#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"

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
  // Masks: passes the input's mask through (supports_masking = True).
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

// The keyword arguments Dense and TernaryDense read alike (Options has
// DenseOptions' fields): base options, activation, use_bias, initializers,
// regularizers and constraints.
template <typename Options>
void read_dense_options(const Json& config, Options& o) {
  read_base_options(config, o);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = detail::config_value(config, "use_bias", true);
  if (auto it = config.find("kernel_initializer"); it != config.end() && !it->is_null())
    o.kernel_initializer = initializers::get(*it);
  if (auto it = config.find("bias_initializer"); it != config.end() && !it->is_null())
    o.bias_initializer = initializers::get(*it);
  o.kernel_regularizer = detail::config_value(config, "kernel_regularizer", Json(nullptr));
  o.bias_regularizer = detail::config_value(config, "bias_regularizer", Json(nullptr));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.kernel_constraint = detail::config_value(config, "kernel_constraint", Json(nullptr));
  o.bias_constraint = detail::config_value(config, "bias_constraint", Json(nullptr));
}

// The same options in canonical form (activation name, regularizer and constraint
// configs), as both layers' constructors keep them.
template <typename Options>
void canonicalize_dense_options(Options& o) {
  o.activation = canonical_activation(o.activation);
  o.kernel_regularizer = regularizers::get(o.kernel_regularizer);
  o.bias_regularizer = regularizers::get(o.bias_regularizer);
  o.kernel_constraint = constraints::get(o.kernel_constraint);
  o.bias_constraint = constraints::get(o.bias_constraint);
}

}  // namespace keras::detail
