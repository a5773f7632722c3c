// keras.layers.RandomColorJitter (image_preprocessing/random_color_jitter.py).
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"

namespace keras::detail {

RandomColorJitterImpl::RandomColorJitterImpl(const layers::RandomColorJitterOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_color_jitter", o.data_format, o.seed), options_(o) {
  casts_at_inference_ = false;
  // Keras builds the sub-layers with the value range and seed only (default data_format).
  layers::ColorOptions sub;
  sub.value_range = o.value_range;
  sub.seed = o.seed;
  auto add = [&](const std::string& attribute, std::shared_ptr<ImagePreprocessingLayer> layer) {
    track(attribute, layer);
    steps_.push_back(std::move(layer));
  };
  if (!o.brightness_factor.is_null())
    add("random_brightness", std::make_shared<RandomBrightnessImpl>(o.brightness_factor, sub));
  if (!o.contrast_factor.is_null())
    add("random_contrast", std::make_shared<RandomContrastImpl>(o.contrast_factor, sub));
  if (!o.saturation_factor.is_null())
    add("random_saturation", std::make_shared<RandomSaturationImpl>(o.saturation_factor, sub));
  if (!o.hue_factor.is_null()) add("random_hue", std::make_shared<RandomHueImpl>(o.hue_factor, sub));
}

LayerPtr RandomColorJitterImpl::from_config(const Json& config) {
  layers::RandomColorJitterOptions o;
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.brightness_factor = config_value(config, "brightness_factor", Json(nullptr));
  o.contrast_factor = config_value(config, "contrast_factor", Json(nullptr));
  o.saturation_factor = config_value(config, "saturation_factor", Json(nullptr));
  o.hue_factor = config_value(config, "hue_factor", Json(nullptr));
  o.seed = config_seed(config, "RandomColorJitter");
  return with_config_extras(std::make_shared<RandomColorJitterImpl>(o), config);
}

Json RandomColorJitterImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = options_.value_range;
  config["brightness_factor"] = options_.brightness_factor;
  config["contrast_factor"] = options_.contrast_factor;
  config["saturation_factor"] = options_.saturation_factor;
  config["hue_factor"] = options_.hue_factor;
  config["seed"] = seed_to_json(seed_);
  return config;
}

void RandomColorJitterImpl::build(const std::vector<Shape>& input_shapes) {
  for (const auto& step : steps_) step->build_for(input_shapes);
}

Tensor RandomColorJitterImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  // Each adjustment draws from this layer's stream, on the previous one's output.
  Tensor x = images;
  for (const auto& step : steps_) x = step->transform_images(x, step->random_transformation(x.shape(), rng()));
  return x;
}

}  // namespace keras::detail

namespace keras::layers {
RandomColorJitter::RandomColorJitter(const RandomColorJitterOptions& options)
    : LayerRef(std::make_shared<detail::RandomColorJitterImpl>(options)) {}
}  // namespace keras::layers
