// Implementations of the reshaping layers (keras/src/layers/reshaping/).
// Only Reshape is built at init in Keras (no build_config); the others write
// one though none has variables.
#pragma once

#include <string>
#include <vector>

#include "keras/layers/reshaping.hpp"

namespace keras::detail {

class FlattenImpl final : public Layer {
 public:
  FlattenImpl(const std::string& data_format, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Flatten"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  std::string data_format_;
};

class ReshapeImpl final : public Layer {
 public:
  ReshapeImpl(Shape target_shape, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Reshape"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Shape target_shape_;
};

class PermuteImpl final : public Layer {
 public:
  PermuteImpl(std::vector<int> dims, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Permute"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  std::vector<int> dims_;
};

class RepeatVectorImpl final : public Layer {
 public:
  RepeatVectorImpl(std::int64_t n, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RepeatVector"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  std::int64_t n_;
};

// UpSampling1D/2D/3D.
class UpSamplingImpl final : public Layer {
 public:
  UpSamplingImpl(int dims, std::vector<std::int64_t> size, const std::string& data_format, std::string interpolation,
                 const LayerBaseOptions& base);
  static LayerPtr from_config(int dims, const Json& config);
  std::string class_name() const override { return "UpSampling" + std::to_string(dims_) + "D"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  // Interpolating upsampling has no backward pass yet.
  Differentiability differentiability() const override {
    return interpolation_ == "nearest" ? Differentiability::differentiable : Differentiability::unsupported;
  }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  int dims_;
  std::vector<std::int64_t> size_;
  std::string data_format_;
  std::string interpolation_;
};

// ZeroPadding1D/2D/3D (pad = true) and Cropping1D/2D/3D (pad = false).
class PadCropImpl final : public Layer {
 public:
  PadCropImpl(bool pad, int dims, std::vector<layers::Pad> amounts, const std::string& data_format,
              const LayerBaseOptions& base);
  static LayerPtr from_config(bool pad, int dims, const Json& config);
  std::string class_name() const override { return (pad_ ? "ZeroPadding" : "Cropping") + std::to_string(dims_) + "D"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

  // What inference fusion needs to fold a ZeroPadding into the convolution after it.
  bool pads() const { return pad_; }
  bool channels_first() const { return data_format_ == "channels_first"; }
  const std::vector<layers::Pad>& amounts() const { return amounts_; }

 private:
  std::size_t first_spatial_axis() const { return data_format_ == "channels_first" ? 2 : 1; }
  bool pad_;
  int dims_;
  std::vector<layers::Pad> amounts_;
  std::string data_format_;
};

}  // namespace keras::detail
