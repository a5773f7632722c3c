// keras.layers.RMSNormalization.
#include <algorithm>

#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/normalization.hpp"

namespace keras::detail {

RMSNormalizationImpl::RMSNormalizationImpl(const layers::RMSNormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "rms_normalization"), options_(o) {
  if (o.axis.values().empty()) throw ValueError("RMSNormalization: `axis` must name at least one axis");
}

LayerPtr RMSNormalizationImpl::from_config(const Json& config) {
  layers::RMSNormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("axis"); it != config.end() && !it->is_null())
    o.axis = layers::AxisArg::from_json(*it, "RMSNormalization config 'axis'");
  o.epsilon = number_or(config, "epsilon", o.epsilon);
  auto layer = std::make_shared<RMSNormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json RMSNormalizationImpl::get_config() const {
  Json config = base_config();
  config["axis"] = options_.axis.to_json();
  config["epsilon"] = options_.epsilon;
  return config;
}

void RMSNormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const std::string what = "RMSNormalization '" + name() + "'";
  // Keras sorts the axes as given (negative ones stay negative) and keeps them as a list.
  std::vector<int> axes = options_.axis.values();
  std::sort(axes.begin(), axes.end());
  options_.axis = layers::AxisArg(axes);
  Shape param;
  for (int a : canonical_axes(axes, static_cast<int>(shape.size()), what)) {
    const std::int64_t dim = shape[static_cast<std::size_t>(a)];
    if (dim < 0)
      throw ValueError(what + " needs known dimensions at the normalized axes, got " + shape_to_string(shape));
    param.push_back(dim);
  }
  scale_ = add_weight("scale", param, "ones", true);
}

Shape RMSNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  (void)canonical_axes(options_.axis.values(), static_cast<int>(input_shape.size()),
                       "RMSNormalization '" + name() + "'");
  return input_shape;
}

Tensor RMSNormalizationImpl::forward(const Tensor& input, bool /*training*/) {
  if (!built()) build_for({input.shape()});
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "RMSNormalization '" + name() + "'");
  Tensor out = kernels::rms_norm(input, axes, scale_->value(), static_cast<float>(options_.epsilon));
  return to_compute_dtype(out, compute_dtype());
}

ad::Var RMSNormalizationImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "RMSNormalization '" + name() + "'");
  return ad::rms_norm(input, axes, variables(scale_), static_cast<float>(options_.epsilon));
}

}  // namespace keras::detail

namespace keras::layers {
RMSNormalization::RMSNormalization(const RMSNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::RMSNormalizationImpl>(options)) {}
}  // namespace keras::layers
