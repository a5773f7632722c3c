// keras.layers.Solarization and keras.layers.RandomGrayscale.
#include <algorithm>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

// Solarization._set_factor: a number f in [0, 1] gives (0, f); a pair is sorted.
Json solarization_factor(const Json& factor, const std::string& arg) {
  const std::string error =
      "Solarization: The `addition_factor` and `threshold_factor` arguments should be a number (or a list of two "
      "numbers) in the range [0, 1]. ";
  auto check = [&](const Json& v) {
    if (!py::is_number(v) || py::value(v) > 1.0 || py::value(v) < 0.0)
      throw ValueError(error + "Received: input_number=" + v.dump());
  };
  if (factor.is_array()) {
    if (factor.size() != 2) throw ValueError(error + "Received: " + arg + "=" + factor.dump());
    check(factor[0]);
    check(factor[1]);
    return py::sorted_pair(factor);
  }
  if (!py::is_number(factor)) throw ValueError(error + "Received: " + arg + "=" + factor.dump());
  check(factor);
  return Json::array({0, factor});
}

struct SolarizationDraw {
  std::vector<float> additions, thresholds;
};

}  // namespace

// -------------------------------------------------------------- Solarization

SolarizationImpl::SolarizationImpl(const layers::SolarizationOptions& o)
    : ImagePreprocessingLayer(base_of(o), "solarization", o.data_format, o.seed),
      addition_factor_(solarization_factor(o.addition_factor, "addition_factor")),
      threshold_factor_(solarization_factor(o.threshold_factor, "threshold_factor")),
      value_range_(value_range_arg(o.value_range, true, "Solarization")) {}

LayerPtr SolarizationImpl::from_config(const Json& config) {
  layers::SolarizationOptions o;
  read_image_layer_base(config, o);
  o.addition_factor = config_value(config, "addition_factor", o.addition_factor);
  o.threshold_factor = config_value(config, "threshold_factor", o.threshold_factor);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.seed = config_seed(config, "Solarization");
  return with_config_extras(std::make_shared<SolarizationImpl>(o), config);
}

Json SolarizationImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = value_range_;
  config["addition_factor"] = addition_factor_;
  config["threshold_factor"] = threshold_factor_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any SolarizationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [a_lo, a_hi] = pair_of(addition_factor_);
  const auto [t_lo, t_hi] = pair_of(threshold_factor_);
  SolarizationDraw draw;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    // As in Keras, only the upper end is scaled to [0, 255].
    draw.additions.push_back(static_cast<float>(rng.uniform(a_lo, a_hi * 255.0)));
    draw.thresholds.push_back(static_cast<float>(rng.uniform(t_lo, t_hi * 255.0)));
  }
  return draw;
}

Tensor SolarizationImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& draw = std::any_cast<const SolarizationDraw&>(transformation);
  const Json full = Json::array({0, 255});
  Tensor x = transform_value_range(images, value_range_, full);
  Tensor out(x.shape(), DType::float32);
  const std::int64_t image_size = x.size() / x.dim(0);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const auto b = static_cast<std::size_t>(i / image_size);
    const float r = std::clamp(x.data<float>()[i] + draw.additions[b], 0.0F, 255.0F);
    out.data<float>()[i] = r < draw.thresholds[b] ? r : 255.0F - r;
  }
  return transform_value_range(out, full, value_range_);
}

// ----------------------------------------------------------- RandomGrayscale

RandomGrayscaleImpl::RandomGrayscaleImpl(const layers::RandomGrayscaleOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_grayscale", o.data_format, o.seed), factor_(o.factor) {
  if (!py::is_number(factor_) || py::value(factor_) < 0.0 || py::value(factor_) > 1.0)
    throw ValueError("RandomGrayscale: `factor` should be between 0 and 1. Received: factor=" + factor_.dump());
  casts_at_inference_ = false;
  declares_input_dtype_ = true;  // Keras' compute_output_spec keeps the input's dtype
}

LayerPtr RandomGrayscaleImpl::from_config(const Json& config) {
  layers::RandomGrayscaleOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.seed = config_seed(config, "RandomGrayscale");
  return with_config_extras(std::make_shared<RandomGrayscaleImpl>(o), config);
}

Json RandomGrayscaleImpl::get_config() const {
  // Keras keeps the seed but does not write it.
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  return config;
}

std::any RandomGrayscaleImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  std::vector<bool> apply;
  for (std::int64_t b = 0; b < shape[0]; ++b) apply.push_back(rng.uniform() < py::value(factor_));
  return apply;
}

Tensor RandomGrayscaleImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& apply = std::any_cast<const std::vector<bool>&>(transformation);
  Tensor x = nhwc(images);
  Tensor gray = kernels::rgb_to_grayscale(x);
  const std::int64_t channels = x.dim(3), pixels_per_image = x.dim(1) * x.dim(2);
  Tensor out = x.clone();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const std::int64_t pixel = i / channels;
    if (apply[static_cast<std::size_t>(pixel / pixels_per_image)]) out.data<float>()[i] = gray.data<float>()[pixel];
  }
  return from_nhwc(out);
}

}  // namespace keras::detail

namespace keras::layers {
Solarization::Solarization(const SolarizationOptions& options)
    : LayerRef(std::make_shared<detail::SolarizationImpl>(options)) {}
RandomGrayscale::RandomGrayscale(const RandomGrayscaleOptions& options)
    : LayerRef(std::make_shared<detail::RandomGrayscaleImpl>(options)) {}
}  // namespace keras::layers
