// Implementations of the convolution layers. One class per Keras base class
// (BaseConv, BaseConvTranspose, BaseDepthwiseConv, BaseSeparableConv), the
// rank (1, 2, 3) being a member as in Keras.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keras/layers/convolutional.hpp"
#include "layers/lora.hpp"

namespace keras::detail {

// The standardized arguments every convolution shares.
struct ConvGeometry {
  int rank = 2;
  std::vector<std::int64_t> kernel_size;
  std::vector<std::int64_t> strides;
  std::string padding;      // lower case
  std::string data_format;  // "channels_last" / "channels_first"
  std::vector<std::int64_t> dilation_rate;
  std::string activation;  // canonical name
  bool use_bias = true;
};

class ConvLayerBase : public Layer {
 public:
  std::string class_name() const override { return class_name_; }
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

  const ConvGeometry& geometry() const { return geometry_; }
  bool channels_first() const { return geometry_.data_format == "channels_first"; }

 protected:
  ConvLayerBase(const LayerBaseOptions& base, std::string class_name, ConvGeometry geometry,
                const Json& activity_regularizer);

  // The channel count of an input shape (its last or second axis); throws when unknown.
  std::int64_t input_channels(const Shape& input_shape) const;
  // Output channels for a given number of input channels.
  virtual std::int64_t output_channels(std::int64_t input_channels) const = 0;
  // Output length along spatial dim `dim` for an input length >= 0.
  virtual std::int64_t output_length(int dim, std::int64_t input_length) const;
  // Input channels the variables were built for.
  virtual std::int64_t built_channels() const = 0;
  // The convolution (with bias) on a float32 channels_last input.
  virtual Tensor convolve(const Tensor& x) const = 0;
  // The same on the tape.
  virtual ad::Var convolve_tape(const ad::Var& x, TapeVariables& variables) const = 0;

  // The config's activity_regularizer entry (null when unset).
  Json activity_regularizer_json() const;

 private:
  std::string class_name_;
  ConvGeometry geometry_;
};

class ConvImpl final : public ConvLayerBase {
 public:
  ConvImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
           const layers::ConvOptions& options);
  static LayerPtr from_config(int rank, const Json& config);
  Json get_config() const override;

  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  // LoRA (Keras' BaseConv: lora_kernel_a [*kernel_size, in / groups, rank],
  // lora_kernel_b [rank, filters]): kernel, bias saved with the merged kernel.
  std::vector<VariablePtr> own_variables() const override;
  std::vector<VariablePtr> variables_to_save() const override;
  void own_variables_loaded() override;
  void enable_lora(std::int64_t rank, const LoraOptions& options = {}) override;
  bool lora_enabled() const override { return lora_.enabled(); }
  const LoraAdapter& lora() const { return lora_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::int64_t output_channels(std::int64_t /*input_channels*/) const override { return filters_; }
  std::int64_t built_channels() const override;
  Tensor convolve(const Tensor& x) const override;
  ad::Var convolve_tape(const ad::Var& x, TapeVariables& variables) const override;

 private:
  std::int64_t filters_;
  layers::ConvOptions options_;
  VariablePtr kernel_;
  VariablePtr bias_;
  LoraAdapter lora_;
};

class ConvTransposeImpl final : public ConvLayerBase {
 public:
  ConvTransposeImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                    const layers::ConvTransposeOptions& options);
  static LayerPtr from_config(int rank, const Json& config);
  Json get_config() const override;

  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::int64_t output_channels(std::int64_t /*input_channels*/) const override { return filters_; }
  std::int64_t output_length(int dim, std::int64_t input_length) const override;
  std::int64_t built_channels() const override;
  Tensor convolve(const Tensor& x) const override;
  ad::Var convolve_tape(const ad::Var& x, TapeVariables& variables) const override;

 private:
  std::int64_t filters_;
  layers::ConvTransposeOptions options_;  // output_padding standardized (empty = None)
  VariablePtr kernel_;
  VariablePtr bias_;
};

class DepthwiseConvImpl final : public ConvLayerBase {
 public:
  DepthwiseConvImpl(int rank, const std::vector<std::int64_t>& kernel_size,
                    const layers::DepthwiseConvOptions& options);
  static LayerPtr from_config(int rank, const Json& config);
  Json get_config() const override;

  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::int64_t output_channels(std::int64_t input_channels) const override {
    return input_channels * options_.depth_multiplier;
  }
  std::int64_t built_channels() const override;
  Tensor convolve(const Tensor& x) const override;
  ad::Var convolve_tape(const ad::Var& x, TapeVariables& variables) const override;

 private:
  layers::DepthwiseConvOptions options_;
  VariablePtr kernel_;
  VariablePtr bias_;
};

class SeparableConvImpl final : public ConvLayerBase {
 public:
  SeparableConvImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                    const layers::SeparableConvOptions& options);
  static LayerPtr from_config(int rank, const Json& config);
  Json get_config() const override;

  const VariablePtr& depthwise_kernel() const { return depthwise_kernel_; }
  const VariablePtr& pointwise_kernel() const { return pointwise_kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::int64_t output_channels(std::int64_t /*input_channels*/) const override { return filters_; }
  std::int64_t built_channels() const override;
  Tensor convolve(const Tensor& x) const override;
  ad::Var convolve_tape(const ad::Var& x, TapeVariables& variables) const override;

 private:
  std::int64_t filters_;
  layers::SeparableConvOptions options_;
  VariablePtr depthwise_kernel_;
  VariablePtr pointwise_kernel_;
  VariablePtr bias_;
};

}  // namespace keras::detail
