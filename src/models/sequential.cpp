#include "models/sequential.hpp"
#include "graph/config_json.hpp"

#include "layers/registrations.hpp"

namespace keras::detail {

SequentialImpl::SequentialImpl(const SequentialOptions& options)
    : ModelImpl(LayerBaseOptions{options.name, std::nullopt, options.trainable}, "sequential") {}

void SequentialImpl::add(const LayerPtr& layer, bool rebuild) {
  if (!layer) throw ValueError("Only instances of `keras.Layer` can be added to a Sequential model.");
  if (auto input = std::dynamic_pointer_cast<InputLayerImpl>(layer)) {
    add_input(input, rebuild);
    return;
  }
  for (const auto& existing : layers_) {
    if (existing->name() == layer->name())
      throw ValueError(
          "All layers added to a Sequential model should have unique names. Name '" + layer->name() +
          "' is already the name of a layer in this model. Update the `name` argument to pass a unique name.");
  }
  layers_.push_back(layer);
  if (rebuild) rebuild_graph();
}

void SequentialImpl::add_input(const std::shared_ptr<InputLayerImpl>& input, bool rebuild) {
  if (input_layer_ || !layers_.empty())
    throw ValueError("Sequential model '" + name() + "': an Input can only be the first entry");
  input_layer_ = input;
  if (rebuild) rebuild_graph();
}

void SequentialImpl::pop() {
  if (layers_.empty()) throw ValueError("There are no layers in the model.");
  layers_.pop_back();
  rebuild_graph();
}

void SequentialImpl::rebuild_graph() {
  graph_.reset();
  // Keras builds only with an InputLayer followed by at least one layer.
  if (!input_layer_ || layers_.empty()) return;
  KerasTensor x = input_layer_->output();
  for (const auto& layer : layers_) {
    auto outputs = call_operation(layer, {SymbolicArg(x)});
    if (outputs.size() != 1)
      throw ValueError("All layers in a Sequential model should have a single output tensor; layer '" + layer->name() +
                       "' has " + std::to_string(outputs.size()));
    x = outputs.front();
  }
  TensorStructure single{TensorStructure::Kind::single, {}};
  graph_ = std::make_shared<FunctionalImpl>(std::vector<KerasTensor>{input_layer_->output()}, single,
                                            std::vector<KerasTensor>{x}, single, name(), trainable());
  if (!built()) build_for({input_layer_->batch_shape()}, false);
}

void SequentialImpl::build(const std::vector<Shape>& input_shapes) {
  if (!input_layer_) {
    layers::InputLayerOptions o;
    o.batch_shape = input_shapes.at(0);
    input_layer_ = std::make_shared<InputLayerImpl>(o);
    rebuild_graph();
  }
}

void SequentialImpl::build_with_shape(const Shape& batch_input_shape) { build_for({batch_input_shape}, false); }

FunctionalImpl& SequentialImpl::graph() const {
  if (!graph_)
    throw ValueError("Sequential model '" + name() + "' has not been built yet: give it an Input or call build()");
  return *graph_;
}

std::vector<KerasTensor> SequentialImpl::inputs() const { return graph().inputs(); }
std::vector<KerasTensor> SequentialImpl::outputs() const { return graph().outputs(); }

std::vector<Tensor> SequentialImpl::run(const std::vector<Tensor>& inputs, bool training) {
  return graph().run(inputs, training);
}

std::vector<TensorSpec> SequentialImpl::compute_output_spec(const SpecArgs& args) {
  return graph().compute_output_spec(args);
}

std::vector<Tensor> SequentialImpl::call(const CallArgs& args) { return call_masked(args).outputs; }

// Sequential.call hands `mask` to its internal Functional graph.
MaskedRun SequentialImpl::call_masked(const CallArgs& args) {
  std::vector<Tensor> masks;
  if (auto mask = args.kwarg_tensor("mask")) masks.push_back(*mask);
  return graph().run_masked(args.tensor_list(0), masks, args.training);
}

MaskedRun SequentialImpl::call_masked_vjp(const CallArgs& args, Pullback* pullback) {
  std::vector<Tensor> masks;
  if (auto mask = args.kwarg_tensor("mask")) masks.push_back(*mask);
  Pullback inner;
  MaskedRun run = graph().run_masked(args.tensor_list(0), masks, args.training, &inner);
  *pullback =
      call_pullback(std::move(inner), input_indices_of(args, {TensorStructure::Kind::list, {}}), args.tensors.size());
  return run;
}

VjpResult SequentialImpl::call_vjp(const CallArgs& args) {
  VjpResult result;
  result.outputs = call_masked_vjp(args, &result.pullback).outputs;
  return result;
}

Json SequentialImpl::get_config() const {
  Json config{{"name", name()}, {"trainable", trainable()}, {"dtype", dtype_policy().serialize()}};
  Json layers = Json::array();
  if (input_layer_) layers.push_back(envelope_of(*input_layer_));
  for (const auto& layer : layers_) layers.push_back(envelope_of(*layer));
  config["layers"] = layers;
  if (graph_) config["build_input_shape"] = shape_to_json(input_layer_->batch_shape());
  return config;
}

std::optional<Json> SequentialImpl::build_config() const {
  if (!graph_) return std::nullopt;
  return Json{{"input_shape", shape_to_json(input_layer_->batch_shape())}};
}

void SequentialImpl::build_from_config(const Json& build_config) {
  if (graph_) return;
  auto it = build_config.find("input_shape");
  if (it != build_config.end() && !it->is_null()) build_with_shape(shape_from_json(*it, name() + " input_shape"));
}

std::shared_ptr<SequentialImpl> SequentialImpl::from_config(const Json& config) {
  if (!config.is_object() || !config.contains("name") || !config.contains("layers"))
    throw FormatError(
        "A Sequential model configuration must be a dictionary containing the 'name' and 'layers' keys. "
        "Received: config=" +
        config.dump());
  SequentialOptions options;
  options.name = config.at("name").get<std::string>();
  options.trainable = detail::config_value(config, "trainable", true);
  auto model = std::make_shared<SequentialImpl>(options);
  for (const auto& entry : config.at("layers")) model->add(layer_from_envelope(entry));
  if (!model->graph_) {
    if (auto it = config.find("build_input_shape"); it != config.end() && !it->is_null())
      model->build_with_shape(shape_from_json(*it, options.name + " build_input_shape"));
  }
  return model;
}

}  // namespace keras::detail
