// keras.layers.Rescaling.
#include "layers/normalization/common.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "ops/elementwise.hpp"

namespace keras::detail {

RescalingImpl::RescalingImpl(Json scale, const layers::RescalingOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "rescaling"),
      scale_json_(std::move(scale)),
      offset_json_(o.offset.is_null() ? Json(0.0) : o.offset) {
  scale_ = tensor_from_json_numbers(scale_json_, "Rescaling '" + name() + "' scale");
  offset_ = tensor_from_json_numbers(offset_json_, "Rescaling '" + name() + "' offset");
}

LayerPtr RescalingImpl::from_config(const Json& config) {
  layers::RescalingOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  auto scale = config.find("scale");
  if (scale == config.end() || scale->is_null()) throw FormatError("Rescaling config needs a 'scale'");
  if (auto it = config.find("offset"); it != config.end() && !it->is_null()) o.offset = *it;
  auto layer = std::make_shared<RescalingImpl>(*scale, o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json RescalingImpl::get_config() const {
  Json config = base_config();
  config["scale"] = scale_json_;
  config["offset"] = offset_json_;
  return config;
}

Tensor RescalingImpl::forward(const Tensor& input, bool /*training*/) {
  // Keras casts inputs, scale and offset to the compute dtype: x * scale + offset.
  Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  Tensor out = kernels::channel_affine(x, kernels::BinaryOp::multiply, scale_, kernels::BinaryOp::add, offset_);
  if (!out.defined()) out = kernels::add(kernels::multiply(x, scale_), offset_);
  return to_compute_dtype(out, compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
Rescaling::Rescaling(Json scale, const RescalingOptions& options)
    : LayerRef(std::make_shared<detail::RescalingImpl>(std::move(scale), options)) {}
}  // namespace keras::layers
