// The regularization layers (keras/src/layers/regularization/).
#include <cmath>

#include "keras/regularizers.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/regularization/regularization_layers.hpp"
#include "ops/elementwise.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {

Json required_number(const Json& config, const std::string& key, const std::string& layer) {
  Json value = config_number(config, key, Json(nullptr), layer);
  if (value.is_null()) throw FormatError(layer + " config needs a number '" + key + "'");
  return value;
}

std::optional<std::int64_t> seed_from(const Json& config, const std::string& layer) {
  auto it = config.find("seed");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw FormatError(layer + " config 'seed' must be an integer, got " + it->dump());
  return it->get<std::int64_t>();
}

void check_unit_interval(double value, const std::string& key) {
  if (!(value >= 0.0 && value <= 1.0))
    throw ValueError("Invalid value received for argument `" + key +
                     "`. Expected a float value between 0 and 1. Received: " + key + "=" + std::to_string(value));
}

// Keras' concrete noise shape: unknown (-1) entries take the input's dimension.
Shape concrete_noise_shape(const std::optional<Shape>& noise_shape, const Shape& input_shape) {
  if (!noise_shape) return input_shape;
  Shape out = *noise_shape;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] < 0) {
      if (i >= input_shape.size()) throw ShapeMismatchError("Dropout noise_shape has more dimensions than the input");
      out[i] = input_shape[i];
    }
  }
  return out;
}

// backend.random.dropout's multiplier: 1 / (1 - rate) where uniform < 1 - rate, else 0.
Tensor dropout_scale(double rate, const Shape& noise_shape, std::optional<std::uint64_t> seed) {
  const auto keep_prob = static_cast<float>(1.0 - rate);
  Tensor keep = kernels::less(random::uniform(noise_shape, 0.0F, 1.0F, seed), Tensor::scalar(keep_prob));
  return kernels::where(keep, Tensor::scalar(1.0F / keep_prob), Tensor::scalar(0.0F));
}

// A noise layer's forward pass is its tape pass on constants.
Tensor through_tape(Layer& layer, const Tensor& input, bool training) {
  TapeVariables variables;
  return layer.forward_tape(ad::Var(input), variables, training).value();
}

}  // namespace

// ---------------------------------------------------------------- NoiseLayer

NoiseLayer::NoiseLayer(const LayerBaseOptions& base, const std::string& prefix, Json amount,
                       std::optional<std::int64_t> seed)
    : Layer(base, prefix), amount_(std::move(amount)), seed_(seed) {
  if (!amount_.is_number() || amount_.is_boolean())
    throw ValueError(prefix + ": expected a number, got " + amount_.dump());
}

std::optional<std::uint64_t> NoiseLayer::next_seed() {
  if (!seed_) return std::nullopt;
  // A different, reproducible draw for every call, like Keras' SeedGenerator.
  return static_cast<std::uint64_t>(*seed_) * 1000003ULL + draws_++;
}

// ---------------------------------------------------------------- Dropout / AlphaDropout

DropoutImpl::DropoutImpl(bool alpha, Json rate, std::optional<Shape> noise_shape, std::optional<std::int64_t> seed,
                         const LayerBaseOptions& base)
    : NoiseLayer(base, alpha ? "alpha_dropout" : "dropout", std::move(rate), seed),
      alpha_(alpha),
      noise_shape_(std::move(noise_shape)) {
  check_unit_interval(amount(), "rate");
  if (noise_shape_) {
    for (std::size_t i = 0; i < noise_shape_->size(); ++i) {
      const auto d = (*noise_shape_)[i];
      if (d == 0 || d < -1)
        throw ValueError(
            "Invalid value received for argument `noise_shape`. Expected all dimensions to be positive "
            "integers or None. Received negative or zero value at index " +
            std::to_string(i) + ": " + std::to_string(d));
    }
  }
}

namespace {
LayerPtr dropout_from_config(bool alpha, const Json& config) {
  const std::string layer = alpha ? "AlphaDropout" : "Dropout";
  std::optional<Shape> noise_shape;
  if (auto it = config.find("noise_shape"); it != config.end() && !it->is_null())
    noise_shape = shape_from_json(*it, layer + " noise_shape");
  return std::make_shared<DropoutImpl>(alpha, required_number(config, "rate", layer), noise_shape,
                                       seed_from(config, layer), Layer::base_options_from_config(config));
}
}  // namespace

LayerPtr DropoutImpl::from_config(const Json& config) { return dropout_from_config(false, config); }
LayerPtr DropoutImpl::alpha_from_config(const Json& config) { return dropout_from_config(true, config); }

Json DropoutImpl::get_config() const {
  Json config = base_config();
  config["rate"] = amount_;
  config["seed"] = seed_json();
  config["noise_shape"] = noise_shape_ ? shape_to_json(*noise_shape_) : Json(nullptr);
  return config;
}

Tensor DropoutImpl::forward(const Tensor& input, bool training) {
  Tensor x = autocast(input, compute_dtype());
  return to_dtype(through_tape(*this, x.astype(DType::float32), training), x.dtype());
}

ad::Var DropoutImpl::forward_tape(const ad::Var& x, TapeVariables& /*variables*/, bool training) {
  const double rate = amount();
  if (!training || rate <= 0.0) return x;
  const Shape noise_shape = concrete_noise_shape(noise_shape_, x.shape());
  if (!alpha_) return x * ad::Var(dropout_scale(rate, noise_shape, next_seed()));
  // AlphaDropout: dropped units take SELU's negative saturation value, then an
  // affine map restores the mean and variance.
  const double alpha = 1.6732632423543772;
  const double scale = 1.0507009873554805;
  const double alpha_p = -alpha * scale;
  Tensor kept = kernels::greater_equal(random::uniform(noise_shape, 0.0F, 1.0F, next_seed()),
                                       Tensor::scalar(static_cast<float>(rate)));
  const double a = std::pow((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p), -0.5);
  const double b = -a * alpha_p * rate;
  ad::Var y = ad::where(kept, x, ad::scalar(static_cast<float>(alpha_p)));
  return y * static_cast<float>(a) + static_cast<float>(b);
}

// ---------------------------------------------------------------- SpatialDropout

SpatialDropoutImpl::SpatialDropoutImpl(int spatial_dims, Json rate, const std::string& data_format,
                                       std::optional<std::int64_t> seed, const LayerBaseOptions& base)
    : NoiseLayer(base, "spatial_dropout" + std::to_string(spatial_dims) + "d", std::move(rate), seed),
      spatial_dims_(spatial_dims),
      data_format_(standardize_data_format(data_format)) {
  check_unit_interval(amount(), "rate");
}

LayerPtr SpatialDropoutImpl::from_config(int spatial_dims, const Json& config) {
  const std::string layer = "SpatialDropout" + std::to_string(spatial_dims) + "D";
  return std::make_shared<SpatialDropoutImpl>(spatial_dims, required_number(config, "rate", layer),
                                              spatial_dims == 1 ? "channels_last" : data_format_from(config, layer),
                                              seed_from(config, layer), Layer::base_options_from_config(config));
}

Json SpatialDropoutImpl::get_config() const {
  // Keras' BaseSpatialDropout.get_config does not call the base class.
  Json config{{"rate", amount_}, {"seed", seed_json()}, {"name", name()}, {"dtype", dtype_name(variable_dtype())}};
  if (spatial_dims_ > 1) config["data_format"] = data_format_;
  return config;
}

Shape SpatialDropoutImpl::compute_output_shape(const Shape& input_shape) {
  if (static_cast<int>(input_shape.size()) != spatial_dims_ + 2)
    throw ValueError("Input 0 of layer \"" + name() + "\" is incompatible with the layer: expected ndim=" +
                     std::to_string(spatial_dims_ + 2) + ", found ndim=" + std::to_string(input_shape.size()) +
                     ". Full shape received: " + shape_to_string(input_shape));
  return input_shape;
}

Tensor SpatialDropoutImpl::forward(const Tensor& input, bool training) {
  Tensor x = autocast(input, compute_dtype());
  compute_output_shape(x.shape());
  return to_dtype(through_tape(*this, x.astype(DType::float32), training), x.dtype());
}

ad::Var SpatialDropoutImpl::forward_tape(const ad::Var& x, TapeVariables& /*variables*/, bool training) {
  if (!training || amount() <= 0.0) return x;
  // One draw per (sample, channel): every spatial position shares it.
  Shape noise_shape(x.shape().size(), 1);
  noise_shape.front() = x.shape().front();
  const std::size_t channel_axis = data_format_ == "channels_first" ? 1 : x.shape().size() - 1;
  noise_shape[channel_axis] = x.shape()[channel_axis];
  return x * ad::Var(dropout_scale(amount(), noise_shape, next_seed()));
}

// ---------------------------------------------------------------- GaussianNoise / GaussianDropout

GaussianNoiseImpl::GaussianNoiseImpl(Json stddev, std::optional<std::int64_t> seed, const LayerBaseOptions& base)
    : NoiseLayer(base, "gaussian_noise", std::move(stddev), seed) {
  check_unit_interval(amount(), "stddev");
}

LayerPtr GaussianNoiseImpl::from_config(const Json& config) {
  return std::make_shared<GaussianNoiseImpl>(required_number(config, "stddev", "GaussianNoise"),
                                             seed_from(config, "GaussianNoise"), base_options_from_config(config));
}

Json GaussianNoiseImpl::get_config() const {
  Json config = base_config();
  config["stddev"] = amount_;
  config["seed"] = seed_json();
  return config;
}

Tensor GaussianNoiseImpl::forward(const Tensor& input, bool training) {
  Tensor x = autocast(input, compute_dtype());
  if (!training || amount() <= 0.0) return x;
  return to_dtype(through_tape(*this, x.astype(DType::float32), training), x.dtype());
}

ad::Var GaussianNoiseImpl::forward_tape(const ad::Var& x, TapeVariables& /*variables*/, bool training) {
  if (!training || amount() <= 0.0) return x;
  return x + ad::Var(random::normal(x.shape(), 0.0F, static_cast<float>(amount()), next_seed()));
}

GaussianDropoutImpl::GaussianDropoutImpl(Json rate, std::optional<std::int64_t> seed, const LayerBaseOptions& base)
    : NoiseLayer(base, "gaussian_dropout", std::move(rate), seed) {
  check_unit_interval(amount(), "rate");
}

LayerPtr GaussianDropoutImpl::from_config(const Json& config) {
  return std::make_shared<GaussianDropoutImpl>(required_number(config, "rate", "GaussianDropout"),
                                               seed_from(config, "GaussianDropout"), base_options_from_config(config));
}

Json GaussianDropoutImpl::get_config() const {
  Json config = base_config();
  config["rate"] = amount_;
  config["seed"] = seed_json();
  return config;
}

Tensor GaussianDropoutImpl::forward(const Tensor& input, bool training) {
  Tensor x = autocast(input, compute_dtype());
  if (!training || amount() <= 0.0) return x;
  return to_dtype(through_tape(*this, x.astype(DType::float32), training), x.dtype());
}

ad::Var GaussianDropoutImpl::forward_tape(const ad::Var& x, TapeVariables& /*variables*/, bool training) {
  const double rate = amount();
  if (!training || rate <= 0.0) return x;
  const auto stddev = static_cast<float>(std::sqrt(rate / (1.0 - rate)));
  return x * ad::Var(random::normal(x.shape(), 1.0F, stddev, next_seed()));
}

// ---------------------------------------------------------------- ActivityRegularization

ActivityRegularizationImpl::ActivityRegularizationImpl(Json l1, Json l2, const LayerBaseOptions& base)
    : Layer(base, "activity_regularization"), l1_(std::move(l1)), l2_(std::move(l2)) {
  if (!l1_.is_number() || !l2_.is_number())
    throw ValueError("ActivityRegularization l1 and l2 must be numbers, got " + l1_.dump() + ", " + l2_.dump());
  // The loss term a training loop adds for this layer's output.
  activity_regularizer_ = regularizers::L1L2(l1_.get<double>(), l2_.get<double>());
}

LayerPtr ActivityRegularizationImpl::from_config(const Json& config) {
  return std::make_shared<ActivityRegularizationImpl>(config_number(config, "l1", Json(0.0), "ActivityRegularization"),
                                                      config_number(config, "l2", Json(0.0), "ActivityRegularization"),
                                                      base_options_from_config(config));
}

Json ActivityRegularizationImpl::get_config() const {
  Json config = base_config();
  config.erase("activity_regularizer");
  config["l1"] = l1_;
  config["l2"] = l2_;
  return config;
}

Tensor ActivityRegularizationImpl::forward(const Tensor& input, bool /*training*/) {
  return autocast(input, compute_dtype());
}

ad::Var ActivityRegularizationImpl::forward_tape(const ad::Var& x, TapeVariables& /*variables*/, bool /*training*/) {
  return x;
}

}  // namespace keras::detail

namespace keras::layers {

namespace {
LayerBaseOptions spatial_base(const SpatialDropoutOptions& o) { return {o.name, o.dtype, true}; }
}  // namespace

Dropout::Dropout(double rate, const DropoutOptions& o)
    : LayerRef(std::make_shared<detail::DropoutImpl>(false, Json(rate), o.noise_shape, o.seed,
                                                     LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
AlphaDropout::AlphaDropout(double rate, const DropoutOptions& o)
    : LayerRef(std::make_shared<detail::DropoutImpl>(true, Json(rate), o.noise_shape, o.seed,
                                                     LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
SpatialDropout1D::SpatialDropout1D(double rate, const SpatialDropoutOptions& o)
    : LayerRef(std::make_shared<detail::SpatialDropoutImpl>(1, Json(rate), "channels_last", o.seed, spatial_base(o))) {}
SpatialDropout2D::SpatialDropout2D(double rate, const SpatialDropoutOptions& o)
    : LayerRef(std::make_shared<detail::SpatialDropoutImpl>(2, Json(rate), o.data_format, o.seed, spatial_base(o))) {}
SpatialDropout3D::SpatialDropout3D(double rate, const SpatialDropoutOptions& o)
    : LayerRef(std::make_shared<detail::SpatialDropoutImpl>(3, Json(rate), o.data_format, o.seed, spatial_base(o))) {}
GaussianNoise::GaussianNoise(double stddev, const NoiseOptions& o)
    : LayerRef(std::make_shared<detail::GaussianNoiseImpl>(Json(stddev), o.seed,
                                                           LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
GaussianDropout::GaussianDropout(double rate, const NoiseOptions& o)
    : LayerRef(std::make_shared<detail::GaussianDropoutImpl>(Json(rate), o.seed,
                                                             LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
ActivityRegularization::ActivityRegularization(const ActivityRegularizationOptions& o)
    : LayerRef(std::make_shared<detail::ActivityRegularizationImpl>(Json(o.l1), Json(o.l2),
                                                                    LayerBaseOptions{o.name, o.dtype, o.trainable})) {}

}  // namespace keras::layers
