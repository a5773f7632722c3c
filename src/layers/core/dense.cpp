#include "layers/core/dense.hpp"

#include "keras/regularizers.hpp"
#include "layers/activations/activation_tape.hpp"
#include "layers/config_utils.hpp"
#include "ops/activations.hpp"
#include "ops/linalg.hpp"

namespace keras::detail {

namespace {
LayerBaseOptions dense_base(const layers::DenseOptions& o) { return {o.name, o.dtype, o.trainable}; }
}  // namespace

DenseImpl::DenseImpl(std::int64_t units, const layers::DenseOptions& options)
    : Layer(dense_base(options), "dense"), units_(units), options_(options) {
  if (units <= 0)
    throw ValueError("Received an invalid value for `units`, expected a positive integer. Received: units=" +
                     std::to_string(units));
  canonicalize_dense_options(options_);
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
}

LayerPtr DenseImpl::from_config(const Json& config) {
  reject_unsupported_options(config, "Dense");
  layers::DenseOptions o;
  read_dense_options(config, o);
  return std::make_shared<DenseImpl>(required_int(config, "units", "Dense"), o);
}

Json DenseImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["activation"] = activation_to_config(options_.activation);
  config["use_bias"] = options_.use_bias;
  config["kernel_initializer"] = options_.kernel_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["kernel_regularizer"] = options_.kernel_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  config["kernel_constraint"] = options_.kernel_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  config["quantization_config"] = nullptr;
  return config;
}

void DenseImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  if (shape.empty() || shape.back() < 0)
    throw ValueError("Dense layer '" + name() + "' needs a known last input dimension, got " + shape_to_string(shape));
  kernel_ = add_weight("kernel", {shape.back(), units_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {units_}, options_.bias_initializer);
}

Shape DenseImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty()) throw ValueError("Dense layer '" + name() + "' needs an input of rank >= 1");
  Shape out = input_shape;
  out.back() = units_;
  return out;
}

Tensor DenseImpl::forward(const Tensor& input, bool /*training*/) {
  const Tensor& kernel = kernel_->value();
  if (input.rank() == 0 || input.shape().back() != kernel.shape()[0])
    throw ShapeMismatchError("Dense layer '" + name() + "' expects inputs with last dimension " +
                             std::to_string(kernel.shape()[0]) + ", got shape " + shape_to_string(input.shape()));
  // Keras rounds inputs and variables to the compute dtype (float16 under
  // mixed_float16) and returns that dtype; the math itself runs in float32.
  const DType compute = compute_dtype();
  auto in_compute_precision = [compute](const Tensor& t) {
    Tensor rounded = is_floating(t.dtype()) && t.dtype() != compute ? t.astype(compute) : t;
    return rounded.dtype() == DType::float32 ? rounded : rounded.astype(DType::float32);
  };
  Tensor y = kernels::dense(in_compute_precision(input), in_compute_precision(kernel),
                            bias_ ? in_compute_precision(bias_->value()) : Tensor());
  y = apply_activation(options_.activation, y);
  return y.dtype() == compute ? y : y.astype(compute);
}

ad::Var DenseImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  ad::Var y = ad::dense(input, variables(kernel_), bias_ ? variables(bias_) : ad::Var());
  return activation_tape(options_.activation, y);
}

}  // namespace keras::detail

namespace keras::layers {
Dense::Dense(std::int64_t units, const DenseOptions& options)
    : LayerRef(std::make_shared<detail::DenseImpl>(units, options)) {}
}  // namespace keras::layers
