// keras.layers.GroupNormalization.
#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/normalization.hpp"

namespace keras::detail {

namespace {
const std::string kClass = "GroupNormalization";
}  // namespace

GroupNormalizationImpl::GroupNormalizationImpl(const layers::GroupNormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "group_normalization"), options_(o) {
  if (o.groups <= 0 && o.groups != -1)
    throw ValueError(
        "Received an invalid value for argument `groups`, expected a positive integer (or `-1` for instance "
        "normalization). Received: groups=" +
        std::to_string(o.groups));
  options_.beta_regularizer = regularizers::get(o.beta_regularizer);
  options_.gamma_regularizer = regularizers::get(o.gamma_regularizer);
  options_.beta_constraint = constraints::get(o.beta_constraint);
  options_.gamma_constraint = constraints::get(o.gamma_constraint);
}

LayerPtr GroupNormalizationImpl::from_config(const Json& config) {
  layers::GroupNormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.groups = int_or(config, "groups", o.groups);
  o.axis = static_cast<int>(int_or(config, "axis", o.axis));
  o.epsilon = number_or(config, "epsilon", o.epsilon);
  o.center = bool_or(config, "center", o.center, kClass);
  o.scale = bool_or(config, "scale", o.scale, kClass);
  o.beta_initializer = initializer_or(config, "beta_initializer", "zeros");
  o.gamma_initializer = initializer_or(config, "gamma_initializer", "ones");
  o.beta_regularizer = regularizer_from(config, "beta_regularizer");
  o.gamma_regularizer = regularizer_from(config, "gamma_regularizer");
  o.beta_constraint = constraint_from(config, "beta_constraint");
  o.gamma_constraint = constraint_from(config, "gamma_constraint");
  auto layer = std::make_shared<GroupNormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json GroupNormalizationImpl::get_config() const {
  Json config = base_config();
  config["groups"] = options_.groups;
  config["axis"] = options_.axis;
  config["epsilon"] = options_.epsilon;
  config["center"] = options_.center;
  config["scale"] = options_.scale;
  config["beta_initializer"] = options_.beta_initializer.serialize();
  config["gamma_initializer"] = options_.gamma_initializer.serialize();
  config["beta_regularizer"] = options_.beta_regularizer;
  config["gamma_regularizer"] = options_.gamma_regularizer;
  config["beta_constraint"] = options_.beta_constraint;
  config["gamma_constraint"] = options_.gamma_constraint;
  return config;
}

void GroupNormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const int rank = static_cast<int>(shape.size());
  const int axis = canonical_axes({options_.axis}, rank, "GroupNormalization '" + name() + "'").front();
  if (axis == 0) throw ValueError("GroupNormalization '" + name() + "': the channel axis cannot be the batch axis");
  const std::int64_t dim = shape[static_cast<std::size_t>(axis)];
  if (dim < 0)
    throw ValueError("Axis " + std::to_string(options_.axis) +
                     " of input tensor should have a defined dimension but the layer received an input with shape " +
                     shape_to_string(shape) + ".");
  if (options_.groups == -1) options_.groups = dim;
  if (dim < options_.groups)
    throw ValueError("Number of groups (" + std::to_string(options_.groups) +
                     ") cannot be more than the number of channels (" + std::to_string(dim) + ").");
  if (dim % options_.groups != 0)
    throw ValueError("Number of groups (" + std::to_string(options_.groups) +
                     ") must be a multiple of the number of channels (" + std::to_string(dim) + ").");
  if (options_.scale) gamma_ = add_weight("gamma", {dim}, options_.gamma_initializer, true);
  if (options_.center) beta_ = add_weight("beta", {dim}, options_.beta_initializer, true);
}

Shape GroupNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  (void)canonical_axes({options_.axis}, static_cast<int>(input_shape.size()), "GroupNormalization '" + name() + "'");
  return input_shape;
}

Tensor GroupNormalizationImpl::forward(const Tensor& input, bool /*training*/) {
  if (!built()) build_for({input.shape()});
  const int axis = canonical_axes({options_.axis}, input.rank(), "GroupNormalization '" + name() + "'").front();
  const std::int64_t channels = gamma_ ? gamma_->shape()[0] : beta_ ? beta_->shape()[0] : input.dim(axis);
  if (input.dim(axis) != channels)
    throw ShapeMismatchError("GroupNormalization '" + name() + "' expects " + std::to_string(channels) +
                             " channels at axis " + std::to_string(options_.axis) + ", got input shape " +
                             shape_to_string(input.shape()));
  Tensor out = kernels::group_norm(input, options_.groups, gamma_ ? gamma_->value() : Tensor(),
                                   beta_ ? beta_->value() : Tensor(), static_cast<float>(options_.epsilon), axis);
  return to_compute_dtype(out, compute_dtype());
}

ad::Var GroupNormalizationImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  const int axis = canonical_axes({options_.axis}, input.rank(), "GroupNormalization '" + name() + "'").front();
  return ad::group_norm(input, options_.groups, gamma_ ? variables(gamma_) : ad::Var(),
                        beta_ ? variables(beta_) : ad::Var(), static_cast<float>(options_.epsilon), axis);
}

}  // namespace keras::detail

namespace keras::layers {
GroupNormalization::GroupNormalization(const GroupNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::GroupNormalizationImpl>(options)) {}
}  // namespace keras::layers
