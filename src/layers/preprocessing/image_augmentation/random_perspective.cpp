// keras.layers.RandomPerspective (image_preprocessing/random_perspective.py).
#include "layers/core/layer_utils.hpp"
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

struct PerspectiveDraw {
  std::vector<bool> apply;
  Tensor start_points, end_points;  // [B, 4, 2]
};

}  // namespace

RandomPerspectiveImpl::RandomPerspectiveImpl(const layers::RandomPerspectiveOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_perspective", o.data_format, o.seed),
      factor_(image_factor(o.factor, 0, 1, "factor", "RandomPerspective")),
      scale_(o.scale),
      interpolation_(o.interpolation),
      fill_value_(o.fill_value) {
  if (!py::is_number(scale_) || py::value(scale_) < 0.0 || py::value(scale_) > 1.0)
    throw ValueError("RandomPerspective: The `scale` argument should be a number in the range [0,1]. Received: scale=" +
                     scale_.dump());
  check_interpolation(interpolation_, "RandomPerspective");
  check_fill_value(fill_value_, "RandomPerspective");
}

LayerPtr RandomPerspectiveImpl::from_config(const Json& config) {
  layers::RandomPerspectiveOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.scale = config_value(config, "scale", o.scale);
  o.interpolation = config_value(config, "interpolation", o.interpolation);
  o.fill_value = config_value(config, "fill_value", o.fill_value);
  o.seed = config_seed(config, "RandomPerspective");
  return with_config_extras(std::make_shared<RandomPerspectiveImpl>(o), config);
}

Json RandomPerspectiveImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["scale"] = scale_;
  config["interpolation"] = interpolation_;
  config["fill_value"] = fill_value_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any RandomPerspectiveImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  const std::int64_t batch = shape[0];
  const double w = static_cast<double>(width_of(shape) - 1), h = static_cast<double>(height_of(shape) - 1);
  const double half_scale = 0.5 * py::value(scale_);
  PerspectiveDraw draw;
  draw.start_points = Tensor({batch, 4, 2}, DType::float32);
  draw.end_points = Tensor({batch, 4, 2}, DType::float32);
  const double corners[4][2] = {{0.0, 0.0}, {w, 0.0}, {0.0, h}, {w, h}};
  for (std::int64_t b = 0; b < batch; ++b) {
    const double probability = rng.uniform(lo, hi);
    draw.apply.push_back(rng.uniform() < probability);
    for (int p = 0; p < 4; ++p)
      for (int k = 0; k < 2; ++k) {
        const double start = corners[p][k];
        const double moved = start + start * rng.uniform(-half_scale, half_scale);
        draw.start_points.data<float>()[(b * 4 + p) * 2 + k] = static_cast<float>(start);
        draw.end_points.data<float>()[(b * 4 + p) * 2 + k] = static_cast<float>(draw.apply.back() ? moved : start);
      }
  }
  return draw;
}

Tensor RandomPerspectiveImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& draw = std::any_cast<const PerspectiveDraw&>(transformation);
  Tensor x = nhwc(images);
  Tensor warped = kernels::perspective_transform(x, draw.start_points, draw.end_points, interpolation_ == "bilinear",
                                                 static_cast<float>(py::value(fill_value_)));
  // Images not drawn for the transform keep their pixels exactly.
  const std::int64_t image_size = x.size() / x.dim(0);
  for (std::int64_t b = 0; b < x.dim(0); ++b)
    if (!draw.apply[static_cast<std::size_t>(b)])
      std::copy_n(x.data<float>() + b * image_size, image_size, warped.data<float>() + b * image_size);
  return from_nhwc(warped);
}

}  // namespace keras::detail

namespace keras::layers {
RandomPerspective::RandomPerspective(const RandomPerspectiveOptions& options)
    : LayerRef(std::make_shared<detail::RandomPerspectiveImpl>(options)) {}
}  // namespace keras::layers
