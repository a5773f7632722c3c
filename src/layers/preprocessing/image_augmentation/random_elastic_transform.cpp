// keras.layers.RandomElasticTransform (image_preprocessing/random_elastic_transform.py).
#include <algorithm>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

struct ElasticDraw {
  std::vector<bool> apply;
  double distortion = 0.0;
  Tensor noise_x, noise_y;  // unit normal fields [B, H, W]
};

}  // namespace

RandomElasticTransformImpl::RandomElasticTransformImpl(const layers::RandomElasticTransformOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_elastic_transform", o.data_format, o.seed),
      factor_(image_factor(o.factor, 0, 1, "factor", "RandomElasticTransform")),
      scale_(image_factor(o.scale, 0, 1, "scale", "RandomElasticTransform")),
      value_range_(value_range_arg(o.value_range, false, "RandomElasticTransform")),
      interpolation_(o.interpolation),
      fill_mode_(o.fill_mode),
      fill_value_(o.fill_value) {
  check_interpolation(interpolation_, "RandomElasticTransform");
  if (fill_mode_ != "constant" && fill_mode_ != "nearest" && fill_mode_ != "wrap" && fill_mode_ != "mirror" &&
      fill_mode_ != "reflect")
    throw NotImplementedError("RandomElasticTransform: Unknown `fill_mode` " + fill_mode_ +
                              ". Expected of one {'constant', 'nearest', 'wrap', 'mirror', 'reflect'}.");
  check_fill_value(fill_value_, "RandomElasticTransform");
}

LayerPtr RandomElasticTransformImpl::from_config(const Json& config) {
  layers::RandomElasticTransformOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.scale = config_value(config, "scale", o.scale);
  o.interpolation = config_value(config, "interpolation", o.interpolation);
  o.fill_mode = config_value(config, "fill_mode", o.fill_mode);
  o.fill_value = config_value(config, "fill_value", o.fill_value);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.seed = config_seed(config, "RandomElasticTransform");
  return with_config_extras(std::make_shared<RandomElasticTransformImpl>(o), config);
}

Json RandomElasticTransformImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["scale"] = scale_;
  config["interpolation"] = interpolation_;
  config["fill_mode"] = fill_mode_;
  config["fill_value"] = fill_value_;
  config["value_range"] = value_range_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any RandomElasticTransformImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [f_lo, f_hi] = pair_of(factor_);
  const auto [s_lo, s_hi] = pair_of(scale_);
  if (s_hi == 0.0 || f_hi == 0.0) return {};  // Keras returns no transformation
  ElasticDraw draw;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double probability = rng.uniform(f_lo, f_hi);
    draw.apply.push_back(rng.uniform() < probability);
  }
  draw.distortion = rng.uniform(s_lo, s_hi);
  const Shape field{shape[0], height_of(shape), width_of(shape)};
  draw.noise_x = rng.normal_tensor(field);
  draw.noise_y = rng.normal_tensor(field);
  return draw;
}

Tensor RandomElasticTransformImpl::transform_images(const Tensor& images, const std::any& transformation) {
  if (!transformation.has_value()) return images;
  const auto& draw = std::any_cast<const ElasticDraw&>(transformation);
  Tensor x = nhwc(images);
  const auto h = static_cast<double>(x.dim(1)), w = static_cast<double>(x.dim(2));
  // get_elastic_transform_params
  const double alpha = std::max(h, w) * 0.1 * draw.distortion;
  const double sigma = std::min(h, w) * 0.05 * draw.distortion;
  Tensor out = x;
  if (sigma > 0.0) {
    Tensor warped =
        kernels::elastic_transform(x, draw.noise_x, draw.noise_y, alpha, sigma, interpolation_ == "bilinear",
                                   kernels::parse_fill_mode(fill_mode_), static_cast<float>(py::value(fill_value_)));
    const std::int64_t image_size = x.size() / x.dim(0);
    for (std::int64_t b = 0; b < x.dim(0); ++b)
      if (!draw.apply[static_cast<std::size_t>(b)])
        std::copy_n(x.data<float>() + b * image_size, image_size, warped.data<float>() + b * image_size);
    out = warped;
  }
  const auto [lo, hi] = pair_of(value_range_);
  return from_nhwc(kernels::clip(out, static_cast<float>(lo), static_cast<float>(hi)));
}

}  // namespace keras::detail

namespace keras::layers {
RandomElasticTransform::RandomElasticTransform(const RandomElasticTransformOptions& options)
    : LayerRef(std::make_shared<detail::RandomElasticTransformImpl>(options)) {}
}  // namespace keras::layers
