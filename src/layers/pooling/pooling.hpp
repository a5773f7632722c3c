// Implementations of the pooling layers: one class per Keras base class
// (BasePooling, BaseGlobalPooling, BaseAdaptivePooling), with the rank and the
// max/average mode as members.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keras/layers/pooling.hpp"

namespace keras::detail {

enum class PoolMode { max, average };

// Max/AveragePooling1D/2D/3D.
class PoolingImpl final : public Layer {
 public:
  PoolingImpl(PoolMode mode, int rank, const std::vector<std::int64_t>& pool_size,
              const layers::PoolingOptions& options);
  static LayerPtr from_config(PoolMode mode, int rank, const Json& config);

  std::string class_name() const override;
  Json get_config() const override;
  // Keras builds these at construction: no build_config.
  bool writes_build_config() const override { return false; }
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  PoolMode mode_;
  int rank_;
  std::vector<std::int64_t> pool_size_;
  std::vector<std::int64_t> strides_;
  std::string padding_;  // as given (Keras does not normalize it)
  std::string data_format_;
};

// GlobalMax/GlobalAveragePooling1D/2D/3D.
class GlobalPoolingImpl final : public Layer {
 public:
  GlobalPoolingImpl(PoolMode mode, int rank, const layers::GlobalPoolingOptions& options);
  static LayerPtr from_config(PoolMode mode, int rank, const Json& config);

  std::string class_name() const override;
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

  // Masks: GlobalAveragePooling1D averages over the steps `mask` keeps and
  // outputs no mask (compute_mask None); the others drop the mask.
  bool call_accepts_mask() const override { return masked(); }
  bool supports_masking() const override { return masked(); }
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;

 private:
  bool masked() const { return mode_ == PoolMode::average && rank_ == 1; }
  Tensor masked_average(const Tensor& input, const Tensor& mask) const;

  PoolMode mode_;
  int rank_;
  std::string data_format_;
  bool keepdims_;
};

// AdaptiveMax/AdaptiveAveragePooling1D/2D/3D.
class AdaptivePoolingImpl final : public Layer {
 public:
  AdaptivePoolingImpl(PoolMode mode, int rank, const std::vector<std::int64_t>& output_size,
                      const layers::AdaptivePoolingOptions& options);
  static LayerPtr from_config(PoolMode mode, int rank, const Json& config);

  std::string class_name() const override;
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  PoolMode mode_;
  int rank_;
  std::vector<std::int64_t> output_size_;
  std::string data_format_;
};

}  // namespace keras::detail
