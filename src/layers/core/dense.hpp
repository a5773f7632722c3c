#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "keras/layers/core.hpp"
#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/quantization.hpp"
#include "layers/lora.hpp"
#include "ops/linalg.hpp"

namespace keras::detail {

// Inference products x [..., K] . kernel (+ bias) through kernels::PreparedDense, one per row
// count and OpenMP team size: the kernel (any shape of K * N values, read as [K, N]) and the
// bias (N values, optional) copied once, rebuilt when either variable (or its version) changes.
// At most 16 preparations are kept. A single row through a large kernel with more than one
// thread configured runs as column blocks side by side: streaming the kernel is the whole cost,
// and two cores stream it faster than one. Thread-safe.
class PreparedMatmulCache {
 public:
  explicit PreparedMatmulCache(std::vector<kernels::PostOp> post_ops = {}) : post_ops_(std::move(post_ops)) {}
  // x float32 with x.dim(-1) == k and x.size() > 0 -> [..., n].
  Tensor run(const Tensor& x, const VariablePtr& kernel, const VariablePtr& bias, std::int64_t k, std::int64_t n) const;

 private:
  struct Prepared {
    std::shared_ptr<const kernels::PreparedDense> dense;
    // One row on several threads: column blocks of the kernel, one per thread, instead of `dense`.
    std::vector<std::shared_ptr<const kernels::PreparedDense>> columns;
    // Which variables it was made from (weak: compared by owner, so a freed variable's address
    // reused by a new one never matches).
    std::weak_ptr<Variable> kernel;
    std::weak_ptr<Variable> bias;
    std::uint64_t kernel_version = 0;
    std::uint64_t bias_version = 0;
  };
  static Tensor run_columns(const std::vector<std::shared_ptr<const kernels::PreparedDense>>& columns, const Tensor& x,
                            std::int64_t n);

  std::vector<kernels::PostOp> post_ops_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<std::int64_t, int>, Prepared> prepared_;
};

class DenseImpl final : public quant::QuantizedKernelLayer {
 public:
  DenseImpl(std::int64_t units, const layers::DenseOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Dense"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override {
    return dtype_policy().quantized() ? Differentiability::unsupported : Differentiability::differentiable;
  }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Masks: passes the input's mask through (supports_masking = True).
  bool supports_masking() const override { return true; }
  // Quantized: Keras' serialization spec of the mode (int8: kernel, bias,
  // kernel_scale; int4: kernel, bias, kernel_scale, kernel_zero, g_idx;
  // float8: kernel, bias, then the three scales and amax histories).
  std::vector<VariablePtr> own_variables() const override;
  // LoRA: the kernel (and int8/int4 scales) merged with the delta, as Keras'
  // save_own_variables writes them; loading resets a and b to zeros.
  std::vector<VariablePtr> variables_to_save() const override;
  void own_variables_loaded() override;
  void enable_lora(std::int64_t rank, const LoraOptions& options = {}) override;
  bool lora_enabled() const override { return lora_.enabled(); }
  const LoraAdapter& lora() const { return lora_; }

  std::int64_t units() const { return units_; }
  // The float kernel, or the int8 (int4: packed [in, ceil(units / 2)]) one.
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  const VariablePtr& kernel_scale() const { return kernel_scale_; }
  // The activation's canonical name ("linear" for none).
  const std::string& activation() const { return options_.activation; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void quantize_weights(const quantizers::QuantizationConfig& config) override;

 private:
  // Keras' quantized_build for the layer's mode (before the bias, as Keras).
  void quantized_build(std::int64_t input_dim);
  Tensor quantized_matmul(const Tensor& x);
  std::optional<std::int64_t> int4_block_size() const;

  std::int64_t units_;
  layers::DenseOptions options_;
  VariablePtr kernel_;
  VariablePtr bias_;
  // Quantized modes.
  std::optional<quantizers::AbsMaxQuantizer> inputs_quantizer_;
  LoraAdapter lora_;
};

// The keyword arguments Dense and TernaryDense read alike (Options has
// DenseOptions' fields): base options, activation, use_bias, initializers,
// regularizers and constraints.
template <typename Options>
void read_dense_options(const Json& config, Options& o, bool quantizable = false) {
  read_base_options(config, o, quantizable);
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
  if constexpr (requires { o.quantization_config; })
    if (quantizable) o.quantization_config = read_quantization_config(config);
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
