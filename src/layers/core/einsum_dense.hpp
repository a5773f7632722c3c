#pragma once

#include <memory>

#include <optional>
#include <string>
#include <vector>

#include "keras/layers/core.hpp"
#include "layers/core/quantization.hpp"
#include "layers/lora.hpp"

namespace keras::detail {

// What Keras' _analyze_einsum_string derives from an equation and the input
// shape: the kernel and bias shapes, the full output shape, and which kernel
// axes are input / output units (for the initializer's fans).
struct EinsumAnalysis {
  Shape kernel_shape;
  std::optional<Shape> bias_shape;
  Shape full_output_shape;
  std::vector<int> input_axes;
  std::vector<int> output_axes;
};
EinsumAnalysis analyze_einsum_string(const std::string& equation, const std::optional<std::string>& bias_axes,
                                     const Shape& input_shape, const Shape& partial_output_shape);

class PreparedMatmulCache;  // layers/core/dense.hpp

class EinsumDenseImpl final : public quant::QuantizedKernelLayer {
 public:
  EinsumDenseImpl(std::string equation, Shape output_shape, const layers::EinsumDenseOptions& options);
  // For layers that own EinsumDense sublayers (MultiHeadAttention's projections).
  EinsumDenseImpl(std::string equation, Shape output_shape, std::optional<std::string> bias_axes,
                  layers::EinsumDenseOptions options, std::string name);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "EinsumDense"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override {
    return dtype_policy().quantized() ? Differentiability::unsupported : Differentiability::differentiable;
  }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Quantized: the mode's serialization spec, as DenseImpl.
  std::vector<VariablePtr> own_variables() const override;
  // LoRA (lora_kernel_a [*kernel.shape[:-1], rank], lora_kernel_b [rank,
  // kernel.shape[-1]]): saved merged into the kernel; reset after loading.
  std::vector<VariablePtr> variables_to_save() const override;
  void own_variables_loaded() override;
  void enable_lora(std::int64_t rank, const LoraOptions& options = {}) override;
  bool lora_enabled() const override { return lora_.enabled(); }
  const LoraAdapter& lora() const { return lora_; }

  const std::string& equation() const { return equation_; }
  const Shape& partial_output_shape() const { return partial_output_shape_; }
  const std::optional<std::string>& bias_axes() const { return options_.bias_axes; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  const VariablePtr& kernel_scale() const { return kernel_scale_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void quantize_weights(const quantizers::QuantizationConfig& config) override;

 private:
  void quantized_build(const Shape& kernel_shape, int input_rank);
  Tensor quantized_einsum(const Tensor& x);
  // int4 keeps the kernel as [rows, columns]: the product of the contracted
  // kernel axes by the product of the others (a plain reshape, as Keras).
  std::pair<std::int64_t, std::int64_t> int4_rows_columns() const;
  Tensor scale_for_dequant() const;

  std::string equation_;
  Shape partial_output_shape_;
  layers::EinsumDenseOptions options_;
  VariablePtr kernel_;
  VariablePtr bias_;
  // Quantized modes.
  Shape kernel_shape_;  // the float kernel's shape
  quant::EinsumQuantInfo quant_info_;
  std::optional<quantizers::AbsMaxQuantizer> inputs_quantizer_;
  // An equation that is a plain matrix product: the input's last `contracted_` axes times the
  // kernel's first ones ("abc,cde->abde", "abcd,cde->abe", "...b,bc->...c"); 0 otherwise.
  // Such a layer runs through prepared_ (float32), the bias fused when it covers the kernel's
  // remaining axes exactly.
  int contracted_ = 0;
  std::shared_ptr<PreparedMatmulCache> prepared_;
  LoraAdapter lora_;
};

}  // namespace keras::detail
