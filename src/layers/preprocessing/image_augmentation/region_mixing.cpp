// keras.layers RandomErasing, CutMix and MixUp: regions or whole images
// replaced by noise or by other images of the batch (training only; at
// inference RandomErasing and CutMix cast to the compute dtype, MixUp returns
// its input as it is).
#include <algorithm>
#include <cmath>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"

namespace keras::detail {

namespace {

// A box [x0, x1) x [y0, y1) per image, in pixels.
struct Box {
  double x0, x1, y0, y1;
};

// _compute_crop_bounds: a span of `ratio * length` at a uniform offset.
std::pair<double, double> crop_bounds(double length, double ratio, AugmentationRng& rng) {
  const auto span = static_cast<double>(static_cast<float>(ratio * length));
  const double start = rng.uniform() * (length - span);
  return {start, start + span};
}

// out = where(inside box b, replacement, images) for every image b (channels_last or first).
Tensor paste(const Tensor& images, const std::vector<Box>& boxes, const std::vector<bool>& apply,
             const Tensor& replacement, bool channels_first) {
  Tensor out = images.clone();
  const std::int64_t batch = images.dim(0);
  const std::int64_t height = images.dim(channels_first ? 2 : 1), width = images.dim(channels_first ? 3 : 2);
  const std::int64_t channels = images.dim(channels_first ? 1 : 3);
  for (std::int64_t b = 0; b < batch; ++b) {
    if (!apply[static_cast<std::size_t>(b)]) continue;
    const Box& box = boxes[static_cast<std::size_t>(b)];
    for (std::int64_t y = 0; y < height; ++y) {
      if (!(y >= box.y0 && y < box.y1)) continue;
      for (std::int64_t x = 0; x < width; ++x) {
        if (!(x >= box.x0 && x < box.x1)) continue;
        for (std::int64_t c = 0; c < channels; ++c) {
          const std::int64_t i = channels_first ? ((b * channels + c) * height + y) * width + x
                                                : ((b * height + y) * width + x) * channels + c;
          out.data<float>()[i] = replacement.data<float>()[i];
        }
      }
    }
  }
  return out;
}

// images[permutation] along the batch.
Tensor permute_batch(const Tensor& images, const std::vector<std::int64_t>& order) {
  Tensor out(images.shape(), DType::float32);
  const std::int64_t image_size = images.size() / images.dim(0);
  for (std::size_t b = 0; b < order.size(); ++b)
    std::copy_n(images.data<float>() + order[b] * image_size, image_size,
                out.data<float>() + static_cast<std::int64_t>(b) * image_size);
  return out;
}

struct ErasingDraw {
  std::vector<Box> boxes;
  std::vector<bool> apply;
  Tensor fill;  // the images' shape
};

struct CutMixDraw {
  std::vector<Box> boxes;
  std::vector<std::int64_t> permutation;
};

struct MixUpDraw {
  std::vector<double> weights;
  std::vector<std::int64_t> permutation;
};

}  // namespace

// ------------------------------------------------------------- RandomErasing

RandomErasingImpl::RandomErasingImpl(const layers::RandomErasingOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_erasing", o.data_format, o.seed),
      factor_(image_factor(o.factor, 0, 1, "factor", "RandomErasing")),
      scale_(image_factor(o.scale, 0, 1, "scale", "RandomErasing")),
      fill_value_(o.fill_value),
      value_range_(value_range_arg(o.value_range, false, "RandomErasing")) {
  const bool valid_fill = fill_value_.is_null() || py::is_number(fill_value_) ||
                          (fill_value_.is_array() && fill_value_.size() == 3 &&
                           std::all_of(fill_value_.begin(), fill_value_.end(), py::is_number));
  if (!valid_fill)
    throw ValueError("RandomErasing: The `fill_value` argument should be a number (or a list of three numbers) ");
}

LayerPtr RandomErasingImpl::from_config(const Json& config) {
  layers::RandomErasingOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.scale = config_value(config, "scale", o.scale);
  o.fill_value = config_value(config, "fill_value", Json(nullptr));
  o.value_range = config_value(config, "value_range", o.value_range);
  o.seed = config_seed(config, "RandomErasing");
  return with_config_extras(std::make_shared<RandomErasingImpl>(o), config);
}

Json RandomErasingImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["scale"] = scale_;
  config["fill_value"] = fill_value_;
  config["value_range"] = value_range_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any RandomErasingImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [s_lo, s_hi] = pair_of(scale_);
  const auto [f_lo, f_hi] = pair_of(factor_);
  const auto width = static_cast<double>(width_of(shape)), height = static_cast<double>(height_of(shape));
  ErasingDraw draw;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double wx = std::sqrt(rng.uniform(s_lo, s_hi)), wy = std::sqrt(rng.uniform(s_lo, s_hi));
    const auto [x0, x1] = crop_bounds(width, wx, rng);
    const auto [y0, y1] = crop_bounds(height, wy, rng);
    draw.boxes.push_back({x0, x1, y0, y1});
  }
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double probability = rng.uniform(f_lo, f_hi);
    draw.apply.push_back(rng.uniform() < probability);
  }
  const auto [v_lo, v_hi] = pair_of(value_range_);
  Tensor fill(shape, DType::float32);
  float* p = fill.data<float>();
  const std::int64_t channels = channels_of(shape);
  for (std::int64_t i = 0; i < fill.size(); ++i) {
    double v = 0.0;
    if (fill_value_.is_null()) {
      v = rng.normal() * v_hi;  // Gaussian noise scaled by the top of the range
    } else if (fill_value_.is_array()) {
      const std::int64_t c = channels_first() ? (i / (shape[2] * shape[3])) % channels : i % channels;
      v = py::value(fill_value_[static_cast<std::size_t>(c % 3)]);
    } else {
      v = py::value(fill_value_);
    }
    p[i] = static_cast<float>(std::min(std::max(v, v_lo), v_hi));
  }
  draw.fill = fill;
  return draw;
}

Tensor RandomErasingImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& draw = std::any_cast<const ErasingDraw&>(transformation);
  return paste(images, draw.boxes, draw.apply, draw.fill, channels_first());
}

// -------------------------------------------------------------------- CutMix

CutMixImpl::CutMixImpl(const layers::CutMixOptions& o)
    : ImagePreprocessingLayer(base_of(o), "cut_mix", o.data_format, o.seed),
      factor_(image_factor(o.factor, 0, 1, "factor", "CutMix")) {}

LayerPtr CutMixImpl::from_config(const Json& config) {
  layers::CutMixOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.seed = config_seed(config, "CutMix");
  return with_config_extras(std::make_shared<CutMixImpl>(o), config);
}

Json CutMixImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any CutMixImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  const auto width = static_cast<double>(width_of(shape)), height = static_cast<double>(height_of(shape));
  CutMixDraw draw;
  const double alpha = rng.uniform(lo, hi) + 1e-6;
  std::vector<double> ratios;
  for (std::int64_t b = 0; b < shape[0]; ++b) ratios.push_back(std::sqrt(1.0 - rng.beta(alpha, alpha)));
  std::vector<std::pair<double, double>> xs, ys;
  for (double r : ratios) xs.push_back(crop_bounds(width, r, rng));
  for (double r : ratios) ys.push_back(crop_bounds(height, r, rng));
  for (std::size_t b = 0; b < ratios.size(); ++b)
    draw.boxes.push_back({xs[b].first, xs[b].second, ys[b].first, ys[b].second});
  draw.permutation = rng.permutation(shape[0]);
  return draw;
}

Tensor CutMixImpl::transform_images(const Tensor& images, const std::any& transformation) {
  if (!transformation.has_value()) return images;
  const auto& draw = std::any_cast<const CutMixDraw&>(transformation);
  return paste(images, draw.boxes, std::vector<bool>(draw.boxes.size(), true), permute_batch(images, draw.permutation),
               channels_first());
}

// --------------------------------------------------------------------- MixUp

MixUpImpl::MixUpImpl(const layers::MixUpOptions& o)
    : ImagePreprocessingLayer(base_of(o), "mix_up", o.data_format, o.seed), alpha_(o.alpha) {
  // Keras checks alpha only when drawing Beta(alpha, alpha), in training.
  if (!py::is_number(alpha_)) throw ValueError("MixUp: `alpha` must be a number, got " + alpha_.dump());
  casts_at_inference_ = false;
}

LayerPtr MixUpImpl::from_config(const Json& config) {
  layers::MixUpOptions o;
  read_image_layer_base(config, o);
  o.alpha = config_value(config, "alpha", o.alpha);
  o.seed = config_seed(config, "MixUp");
  return with_config_extras(std::make_shared<MixUpImpl>(o), config);
}

Json MixUpImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["alpha"] = alpha_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any MixUpImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  MixUpDraw draw;
  draw.permutation = rng.permutation(shape[0]);
  const double alpha = py::value(alpha_);
  for (std::int64_t b = 0; b < shape[0]; ++b) draw.weights.push_back(rng.beta(alpha, alpha));
  return draw;
}

Tensor MixUpImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& draw = std::any_cast<const MixUpDraw&>(transformation);
  Tensor other = permute_batch(images, draw.permutation);
  Tensor out(images.shape(), DType::float32);
  const std::int64_t image_size = images.size() / images.dim(0);
  for (std::int64_t i = 0; i < images.size(); ++i) {
    const auto w = static_cast<float>(draw.weights[static_cast<std::size_t>(i / image_size)]);
    out.data<float>()[i] = w * images.data<float>()[i] + (1.0F - w) * other.data<float>()[i];
  }
  return out;
}

}  // namespace keras::detail

namespace keras::layers {
RandomErasing::RandomErasing(const RandomErasingOptions& options)
    : LayerRef(std::make_shared<detail::RandomErasingImpl>(options)) {}
CutMix::CutMix(const CutMixOptions& options) : LayerRef(std::make_shared<detail::CutMixImpl>(options)) {}
MixUp::MixUp(const MixUpOptions& options) : LayerRef(std::make_shared<detail::MixUpImpl>(options)) {}
}  // namespace keras::layers
