// keras.layers: convolutional layers (Conv1D/2D/3D, Conv1D/2D/3DTranspose,
// DepthwiseConv1D/2D, SeparableConv1D/2D).
//
// Per-dimension arguments (kernel_size, strides, dilation_rate,
// output_padding) take one value per spatial dimension or a single value used
// for every dimension, as Keras' ints-or-tuples do: `Conv2D(8, {3, 3})`,
// `Conv2D(8, 3)`, `.strides = {2}`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

// Keyword arguments of Conv1D/2D/3D.
struct ConvOptions {
  std::vector<std::int64_t> strides = {1};
  std::string padding = "valid";              // "valid", "same", or "causal" (Conv1D only)
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<std::int64_t> dilation_rate = {1};
  std::int64_t groups = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;  // keras::regularizers::L2(...) or a name
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;  // keras::constraints::MaxNorm(...) or a name
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
  // LoRA (Keras' lora_rank / lora_alpha): set, build() enables it with that
  // rank and alpha (Layer::enable_lora); lora_alpha defaults to lora_rank.
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.Conv1D/2D/3D: activation(conv(x, kernel) + bias); kernel shape
// (*kernel_size, in_channels / groups, filters).
class Conv1D : public LayerRef {
 public:
  Conv1D(std::int64_t filters, const std::vector<std::int64_t>& kernel_size, const ConvOptions& options = {});
  Conv1D(std::int64_t filters, std::int64_t kernel_size, const ConvOptions& options = {});
};
class Conv2D : public LayerRef {
 public:
  Conv2D(std::int64_t filters, const std::vector<std::int64_t>& kernel_size, const ConvOptions& options = {});
  Conv2D(std::int64_t filters, std::int64_t kernel_size, const ConvOptions& options = {});
};
class Conv3D : public LayerRef {
 public:
  Conv3D(std::int64_t filters, const std::vector<std::int64_t>& kernel_size, const ConvOptions& options = {});
  Conv3D(std::int64_t filters, std::int64_t kernel_size, const ConvOptions& options = {});
};
using Convolution1D = Conv1D;
using Convolution2D = Conv2D;
using Convolution3D = Conv3D;

// Keyword arguments of Conv1D/2D/3DTranspose.
struct ConvTransposeOptions {
  std::vector<std::int64_t> strides = {1};
  std::string padding = "valid";  // "valid" or "same"
  // Empty = Keras' None; each value must be < the stride.
  std::vector<std::int64_t> output_padding = {};
  std::string data_format = "channels_last";
  std::vector<std::int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
  // LoRA (Keras' lora_rank / lora_alpha): set, build() enables it with that
  // rank and alpha (Layer::enable_lora); lora_alpha defaults to lora_rank.
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.Conv1D/2D/3DTranspose; kernel shape (*kernel_size, filters, in_channels).
class Conv1DTranspose : public LayerRef {
 public:
  Conv1DTranspose(std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                  const ConvTransposeOptions& options = {});
  Conv1DTranspose(std::int64_t filters, std::int64_t kernel_size, const ConvTransposeOptions& options = {});
};
class Conv2DTranspose : public LayerRef {
 public:
  Conv2DTranspose(std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                  const ConvTransposeOptions& options = {});
  Conv2DTranspose(std::int64_t filters, std::int64_t kernel_size, const ConvTransposeOptions& options = {});
};
class Conv3DTranspose : public LayerRef {
 public:
  Conv3DTranspose(std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                  const ConvTransposeOptions& options = {});
  Conv3DTranspose(std::int64_t filters, std::int64_t kernel_size, const ConvTransposeOptions& options = {});
};
using Convolution1DTranspose = Conv1DTranspose;
using Convolution2DTranspose = Conv2DTranspose;
using Convolution3DTranspose = Conv3DTranspose;

// Keyword arguments of DepthwiseConv1D/2D.
struct DepthwiseConvOptions {
  std::vector<std::int64_t> strides = {1};
  std::string padding = "valid";  // "valid" or "same"
  std::int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  std::vector<std::int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json depthwise_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json depthwise_constraint = nullptr;
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.DepthwiseConv1D/2D: kernel (*kernel_size, in_channels,
// depth_multiplier); output channel c * depth_multiplier + m.
class DepthwiseConv1D : public LayerRef {
 public:
  explicit DepthwiseConv1D(const std::vector<std::int64_t>& kernel_size, const DepthwiseConvOptions& options = {});
  explicit DepthwiseConv1D(std::int64_t kernel_size, const DepthwiseConvOptions& options = {});
};
class DepthwiseConv2D : public LayerRef {
 public:
  explicit DepthwiseConv2D(const std::vector<std::int64_t>& kernel_size, const DepthwiseConvOptions& options = {});
  explicit DepthwiseConv2D(std::int64_t kernel_size, const DepthwiseConvOptions& options = {});
};

// Keyword arguments of SeparableConv1D/2D.
struct SeparableConvOptions {
  std::vector<std::int64_t> strides = {1};
  std::string padding = "valid";  // "valid" or "same"
  std::string data_format = "channels_last";
  std::vector<std::int64_t> dilation_rate = {1};
  std::int64_t depth_multiplier = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer pointwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json depthwise_regularizer = nullptr;
  Json pointwise_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json depthwise_constraint = nullptr;
  Json pointwise_constraint = nullptr;
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.SeparableConv1D/2D: a depthwise convolution followed by a 1x1
// convolution (pointwise_kernel (1.., in_channels * depth_multiplier, filters)).
class SeparableConv1D : public LayerRef {
 public:
  SeparableConv1D(std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                  const SeparableConvOptions& options = {});
  SeparableConv1D(std::int64_t filters, std::int64_t kernel_size, const SeparableConvOptions& options = {});
};
class SeparableConv2D : public LayerRef {
 public:
  SeparableConv2D(std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                  const SeparableConvOptions& options = {});
  SeparableConv2D(std::int64_t filters, std::int64_t kernel_size, const SeparableConvOptions& options = {});
};
using SeparableConvolution1D = SeparableConv1D;
using SeparableConvolution2D = SeparableConv2D;

}  // namespace keras::layers
