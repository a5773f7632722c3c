// Implementations of the module-private layers of keras.applications
// (keras/src/applications/convnext.py, inception_resnet_v2.py).
#pragma once

#include "keras/autodiff.hpp"
#include "keras/layers/applications.hpp"

namespace keras::detail {

// A layer of a keras.src.applications module: its envelope names that module
// and carries the class name as registered_name.
class ApplicationLayer : public Layer {
 public:
  ApplicationLayer(const applications::ApplicationLayerOptions& o, const std::string& prefix, std::string module);
  std::string module() const override { return module_; }
  std::optional<std::string> registered_name() const override { return class_name(); }

 private:
  std::string module_;
};

class LayerScaleImpl final : public ApplicationLayer {
 public:
  LayerScaleImpl(Json init_values, std::int64_t projection_dim, const applications::ApplicationLayerOptions& o);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "LayerScale"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  Json init_values_;
  std::int64_t projection_dim_;
  VariablePtr gamma_;
};

class StochasticDepthImpl final : public ApplicationLayer {
 public:
  StochasticDepthImpl(Json drop_path_rate, const applications::ApplicationLayerOptions& o);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "StochasticDepth"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  // In training the tape draws its own per-sample keep/drop noise, as forward() does.
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;

 private:
  Json drop_path_rate_;
};

class CustomScaleLayerImpl final : public ApplicationLayer {
 public:
  CustomScaleLayerImpl(Json scale, const applications::ApplicationLayerOptions& o);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "CustomScaleLayer"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 private:
  Json scale_;
};

}  // namespace keras::detail
