// The keras.layers color augmentations with a factor, a value_range and a
// seed: RandomContrast, RandomBrightness, RandomColorDegeneration,
// RandomInvert, RandomPosterization, RandomSharpness, RandomHue,
// RandomSaturation. Their training math follows each Keras file of
// image_preprocessing/; at inference all but RandomSharpness return their
// input as it is (RandomSharpness casts it to the compute dtype).
#include <algorithm>
#include <cmath>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

// One number per image of the batch.
using PerImage = std::vector<double>;

std::vector<double> draw_per_image(std::int64_t batch, AugmentationRng& rng, double lo, double hi) {
  std::vector<double> out;
  for (std::int64_t b = 0; b < batch; ++b) out.push_back(rng.uniform(lo, hi));
  return out;
}

// out[b, ...] = fn(x[b, ...], value of image b), elementwise.
template <typename Fn>
Tensor per_image(const Tensor& images, const PerImage& values, Fn fn) {
  Tensor out(images.shape(), DType::float32);
  const std::int64_t image_size = images.size() / images.dim(0);
  const float* p = images.data<float>();
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < images.dim(0); ++b) {
    const double v = values[static_cast<std::size_t>(b)];
    for (std::int64_t i = b * image_size; i < (b + 1) * image_size; ++i) o[i] = fn(p[i], v);
  }
  return out;
}

layers::ColorOptions color_options_from(const Json& config, const std::string& layer) {
  layers::ColorOptions o;
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.seed = config_seed(config, layer);
  return o;
}

}  // namespace

ColorAugmentationImpl::ColorAugmentationImpl(const std::string& class_name, const std::string& prefix,
                                             const layers::ColorOptions& options, Json factor, Json value_range)
    : ImagePreprocessingLayer(base_of(options), prefix, options.data_format, options.seed),
      class_name_(class_name),
      factor_(std::move(factor)),
      value_range_(std::move(value_range)) {
  casts_at_inference_ = false;
}

Json ColorAugmentationImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["value_range"] = value_range_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

// ------------------------------------------------------------ RandomContrast

RandomContrastImpl::RandomContrastImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomContrast", "random_contrast", o,
                            image_factor(factor, 0, 1, "factor", "RandomContrast"),
                            value_range_arg(o.value_range, false, "RandomContrast")) {}

std::any RandomContrastImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  return draw_per_image(shape[0], rng, 1.0 - lo, 1.0 + hi);
}

Tensor RandomContrastImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& contrast = std::any_cast<const PerImage&>(transformation);
  // (x - mean) * factor + mean, the mean over height and width of each image and channel.
  Tensor x = nhwc(images);
  const std::int64_t batch = x.dim(0), pixels = x.dim(1) * x.dim(2), channels = x.dim(3);
  Tensor out(x.shape(), DType::float32);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t c = 0; c < channels; ++c) {
      const float* p = x.data<float>() + b * pixels * channels + c;
      float* o = out.data<float>() + b * pixels * channels + c;
      double total = 0.0;
      for (std::int64_t i = 0; i < pixels; ++i) total += p[i * channels];
      const auto mean = static_cast<float>(total / static_cast<double>(pixels));
      const auto factor = static_cast<float>(contrast[static_cast<std::size_t>(b)]);
      for (std::int64_t i = 0; i < pixels; ++i) o[i * channels] = (p[i * channels] - mean) * factor + mean;
    }
  return from_nhwc(clip_to_range(out, value_range_));
}

// ---------------------------------------------------------- RandomBrightness

RandomBrightnessImpl::RandomBrightnessImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomBrightness", "random_brightness", o,
                            image_factor(factor, -1, 1, "factor", "RandomBrightness"),
                            value_range_arg(o.value_range, true, "RandomBrightness")) {}

std::any RandomBrightnessImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  const auto [v_lo, v_hi] = pair_of(value_range_);
  PerImage delta = draw_per_image(shape[0], rng, lo, hi);
  for (auto& d : delta) d *= v_hi - v_lo;
  return delta;
}

Tensor RandomBrightnessImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& delta = std::any_cast<const PerImage&>(transformation);
  return clip_to_range(per_image(images, delta, [](float x, double d) { return x + static_cast<float>(d); }),
                       value_range_);
}

// --------------------------------------------------- RandomColorDegeneration

RandomColorDegenerationImpl::RandomColorDegenerationImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomColorDegeneration", "random_color_degeneration", o,
                            image_factor(factor, -1, 1, "factor", "RandomColorDegeneration"),
                            value_range_arg(o.value_range, true, "RandomColorDegeneration")) {}

Shape RandomColorDegenerationImpl::compute_output_shape(const Shape& input_shape) {
  const std::int64_t channels = input_shape[channels_first() ? input_shape.size() - 3 : input_shape.size() - 1];
  if (channels != kUnknownDim && channels != 3)
    throw ShapeMismatchError("RandomColorDegeneration '" + name() +
                             "': Input images must have 3 channels, but received images with " +
                             std::to_string(channels) + " channels.");
  return input_shape;
}

std::any RandomColorDegenerationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  return draw_per_image(shape[0], rng, lo, hi);
}

Tensor RandomColorDegenerationImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& factor = std::any_cast<const PerImage&>(transformation);
  Tensor x = nhwc(images);
  Tensor gray = kernels::rgb_to_grayscale(x);
  const std::int64_t channels = x.dim(3), pixels_per_image = x.dim(1) * x.dim(2);
  Tensor out(x.shape(), DType::float32);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const std::int64_t pixel = i / channels;
    const auto f = static_cast<float>(factor[static_cast<std::size_t>(pixel / pixels_per_image)]);
    const float v = x.data<float>()[i];
    out.data<float>()[i] = v + f * (gray.data<float>()[pixel] - v);
  }
  return from_nhwc(clip_to_range(out, value_range_));
}

// -------------------------------------------------------------- RandomInvert

RandomInvertImpl::RandomInvertImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomInvert", "random_invert", o, image_factor(factor, 0, 1, "factor", "RandomInvert"),
                            value_range_arg(o.value_range, false, "RandomInvert")) {}

std::any RandomInvertImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  PerImage apply;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double probability = rng.uniform(lo, hi);
    apply.push_back(rng.uniform() < probability ? 1.0 : 0.0);
  }
  return apply;
}

Tensor RandomInvertImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& apply = std::any_cast<const PerImage&>(transformation);
  const auto top = static_cast<float>(pair_of(value_range_).second);
  return per_image(images, apply, [top](float x, double a) { return a != 0.0 ? top - x : x; });
}

// ------------------------------------------------------- RandomPosterization

RandomPosterizationImpl::RandomPosterizationImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomPosterization", "random_posterization", o,
                            image_factor(factor, 1, 8, "factor", "RandomPosterization"),
                            value_range_arg(o.value_range, true, "RandomPosterization")) {}

std::any RandomPosterizationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  PerImage shift;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const auto bits = lo != hi ? rng.randint(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi))
                               : static_cast<std::int64_t>(lo);
    shift.push_back(static_cast<double>(8 - std::clamp<std::int64_t>(bits, 0, 8)));  // a uint8 keeps 0..8 bits
  }
  return shift;
}

Tensor RandomPosterizationImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& shift = std::any_cast<const PerImage&>(transformation);
  const Json full = Json::array({0, 255});
  Tensor x = transform_value_range(images, value_range_, full);
  Tensor out = per_image(x, shift, [](float v, double s) {
    const auto pixel = static_cast<unsigned>(std::clamp(v, 0.0F, 255.0F));  // the uint8 cast
    const auto bits = static_cast<unsigned>(s);
    return static_cast<float>((pixel >> bits) << bits);
  });
  return transform_value_range(out, full, value_range_);
}

// ----------------------------------------------------------- RandomSharpness

RandomSharpnessImpl::RandomSharpnessImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomSharpness", "random_sharpness", o,
                            image_factor(factor, 0, 1, "factor", "RandomSharpness"),
                            value_range_arg(o.value_range, true, "RandomSharpness")) {
  casts_at_inference_ = true;
}

std::any RandomSharpnessImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  return draw_per_image(shape[0], rng, lo, hi);
}

Tensor RandomSharpnessImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& factor = std::any_cast<const PerImage&>(transformation);
  Tensor x = nhwc(images);
  const std::int64_t batch = x.dim(0), height = x.dim(1), width = x.dim(2), channels = x.dim(3);
  // A 3x3 depthwise smoothing (1/13 around, 5/13 in the centre), zero "same" padding.
  const float a = 1.0F / 13.0F, centre = 5.0F / 13.0F;
  Tensor out(x.shape(), DType::float32);
  const float* p = x.data<float>();
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto sharpness = static_cast<float>(factor[static_cast<std::size_t>(b)] * 2.0);
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t xx = 0; xx < width; ++xx)
        for (std::int64_t c = 0; c < channels; ++c) {
          float smoothed = 0.0F;
          for (std::int64_t dy = -1; dy <= 1; ++dy)
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
              const std::int64_t r = y + dy, q = xx + dx;
              if (r < 0 || r >= height || q < 0 || q >= width) continue;
              smoothed += (dy == 0 && dx == 0 ? centre : a) * p[((b * height + r) * width + q) * channels + c];
            }
          const std::int64_t i = ((b * height + y) * width + xx) * channels + c;
          out.data<float>()[i] = p[i] + (1.0F - sharpness) * (smoothed - p[i]);
        }
  }
  return from_nhwc(clip_to_range(out, value_range_));
}

// ----------------------------------------------------------------- RandomHue

RandomHueImpl::RandomHueImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomHue", "random_hue", o, image_factor(factor, 0, 1, "factor", "RandomHue"),
                            value_range_arg(o.value_range, false, "RandomHue")) {}

std::any RandomHueImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  PerImage shift;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double invert = rng.uniform() > 0.5 ? -1.0 : 1.0;
    shift.push_back(invert * rng.uniform(lo, hi) * 0.5);
  }
  return shift;
}

Tensor RandomHueImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& shift = std::any_cast<const PerImage&>(transformation);
  const Json unit = Json::array({0, 1});
  Tensor hsv = kernels::rgb_to_hsv(transform_value_range(nhwc(images), value_range_, unit));
  const std::int64_t pixels_per_image = hsv.dim(1) * hsv.dim(2);
  float* p = hsv.data<float>();
  for (std::int64_t i = 0; i < hsv.size() / 3; ++i) {
    float h = p[i * 3] + static_cast<float>(shift[static_cast<std::size_t>(i / pixels_per_image)]);
    if (h > 1.0F) h -= 1.0F;
    if (h < 0.0F) h += 1.0F;
    p[i * 3] = h;
  }
  Tensor rgb = kernels::clip(kernels::hsv_to_rgb(hsv), 0.0F, 1.0F);
  return from_nhwc(transform_value_range(rgb, unit, value_range_));
}

// ---------------------------------------------------------- RandomSaturation

RandomSaturationImpl::RandomSaturationImpl(const Json& factor, const layers::ColorOptions& o)
    : ColorAugmentationImpl("RandomSaturation", "random_saturation", o,
                            image_factor(factor, -1, 1, "factor", "RandomSaturation"),
                            value_range_arg(o.value_range, true, "RandomSaturation")) {}

std::any RandomSaturationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  PerImage factor = draw_per_image(shape[0], rng, lo, hi);
  for (auto& f : factor) f = f / (1.0 - f + 1e-7);  // backend.epsilon()
  return factor;
}

Tensor RandomSaturationImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& factor = std::any_cast<const PerImage&>(transformation);
  const auto [lo, hi] = pair_of(value_range_);
  Tensor hsv = kernels::rgb_to_hsv(nhwc(images));
  const std::int64_t pixels_per_image = hsv.dim(1) * hsv.dim(2);
  float* p = hsv.data<float>();
  for (std::int64_t i = 0; i < hsv.size() / 3; ++i) {
    const float s = p[i * 3 + 1] * static_cast<float>(factor[static_cast<std::size_t>(i / pixels_per_image)]);
    p[i * 3 + 1] = std::min(std::max(s, static_cast<float>(lo)), static_cast<float>(hi));
  }
  return from_nhwc(kernels::hsv_to_rgb(hsv));
}

// ------------------------------------------------------------------ factories

LayerPtr color_layer_from_config(const std::string& class_name, const Json& config) {
  if (!config.contains("factor")) throw FormatError(class_name + " config needs 'factor'");
  const Json& factor = config.at("factor");
  const layers::ColorOptions o = color_options_from(config, class_name);
  std::shared_ptr<ImagePreprocessingLayer> layer;
  if (class_name == "RandomContrast") layer = std::make_shared<RandomContrastImpl>(factor, o);
  if (class_name == "RandomBrightness") layer = std::make_shared<RandomBrightnessImpl>(factor, o);
  if (class_name == "RandomColorDegeneration") layer = std::make_shared<RandomColorDegenerationImpl>(factor, o);
  if (class_name == "RandomInvert") layer = std::make_shared<RandomInvertImpl>(factor, o);
  if (class_name == "RandomPosterization") layer = std::make_shared<RandomPosterizationImpl>(factor, o);
  if (class_name == "RandomSharpness") layer = std::make_shared<RandomSharpnessImpl>(factor, o);
  if (class_name == "RandomHue") layer = std::make_shared<RandomHueImpl>(factor, o);
  if (class_name == "RandomSaturation") layer = std::make_shared<RandomSaturationImpl>(factor, o);
  if (!layer) throw UnknownObjectError("Not a color augmentation layer: " + class_name);
  return with_config_extras(layer, config);
}

}  // namespace keras::detail

namespace keras::layers {
RandomContrast::RandomContrast(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomContrastImpl>(factor, options)) {}
RandomBrightness::RandomBrightness(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomBrightnessImpl>(factor, options)) {}
RandomColorDegeneration::RandomColorDegeneration(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomColorDegenerationImpl>(factor, options)) {}
RandomInvert::RandomInvert(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomInvertImpl>(factor, options)) {}
RandomPosterization::RandomPosterization(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomPosterizationImpl>(factor, options)) {}
RandomSharpness::RandomSharpness(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomSharpnessImpl>(factor, options)) {}
RandomHue::RandomHue(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomHueImpl>(factor, options)) {}
RandomSaturation::RandomSaturation(const Json& factor, const ColorOptions& options)
    : LayerRef(std::make_shared<detail::RandomSaturationImpl>(factor, options)) {}
}  // namespace keras::layers
