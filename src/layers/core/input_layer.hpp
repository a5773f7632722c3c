#pragma once

#include "keras/layers/core.hpp"

namespace keras::detail {

// keras.layers.InputLayer: the source node of a graph. Its config has no
// `trainable` and a plain string dtype.
class InputLayerImpl final : public Layer {
 public:
  explicit InputLayerImpl(const layers::InputLayerOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "InputLayer"; }
  Json get_config() const override;
  bool writes_build_config() const override { return false; }
  const Shape& batch_shape() const { return batch_shape_; }
  DType input_dtype() const override { return dtype_; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  // The node with no inputs that produces this layer's tensor.
  KerasTensor output();

 private:
  Shape batch_shape_;
  DType dtype_;
  bool sparse_;
  bool ragged_;
  bool optional_;
  // Weak: the node owns this layer, so a strong reference would be a cycle.
  std::weak_ptr<Node> output_node_;
};

}  // namespace keras::detail
