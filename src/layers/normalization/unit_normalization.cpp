// keras.layers.UnitNormalization.
#include "layers/normalization/common.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/reduce.hpp"

namespace keras::detail {

UnitNormalizationImpl::UnitNormalizationImpl(const layers::UnitNormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "unit_normalization"), options_(o) {}

LayerPtr UnitNormalizationImpl::from_config(const Json& config) {
  layers::UnitNormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("axis"); it != config.end() && !it->is_null())
    o.axis = layers::AxisArg::from_json(*it, "UnitNormalization config 'axis'");
  auto layer = std::make_shared<UnitNormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json UnitNormalizationImpl::get_config() const {
  Json config = base_config();
  config["axis"] = options_.axis.to_json();
  return config;
}

Shape UnitNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  (void)canonical_axes(options_.axis.values(), static_cast<int>(input_shape.size()),
                       "UnitNormalization '" + name() + "'");
  return input_shape;
}

Tensor UnitNormalizationImpl::forward(const Tensor& input, bool /*training*/) {
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "UnitNormalization '" + name() + "'");
  // keras.ops.normalize(order=2, epsilon=1e-12): x * rsqrt(max(sum(x^2), eps^2)).
  return to_compute_dtype(kernels::l2_normalize(input, axes, 1e-12F), compute_dtype());
}

ad::Var UnitNormalizationImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "UnitNormalization '" + name() + "'");
  return ad::l2_normalize(input, axes, 1e-12F);
}

}  // namespace keras::detail

namespace keras::layers {
UnitNormalization::UnitNormalization(const UnitNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::UnitNormalizationImpl>(options)) {}
}  // namespace keras::layers
