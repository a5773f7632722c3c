// keras.layers.Pipeline (keras/src/layers/preprocessing/pipeline.py).
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

PipelineImpl::PipelineImpl(std::vector<LayerPtr> layers, const std::string& name)
    : Layer(LayerBaseOptions{name, std::nullopt, true}, "pipeline"), layers_(std::move(layers)) {
  for (const auto& layer : layers_)
    if (!layer) throw ValueError("Pipeline: a layer of the pipeline is empty");
}

LayerPtr PipelineImpl::from_config(const Json& config) {
  auto it = config.find("layers");
  if (it == config.end() || !it->is_array())
    throw FormatError(
        "`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. Received "
        "config with layers=" +
        (it == config.end() ? std::string("None") : it->dump()));
  std::vector<LayerPtr> layers;
  for (const auto& entry : *it) layers.push_back(layer_from_envelope(entry));
  return std::make_shared<PipelineImpl>(std::move(layers), base_options_from_config(config).name);
}

Json PipelineImpl::get_config() const {
  // Keras writes only these two keys (no trainable, no dtype).
  Json layers = Json::array();
  for (const auto& layer : layers_) layers.push_back(envelope_of(*layer));
  return Json{{"layers", layers}, {"name", name()}};
}

std::vector<TensorSpec> PipelineImpl::compute_output_spec(const SpecArgs& args) {
  // Keras traces call(): each layer is built on, and then sees, the previous output.
  SpecArgs step;
  step.args = Json::array({Json{{"__tensor__", 0}}});
  step.tensors = {args.tensor(0)};
  step.training = args.training;
  for (const auto& layer : layers_) {
    layer->build_for({step.tensors.front().shape});
    step.tensors = {layer->compute_output_spec(step).at(0)};
  }
  return step.tensors;
}

std::vector<Tensor> PipelineImpl::call(const CallArgs& args) {
  CallArgs step;
  step.args = Json::array({Json{{"__tensor__", 0}}});
  step.tensors = {args.tensor(0)};
  step.training = args.training;
  // Pipeline.call hands each layer that takes `mask` the mask of its input:
  // the Pipeline's, then what the previous output carries (kept by layers that
  // support masking, dropped by the others; a mask a layer computes itself,
  // as Masking's, is not rebuilt here).
  std::optional<Tensor> mask = args.kwarg_tensor("mask");
  for (const auto& layer : layers_) {
    CallArgs call = step;
    if (mask && layer->call_accepts_mask()) {
      call.kwargs["mask"] = Json{{"__tensor__", 1}};
      call.tensors.push_back(*mask);
    }
    step.tensors = {layer->call(call).at(0)};
    if (!layer->supports_masking()) mask.reset();
  }
  return step.tensors;
}

}  // namespace keras::detail

namespace keras::layers {
Pipeline::Pipeline(const std::vector<LayerRef>& layers, const std::string& name)
    : LayerRef([&] {
        std::vector<LayerPtr> ptrs;
        for (const auto& layer : layers) ptrs.push_back(layer.ptr());
        return std::make_shared<detail::PipelineImpl>(std::move(ptrs), name);
      }()) {}
}  // namespace keras::layers
