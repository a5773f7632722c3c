#include "layers/applications/application_layers.hpp"

#include <cmath>

#include "layers/core/layer_utils.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"

namespace keras::detail {

namespace {

applications::ApplicationLayerOptions options_from(const Json& config) {
  const auto base = Layer::base_options_from_config(config);
  return {base.name, base.dtype, base.trainable};
}

Json required_number(const Json& config, const std::string& key, const std::string& layer) {
  Json value = layer_utils::config_number(config, key, Json(nullptr), layer);
  if (value.is_null()) throw FormatError(layer + " config needs a number '" + key + "'");
  return value;
}

// A tape value in the compute dtype (the tape computes in float32).
ad::Var to_compute(const ad::Var& v, DType dtype) { return v.dtype() == dtype ? v : ad::cast(v, dtype); }

void check_number(const Json& value, const std::string& key, const std::string& layer) {
  if (!value.is_number() || value.is_boolean())
    throw ValueError(layer + ": `" + key + "` must be a number, got " + value.dump());
}

}  // namespace

ApplicationLayer::ApplicationLayer(const applications::ApplicationLayerOptions& o, const std::string& prefix,
                                   std::string module)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, prefix), module_(std::move(module)) {}

// ---------------------------------------------------------------- LayerScale

LayerScaleImpl::LayerScaleImpl(Json init_values, std::int64_t projection_dim,
                               const applications::ApplicationLayerOptions& o)
    : ApplicationLayer(o, "layer_scale", "keras.src.applications.convnext"),
      init_values_(std::move(init_values)),
      projection_dim_(projection_dim) {
  check_number(init_values_, "init_values", "LayerScale");
  if (projection_dim < 1) throw ValueError("LayerScale: `projection_dim` must be positive");
}

LayerPtr LayerScaleImpl::from_config(const Json& config) {
  auto it = config.find("projection_dim");
  if (it == config.end() || !it->is_number_integer()) throw FormatError("LayerScale config needs 'projection_dim'");
  return std::make_shared<LayerScaleImpl>(required_number(config, "init_values", "LayerScale"), it->get<std::int64_t>(),
                                          options_from(config));
}

Json LayerScaleImpl::get_config() const {
  Json config = base_config();
  config["init_values"] = init_values_;
  config["projection_dim"] = projection_dim_;
  return config;
}

void LayerScaleImpl::build(const std::vector<Shape>& /*input_shapes*/) {
  // Keras' add_weight without a name.
  gamma_ = add_weight("variable", {projection_dim_}, initializers::Constant(init_values_.get<double>()));
}

Tensor LayerScaleImpl::forward(const Tensor& input, bool /*training*/) {
  if (!gamma_) throw ValueError("LayerScale '" + name() + "' is not built");
  Tensor x = layer_utils::autocast(input, compute_dtype());
  return layer_utils::to_dtype(kernels::multiply(x, gamma_->value()), compute_dtype());
}

ad::Var LayerScaleImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  if (!gamma_) throw ValueError("LayerScale '" + name() + "' is not built");
  return to_compute(input * variables(gamma_), compute_dtype());
}

// ----------------------------------------------------------- StochasticDepth

StochasticDepthImpl::StochasticDepthImpl(Json drop_path_rate, const applications::ApplicationLayerOptions& o)
    : ApplicationLayer(o, "stochastic_depth", "keras.src.applications.convnext"),
      drop_path_rate_(std::move(drop_path_rate)) {
  check_number(drop_path_rate_, "drop_path_rate", "StochasticDepth");
}

LayerPtr StochasticDepthImpl::from_config(const Json& config) {
  return std::make_shared<StochasticDepthImpl>(required_number(config, "drop_path_rate", "StochasticDepth"),
                                               options_from(config));
}

Json StochasticDepthImpl::get_config() const {
  Json config = base_config();
  config["drop_path_rate"] = drop_path_rate_;
  return config;
}

Tensor StochasticDepthImpl::forward(const Tensor& input, bool training) {
  Tensor x = layer_utils::autocast(input, compute_dtype());
  if (!training) return x;
  // Batch-wise: one keep/drop draw per sample, x / keep_prob * floor(keep_prob + U(0, 1)).
  const double keep_prob = 1.0 - drop_path_rate_.get<double>();
  Shape noise_shape(static_cast<std::size_t>(x.rank()), 1);
  noise_shape[0] = x.dim(0);
  Tensor keep = kernels::floor(kernels::add(random::uniform(noise_shape), static_cast<float>(keep_prob)));
  Tensor scaled = kernels::multiply(x.astype(DType::float32), static_cast<float>(1.0 / keep_prob));
  return layer_utils::to_dtype(kernels::multiply(scaled, keep), compute_dtype());
}

ad::Var StochasticDepthImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool training) {
  if (!training) return to_compute(input, compute_dtype());
  const double keep_prob = 1.0 - drop_path_rate_.get<double>();
  Shape noise_shape(static_cast<std::size_t>(input.rank()), 1);
  noise_shape[0] = input.dim(0);
  Tensor keep = kernels::floor(kernels::add(random::uniform(noise_shape), static_cast<float>(keep_prob)));
  return to_compute((input * static_cast<float>(1.0 / keep_prob)) * ad::Var(keep), compute_dtype());
}

// ---------------------------------------------------------- CustomScaleLayer

CustomScaleLayerImpl::CustomScaleLayerImpl(Json scale, const applications::ApplicationLayerOptions& o)
    : ApplicationLayer(o, "custom_scale_layer", "keras.src.applications.inception_resnet_v2"),
      scale_(std::move(scale)) {
  check_number(scale_, "scale", "CustomScaleLayer");
}

LayerPtr CustomScaleLayerImpl::from_config(const Json& config) {
  return std::make_shared<CustomScaleLayerImpl>(required_number(config, "scale", "CustomScaleLayer"),
                                                options_from(config));
}

Json CustomScaleLayerImpl::get_config() const {
  Json config = base_config();
  config["scale"] = scale_;
  return config;
}

std::vector<TensorSpec> CustomScaleLayerImpl::compute_output_spec(const SpecArgs& args) {
  auto inputs = args.tensor_list(0);
  if (inputs.size() != 2)
    throw ValueError("CustomScaleLayer '" + name() + "' is called on a list of two tensors, got " +
                     std::to_string(inputs.size()));
  Shape shape = kernels::broadcast_shapes(inputs[0].shape, inputs[1].shape, "CustomScaleLayer");
  return {TensorSpec{shape, compute_dtype()}};
}

std::vector<Tensor> CustomScaleLayerImpl::call(const CallArgs& args) {
  auto inputs = args.tensor_list(0);
  if (inputs.size() != 2)
    throw ValueError("CustomScaleLayer '" + name() + "' is called on a list of two tensors, got " +
                     std::to_string(inputs.size()));
  const Tensor a = layer_utils::autocast(inputs[0], compute_dtype()),
               b = layer_utils::autocast(inputs[1], compute_dtype());
  Tensor out = kernels::add(a, kernels::multiply(b, static_cast<float>(scale_.get<double>())));
  return {layer_utils::to_dtype(out, compute_dtype())};
}

std::vector<ad::Var> CustomScaleLayerImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                     TapeVariables& /*variables*/) {
  auto inputs = tape_arg_list(args, tensors, 0);
  if (inputs.size() != 2)
    throw ValueError("CustomScaleLayer '" + name() + "' is called on a list of two tensors, got " +
                     std::to_string(inputs.size()));
  return {to_compute(inputs[0] + inputs[1] * static_cast<float>(scale_.get<double>()), compute_dtype())};
}

}  // namespace keras::detail

namespace keras::applications {
convnext::LayerScale::LayerScale(Json init_values, std::int64_t projection_dim, const ApplicationLayerOptions& options)
    : LayerRef(std::make_shared<detail::LayerScaleImpl>(std::move(init_values), projection_dim, options)) {}
convnext::StochasticDepth::StochasticDepth(Json drop_path_rate, const ApplicationLayerOptions& options)
    : LayerRef(std::make_shared<detail::StochasticDepthImpl>(std::move(drop_path_rate), options)) {}
inception_resnet_v2::CustomScaleLayer::CustomScaleLayer(Json scale, const ApplicationLayerOptions& options)
    : LayerRef(std::make_shared<detail::CustomScaleLayerImpl>(std::move(scale), options)) {}
}  // namespace keras::applications
