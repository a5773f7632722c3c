// keras.layers RandomRotation, RandomZoom, RandomTranslation and RandomShear:
// per-image affine matrices applied with keras.ops.image.affine_transform.
#include <array>
#include <cmath>
#include <numbers>

#include "layers/core/layer_utils.hpp"
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

using layer_utils::config_number;

namespace {

void check_affine_settings(const AffineSettings& s, const std::string& layer) {
  if (s.fill_mode != "reflect" && s.fill_mode != "wrap" && s.fill_mode != "constant" && s.fill_mode != "nearest")
    throw NotImplementedError(layer + ": Unknown `fill_mode` " + s.fill_mode +
                              ". Expected of one ('reflect', 'wrap', 'constant', 'nearest').");
  check_interpolation(s.interpolation, layer);
  check_fill_value(s.fill_value, layer);
}

layers::AffineOptions affine_options_from(const Json& config, const std::string& layer) {
  layers::AffineOptions o;
  read_image_layer_base(config, o);
  o.fill_mode = config_value(config, "fill_mode", o.fill_mode);
  o.interpolation = config_value(config, "interpolation", o.interpolation);
  o.fill_value = config_number(config, "fill_value", o.fill_value, layer);
  o.seed = config_seed(config, layer);
  return o;
}

AffineSettings settings_of(const layers::AffineOptions& o) { return {o.fill_mode, o.interpolation, o.fill_value}; }

// Rows of [B, 8] affine matrices (c0 = c1 = 0).
Tensor matrices(const std::vector<std::array<double, 6>>& rows) {
  Tensor t({static_cast<std::int64_t>(rows.size()), 8}, DType::float32);
  float* p = t.data<float>();
  for (const auto& r : rows) {
    for (double v : r) *p++ = static_cast<float>(v);
    *p++ = 0.0F;
    *p++ = 0.0F;
  }
  return t;
}

const char* const kZoomMessage =
    "The `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) in the range "
    "(-1.0, 1.0]. ";
const char* const kTranslationMessage =
    "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. ";
const char* const kShearMessage =
    "The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. ";

}  // namespace

AffineAugmentationImpl::AffineAugmentationImpl(const LayerBaseOptions& base, const std::string& prefix,
                                               const std::optional<std::string>& data_format,
                                               std::optional<std::int64_t> seed, AffineSettings settings)
    : ImagePreprocessingLayer(base, prefix, data_format, seed), settings_(std::move(settings)) {}

void AffineAugmentationImpl::write_fill_and_seed(Json& config) const {
  config["fill_mode"] = settings_.fill_mode;
  config["interpolation"] = settings_.interpolation;
  config["seed"] = seed_to_json(seed_);
  config["fill_value"] = settings_.fill_value;
  config["data_format"] = data_format_;
}

Tensor AffineAugmentationImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& transforms = std::any_cast<const Tensor&>(transformation);
  return from_nhwc(kernels::affine_transform(nhwc(images), transforms, settings_.interpolation == "bilinear",
                                             kernels::parse_fill_mode(settings_.fill_mode),
                                             static_cast<float>(py::value(settings_.fill_value))));
}

// ------------------------------------------------------------ RandomRotation

RandomRotationImpl::RandomRotationImpl(const Json& factor, const layers::AffineOptions& o)
    : AffineAugmentationImpl(base_of(o), "random_rotation", o.data_format, o.seed, settings_of(o)),
      factor_(image_factor(factor, -1, 1, "factor", "RandomRotation")) {
  check_affine_settings(settings_, "RandomRotation");
}

LayerPtr RandomRotationImpl::from_config(const Json& config) {
  if (!config.contains("factor")) throw FormatError("RandomRotation config needs 'factor'");
  return with_config_extras(
      std::make_shared<RandomRotationImpl>(config.at("factor"), affine_options_from(config, "RandomRotation")), config);
}

Json RandomRotationImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["data_format"] = data_format_;
  config["fill_mode"] = settings_.fill_mode;
  config["fill_value"] = settings_.fill_value;
  config["interpolation"] = settings_.interpolation;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any RandomRotationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lower, upper] = pair_of(factor_);
  // _compute_affine_matrix with the centre at (0.5, 0.5), no shift, scale or shear.
  const double cx = 0.5 * static_cast<double>(width_of(shape) - 1);
  const double cy = 0.5 * static_cast<double>(height_of(shape) - 1);
  std::vector<std::array<double, 6>> rows;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double angle = rng.uniform(lower * 360.0, upper * 360.0) * std::numbers::pi / 180.0;
    const double c = std::cos(angle), s = std::sin(angle);
    rows.push_back({c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c});
  }
  return matrices(rows);
}

// ---------------------------------------------------------------- RandomZoom

RandomZoomImpl::RandomZoomImpl(Json height_factor, Json width_factor, const layers::AffineOptions& o)
    : AffineAugmentationImpl(base_of(o), "random_zoom", o.data_format, o.seed, settings_of(o)),
      height_factor_(std::move(height_factor)),
      width_factor_(std::move(width_factor)) {
  height_range_ = symmetric_factor(height_factor_, -1.0, 1.0, true, kZoomMessage, "height_factor", "RandomZoom");
  if (!width_factor_.is_null())
    width_range_ = symmetric_factor(width_factor_, -1.0, 1.0, true, kZoomMessage, "width_factor", "RandomZoom");
  check_affine_settings(settings_, "RandomZoom");
}

LayerPtr RandomZoomImpl::from_config(const Json& config) {
  if (!config.contains("height_factor")) throw FormatError("RandomZoom config needs 'height_factor'");
  return with_config_extras(
      std::make_shared<RandomZoomImpl>(config.at("height_factor"), config_value(config, "width_factor", Json(nullptr)),
                                       affine_options_from(config, "RandomZoom")),
      config);
}

Json RandomZoomImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["height_factor"] = height_factor_;
  config["width_factor"] = width_factor_;
  write_fill_and_seed(config);
  return config;
}

std::any RandomZoomImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [h_lo, h_hi] = pair_of(height_range_);
  const double w = static_cast<double>(width_of(shape)), h = static_cast<double>(height_of(shape));
  std::vector<std::array<double, 6>> rows;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double zy = rng.uniform(1.0 + h_lo, 1.0 + h_hi);
    double zx = zy;  // no width_factor: the aspect ratio is kept
    if (!width_range_.is_null()) {
      const auto [w_lo, w_hi] = pair_of(width_range_);
      zx = rng.uniform(1.0 + w_lo, 1.0 + w_hi);
    }
    rows.push_back({zx, 0.0, (w - 1.0) / 2.0 * (1.0 - zx), 0.0, zy, (h - 1.0) / 2.0 * (1.0 - zy)});
  }
  return matrices(rows);
}

// --------------------------------------------------------- RandomTranslation

RandomTranslationImpl::RandomTranslationImpl(Json height_factor, Json width_factor, const layers::AffineOptions& o)
    : AffineAugmentationImpl(base_of(o), "random_translation", o.data_format, o.seed, settings_of(o)),
      height_factor_(std::move(height_factor)),
      width_factor_(std::move(width_factor)) {
  height_range_ =
      symmetric_factor(height_factor_, -1.0, 1.0, false, kTranslationMessage, "height_factor", "RandomTranslation");
  width_range_ =
      symmetric_factor(width_factor_, -1.0, 1.0, false, kTranslationMessage, "width_factor", "RandomTranslation");
  check_affine_settings(settings_, "RandomTranslation");
}

LayerPtr RandomTranslationImpl::from_config(const Json& config) {
  if (!config.contains("height_factor") || !config.contains("width_factor"))
    throw FormatError("RandomTranslation config needs 'height_factor' and 'width_factor'");
  return with_config_extras(
      std::make_shared<RandomTranslationImpl>(config.at("height_factor"), config.at("width_factor"),
                                              affine_options_from(config, "RandomTranslation")),
      config);
}

Json RandomTranslationImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["height_factor"] = height_factor_;
  config["width_factor"] = width_factor_;
  write_fill_and_seed(config);
  return config;
}

std::any RandomTranslationImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [h_lo, h_hi] = pair_of(height_range_);
  const auto [w_lo, w_hi] = pair_of(width_range_);
  const double w = static_cast<double>(width_of(shape)), h = static_cast<double>(height_of(shape));
  std::vector<std::array<double, 6>> rows;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double dy = rng.uniform(h_lo, h_hi) * h;
    const double dx = rng.uniform(w_lo, w_hi) * w;
    rows.push_back({1.0, 0.0, -dx, 0.0, 1.0, -dy});
  }
  return matrices(rows);
}

// --------------------------------------------------------------- RandomShear

RandomShearImpl::RandomShearImpl(const layers::RandomShearOptions& o, bool lenient)
    : AffineAugmentationImpl(base_of(o), "random_shear", o.data_format, o.seed,
                             AffineSettings{o.fill_mode, o.interpolation, o.fill_value}) {
  // Keras checks each end against [0, 1], so the (-f, f) it writes for a
  // number f fails its own reload; files accept [-1, 1].
  const double lo = lenient ? -1.0 : 0.0;
  x_factor_ = symmetric_factor(o.x_factor, lo, 1.0, false, kShearMessage, "x_factor", "RandomShear");
  y_factor_ = symmetric_factor(o.y_factor, lo, 1.0, false, kShearMessage, "y_factor", "RandomShear");
  check_affine_settings(settings_, "RandomShear");
}

LayerPtr RandomShearImpl::from_config(const Json& config) {
  layers::RandomShearOptions o;
  read_image_layer_base(config, o);
  o.x_factor = config_value(config, "x_factor", o.x_factor);
  o.y_factor = config_value(config, "y_factor", o.y_factor);
  o.interpolation = config_value(config, "interpolation", o.interpolation);
  o.fill_mode = config_value(config, "fill_mode", o.fill_mode);
  o.fill_value = config_number(config, "fill_value", o.fill_value, "RandomShear");
  o.seed = config_seed(config, "RandomShear");
  return with_config_extras(std::make_shared<RandomShearImpl>(o, true), config);
}

Json RandomShearImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["x_factor"] = x_factor_;
  config["y_factor"] = y_factor_;
  write_fill_and_seed(config);
  return config;
}

std::any RandomShearImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [x_lo, x_hi] = pair_of(x_factor_);
  const auto [y_lo, y_hi] = pair_of(y_factor_);
  std::vector<std::array<double, 6>> rows;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double invert = rng.uniform() > 0.5 ? -1.0 : 1.0;
    const double shear_y = rng.uniform(y_lo, y_hi) * invert;
    const double shear_x = rng.uniform(x_lo, x_hi) * invert;
    rows.push_back({1.0, shear_x, 0.0, shear_y, 1.0, 0.0});
  }
  return matrices(rows);
}

}  // namespace keras::detail

namespace keras::layers {
RandomRotation::RandomRotation(const Json& factor, const AffineOptions& options)
    : LayerRef(std::make_shared<detail::RandomRotationImpl>(factor, options)) {}
RandomZoom::RandomZoom(Json height_factor, Json width_factor, const AffineOptions& options)
    : LayerRef(std::make_shared<detail::RandomZoomImpl>(std::move(height_factor), std::move(width_factor), options)) {}
RandomTranslation::RandomTranslation(Json height_factor, Json width_factor, const AffineOptions& options)
    : LayerRef(std::make_shared<detail::RandomTranslationImpl>(std::move(height_factor), std::move(width_factor),
                                                               options)) {}
RandomShear::RandomShear(const RandomShearOptions& options)
    : LayerRef(std::make_shared<detail::RandomShearImpl>(options)) {}
}  // namespace keras::layers
