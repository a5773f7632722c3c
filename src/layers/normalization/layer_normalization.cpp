// keras.layers.LayerNormalization.
#include <algorithm>

#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/normalization.hpp"

namespace keras::detail {

namespace {
const std::string kClass = "LayerNormalization";
}  // namespace

LayerNormalizationImpl::LayerNormalizationImpl(const layers::LayerNormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "layer_normalization"), options_(o) {
  if (o.axis.values().empty()) throw ValueError("LayerNormalization: `axis` must name at least one axis");
  options_.beta_regularizer = regularizers::get(o.beta_regularizer);
  options_.gamma_regularizer = regularizers::get(o.gamma_regularizer);
  options_.beta_constraint = constraints::get(o.beta_constraint);
  options_.gamma_constraint = constraints::get(o.gamma_constraint);
}

LayerPtr LayerNormalizationImpl::from_config(const Json& config) {
  layers::LayerNormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("axis"); it != config.end() && !it->is_null())
    o.axis = layers::AxisArg::from_json(*it, "LayerNormalization config 'axis'");
  o.epsilon = number_or(config, "epsilon", o.epsilon);
  o.center = bool_or(config, "center", o.center, kClass);
  o.scale = bool_or(config, "scale", o.scale, kClass);
  o.rms_scaling = bool_or(config, "rms_scaling", false, kClass);
  o.beta_initializer = initializer_or(config, "beta_initializer", "zeros");
  o.gamma_initializer = initializer_or(config, "gamma_initializer", "ones");
  o.beta_regularizer = regularizer_from(config, "beta_regularizer");
  o.gamma_regularizer = regularizer_from(config, "gamma_regularizer");
  o.beta_constraint = constraint_from(config, "beta_constraint");
  o.gamma_constraint = constraint_from(config, "gamma_constraint");
  auto layer = std::make_shared<LayerNormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json LayerNormalizationImpl::get_config() const {
  Json config = base_config();
  config["axis"] = options_.axis.to_json();
  config["epsilon"] = options_.epsilon;
  config["center"] = options_.center;
  config["scale"] = options_.scale;
  config["rms_scaling"] = options_.rms_scaling;
  config["beta_initializer"] = options_.beta_initializer.serialize();
  config["gamma_initializer"] = options_.gamma_initializer.serialize();
  config["beta_regularizer"] = options_.beta_regularizer;
  config["gamma_regularizer"] = options_.gamma_regularizer;
  config["beta_constraint"] = options_.beta_constraint;
  config["gamma_constraint"] = options_.gamma_constraint;
  return config;
}

void LayerNormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  std::vector<int> axes =
      canonical_axes(options_.axis.values(), static_cast<int>(shape.size()), "LayerNormalization '" + name() + "'");
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw ValueError("Duplicate axes are not allowed. Received: axis=" + options_.axis.to_json().dump());
  // Keras keeps the sorted canonical list, which is what the config then shows.
  options_.axis = layers::AxisArg(axes);
  Shape param;
  for (int a : axes) {
    const std::int64_t dim = shape[static_cast<std::size_t>(a)];
    if (dim < 0)
      throw ValueError("LayerNormalization '" + name() + "' needs known dimensions at the normalized axes, got " +
                       shape_to_string(shape));
    param.push_back(dim);
  }
  if (options_.scale || options_.rms_scaling) gamma_ = add_weight("gamma", param, options_.gamma_initializer, true);
  if (options_.center && !options_.rms_scaling) beta_ = add_weight("beta", param, options_.beta_initializer, true);
}

Shape LayerNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  (void)canonical_axes(options_.axis.values(), static_cast<int>(input_shape.size()),
                       "LayerNormalization '" + name() + "'");
  return input_shape;
}

Tensor LayerNormalizationImpl::forward(const Tensor& input, bool /*training*/) {
  if (!built()) build_for({input.shape()});
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "LayerNormalization '" + name() + "'");
  Tensor out = kernels::layer_norm(input, axes, gamma_ ? gamma_->value() : Tensor(), beta_ ? beta_->value() : Tensor(),
                                   static_cast<float>(options_.epsilon), options_.rms_scaling);
  return to_compute_dtype(out, compute_dtype());
}

ad::Var LayerNormalizationImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  const std::vector<int> axes =
      canonical_axes(options_.axis.values(), input.rank(), "LayerNormalization '" + name() + "'");
  return ad::layer_norm(input, axes, gamma_ ? variables(gamma_) : ad::Var(), beta_ ? variables(beta_) : ad::Var(),
                        static_cast<float>(options_.epsilon), options_.rms_scaling);
}

}  // namespace keras::detail

namespace keras::layers {
LayerNormalization::LayerNormalization(const LayerNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::LayerNormalizationImpl>(options)) {}
}  // namespace keras::layers
