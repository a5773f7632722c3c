#pragma once

#include "layers/core/input_layer.hpp"
#include "models/functional.hpp"

namespace keras::detail {

// keras.Sequential: a layer list run through an internal Functional graph,
// built once the input shape is known (so masks flow as they do in Keras).
class SequentialImpl final : public ModelImpl, public MaskedCallable {
 public:
  explicit SequentialImpl(const SequentialOptions& options);
  static std::shared_ptr<SequentialImpl> from_config(const Json& config);

  std::string class_name() const override { return "Sequential"; }
  std::string module() const override { return "keras"; }
  Json get_config() const override;
  std::optional<Json> build_config() const override;
  void build_from_config(const Json& build_config) override;
  // Keras converts inputs to the dtype of the InputLayer, when there is one.
  DType input_dtype() const override { return input_layer_ ? input_layer_->input_dtype() : compute_dtype(); }

  // `rebuild` false defers the graph to rebuild_graph(), as Keras'
  // Sequential(layers) does: one trace for the whole list.
  void add(const LayerPtr& layer, bool rebuild = true);
  void add_input(const std::shared_ptr<InputLayerImpl>& input, bool rebuild = true);
  // Traces the internal graph once an InputLayer and at least one layer exist.
  void rebuild_graph();
  void pop();
  void build_with_shape(const Shape& batch_input_shape);

  std::vector<KerasTensor> inputs() const override;
  std::vector<KerasTensor> outputs() const override;
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  MaskedRun call_masked(const CallArgs& args) override;
  MaskedRun call_masked_vjp(const CallArgs& args, Pullback* pullback) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  VjpResult call_vjp(const CallArgs& args) override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override { return layers_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  FunctionalImpl& graph() const;

  std::vector<LayerPtr> layers_;
  std::shared_ptr<InputLayerImpl> input_layer_;
  std::shared_ptr<FunctionalImpl> graph_;
};

}  // namespace keras::detail
