// keras.layers.RandomFlip (image_preprocessing/random_flip.py).
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

RandomFlipImpl::RandomFlipImpl(const layers::RandomFlipOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_flip", o.data_format, o.seed), mode_(o.mode) {
  if (mode_ != "horizontal" && mode_ != "vertical" && mode_ != "horizontal_and_vertical")
    throw ValueError(
        "RandomFlip: `mode` must be 'horizontal', 'vertical' or 'horizontal_and_vertical'. Received: "
        "mode=" +
        mode_);
  converts_input_args_ = false;  // Keras sets _convert_input_args = False
}

LayerPtr RandomFlipImpl::from_config(const Json& config) {
  layers::RandomFlipOptions o;
  read_image_layer_base(config, o);
  o.mode = config_value(config, "mode", o.mode);
  o.seed = config_seed(config, "RandomFlip");
  return with_config_extras(std::make_shared<RandomFlipImpl>(o), config);
}

Json RandomFlipImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["seed"] = seed_to_json(seed_);
  config["mode"] = mode_;
  config["data_format"] = data_format_;
  return config;
}

std::any RandomFlipImpl::random_transformation(const Shape& images_shape, AugmentationRng& rng) {
  std::vector<bool> flips;
  for (std::int64_t b = 0; b < images_shape[0]; ++b) flips.push_back(rng.uniform() <= 0.5);
  return flips;
}

Tensor RandomFlipImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& flips = std::any_cast<const std::vector<bool>&>(transformation);
  const int width_axis = channels_first() ? 3 : 2, height_axis = width_axis - 1;
  std::vector<int> axes;
  if (mode_ != "vertical") axes.push_back(width_axis);
  if (mode_ != "horizontal") axes.push_back(height_axis);
  std::vector<Tensor> out;
  for (std::int64_t b = 0; b < images.dim(0); ++b) {
    Tensor image = kernels::slice(images, {b, 0, 0, 0}, {1, -1, -1, -1});
    out.push_back(flips[static_cast<std::size_t>(b)] ? kernels::flip(image, axes) : image);
  }
  return kernels::concatenate(out, 0);
}

}  // namespace keras::detail

namespace keras::layers {
RandomFlip::RandomFlip(const RandomFlipOptions& options)
    : LayerRef(std::make_shared<detail::RandomFlipImpl>(options)) {}
}  // namespace keras::layers
