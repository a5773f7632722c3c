// keras.layers.RandomCrop and keras.layers.MaxNumBoundingBoxes.
#include <algorithm>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

// backend.random.make_default_seed: an int in [1, 1e9].
std::int64_t make_default_seed() { return static_cast<std::int64_t>(random::draw_seed() % 1000000000ULL) + 1; }

struct CropStart {
  std::int64_t h_start, w_start;
};

}  // namespace

// ---------------------------------------------------------------- RandomCrop

RandomCropImpl::RandomCropImpl(std::int64_t height, std::int64_t width, const layers::RandomCropOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_crop", o.data_format, o.seed ? *o.seed : make_default_seed()),
      height_(height),
      width_(width) {
  if (height < 1 || width < 1)
    throw ValueError("RandomCrop: height and width must be positive, got " + std::to_string(height) + "x" +
                     std::to_string(width));
  casts_at_inference_ = false;   // Keras returns the images untouched at inference
  converts_input_args_ = false;  // _convert_input_args = False
}

LayerPtr RandomCropImpl::from_config(const Json& config) {
  layers::RandomCropOptions o;
  read_image_layer_base(config, o);
  o.seed = config_seed(config, "RandomCrop");
  auto read = [&](const char* key) {
    auto it = config.find(key);
    if (it == config.end() || !it->is_number_integer())
      throw FormatError(std::string("RandomCrop config needs an integer '") + key + "'");
    return it->get<std::int64_t>();
  };
  return with_config_extras(std::make_shared<RandomCropImpl>(read("height"), read("width"), o), config);
}

Json RandomCropImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["height"] = height_;
  config["width"] = width_;
  config["seed"] = seed_to_json(seed_);
  config["data_format"] = data_format_;
  return config;
}

Shape RandomCropImpl::compute_output_shape(const Shape& input_shape) {
  Shape out = input_shape;
  const std::size_t rank = out.size();
  out[rank - (channels_first() ? 2 : 3)] = height_;
  out[rank - (channels_first() ? 1 : 2)] = width_;
  return out;
}

std::any RandomCropImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const std::int64_t h = height_of(shape), w = width_of(shape);
  if (h > height_ && w > width_) {
    const auto h_start = static_cast<std::int64_t>(rng.uniform(0.0, static_cast<double>(h - height_ + 1)));
    const auto w_start = static_cast<std::int64_t>(rng.uniform(0.0, static_cast<double>(w - width_ + 1)));
    return CropStart{h_start, w_start};
  }
  // The centred window of the target aspect ratio (resized afterwards).
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<double>(a) / static_cast<double>(b));
  };
  const std::int64_t crop_h = std::max<std::int64_t>(std::min(h, ratio(w * height_, width_)), 1);
  const std::int64_t crop_w = std::max<std::int64_t>(std::min(w, ratio(h * width_, height_)), 1);
  return CropStart{ratio(h - crop_h, 2), ratio(w - crop_w, 2)};
}

Tensor RandomCropImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& start = std::any_cast<const CropStart&>(transformation);
  const int h_axis = channels_first() ? 2 : 1;
  // images[..., h_start:h_start + height, w_start:w_start + width, ...], clipped at the border.
  std::vector<std::int64_t> begin(4, 0), size(4, -1);
  begin[h_axis] = std::min(start.h_start, images.dim(h_axis));
  begin[h_axis + 1] = std::min(start.w_start, images.dim(h_axis + 1));
  size[h_axis] = std::min(height_, images.dim(h_axis) - begin[h_axis]);
  size[h_axis + 1] = std::min(width_, images.dim(h_axis + 1) - begin[h_axis + 1]);
  Tensor cropped = kernels::slice(images, begin, size);
  if (cropped.dim(h_axis) == height_ && cropped.dim(h_axis + 1) == width_) return cropped;
  layers::ResizingOptions resize;
  resize.data_format = data_format_;
  return resize_images(cropped, height_, width_, resize, "RandomCrop '" + name() + "'");
}

// ------------------------------------------------------- MaxNumBoundingBoxes

MaxNumBoundingBoxesImpl::MaxNumBoundingBoxesImpl(std::int64_t max_number, const layers::MaxNumBoundingBoxesOptions& o)
    : ImagePreprocessingLayer(base_of(o), "max_num_bounding_boxes", o.data_format, std::nullopt),
      max_number_(max_number) {
  declares_input_dtype_ = true;  // its call returns the images untouched
  if (max_number < 1)
    throw ValueError("MaxNumBoundingBoxes: `max_number` must be positive, got " + std::to_string(max_number));
}

LayerPtr MaxNumBoundingBoxesImpl::from_config(const Json& config) {
  layers::MaxNumBoundingBoxesOptions o;
  read_image_layer_base(config, o);
  auto it = config.find("max_number");
  if (it == config.end() || !it->is_number()) throw FormatError("MaxNumBoundingBoxes config needs 'max_number'");
  return with_config_extras(std::make_shared<MaxNumBoundingBoxesImpl>(it->get<std::int64_t>(), o), config);
}

Json MaxNumBoundingBoxesImpl::get_config() const {
  // Keras keeps fill_value but does not write it.
  Json config = ImagePreprocessingLayer::get_config();
  config["max_number"] = max_number_;
  return config;
}

}  // namespace keras::detail

namespace keras::layers {
RandomCrop::RandomCrop(std::int64_t height, std::int64_t width, const RandomCropOptions& options)
    : LayerRef(std::make_shared<detail::RandomCropImpl>(height, width, options)) {}
MaxNumBoundingBoxes::MaxNumBoundingBoxes(std::int64_t max_number, const MaxNumBoundingBoxesOptions& options)
    : LayerRef(std::make_shared<detail::MaxNumBoundingBoxesImpl>(max_number, options)) {}
}  // namespace keras::layers
