// keras.layers.RandomGaussianBlur (image_preprocessing/random_gaussian_blur.py).
#include <algorithm>
#include <cmath>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

// _set_kernel_size: an odd number k gives (k, k); a pair of odd numbers is kept in order.
Json kernel_size_arg(const Json& value) {
  const std::string odd =
      "RandomGaussianBlur: kernel_size must be an odd number. Received: kernel_size=" + value.dump();
  auto is_odd = [](const Json& v) { return py::is_number(v) && std::fmod(py::value(v), 2.0) != 0.0; };
  if (value.is_array()) {
    if (value.size() != 2)
      throw ValueError(
          "RandomGaussianBlur: The `kernel_size` argument should be a number (or a list of two numbers) "
          "Received: kernel_size=" +
          value.dump());
    if (!is_odd(value[0]) || !is_odd(value[1])) throw ValueError(odd);
    return value;
  }
  if (!is_odd(value)) throw ValueError(odd);
  return Json::array({value, value});
}

struct BlurDraw {
  std::vector<bool> apply;
  double sigma_x = 1.0, sigma_y = 1.0;
};

}  // namespace

RandomGaussianBlurImpl::RandomGaussianBlurImpl(const layers::RandomGaussianBlurOptions& o)
    : ImagePreprocessingLayer(base_of(o), "random_gaussian_blur", o.data_format, o.seed),
      factor_(image_factor(o.factor, 0, 1, "factor", "RandomGaussianBlur")),
      kernel_size_(kernel_size_arg(o.kernel_size)),
      sigma_(image_factor(o.sigma, 0, 1, "sigma", "RandomGaussianBlur")),
      value_range_(value_range_arg(o.value_range, false, "RandomGaussianBlur")) {}

LayerPtr RandomGaussianBlurImpl::from_config(const Json& config) {
  layers::RandomGaussianBlurOptions o;
  read_image_layer_base(config, o);
  o.factor = config_value(config, "factor", o.factor);
  o.kernel_size = config_value(config, "kernel_size", o.kernel_size);
  o.sigma = config_value(config, "sigma", o.sigma);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.seed = config_seed(config, "RandomGaussianBlur");
  return with_config_extras(std::make_shared<RandomGaussianBlurImpl>(o), config);
}

Json RandomGaussianBlurImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["factor"] = factor_;
  config["kernel_size"] = kernel_size_;
  config["sigma"] = sigma_;
  config["value_range"] = value_range_;
  config["seed"] = seed_to_json(seed_);
  return config;
}

std::any RandomGaussianBlurImpl::random_transformation(const Shape& shape, AugmentationRng& rng) {
  const auto [lo, hi] = pair_of(factor_);
  const auto [s_lo, s_hi] = pair_of(sigma_);
  BlurDraw draw;
  for (std::int64_t b = 0; b < shape[0]; ++b) {
    const double probability = rng.uniform(lo, hi);
    draw.apply.push_back(rng.uniform() < probability);
  }
  // One (sigma_x, sigma_y) for the whole batch, as in Keras.
  draw.sigma_x = rng.uniform(s_lo, s_hi) + 1e-6;
  draw.sigma_y = rng.uniform(s_lo, s_hi) + 1e-6;
  return draw;
}

Tensor RandomGaussianBlurImpl::transform_images(const Tensor& images, const std::any& transformation) {
  const auto& draw = std::any_cast<const BlurDraw&>(transformation);
  Tensor x = nhwc(images);
  const auto [kw, kh] = pair_of(kernel_size_);
  Tensor blurred = kernels::gaussian_blur(x, static_cast<std::int64_t>(kw), static_cast<std::int64_t>(kh), draw.sigma_x,
                                          draw.sigma_y);
  const std::int64_t image_size = x.size() / x.dim(0);
  for (std::int64_t b = 0; b < x.dim(0); ++b)
    if (!draw.apply[static_cast<std::size_t>(b)])
      std::copy_n(x.data<float>() + b * image_size, image_size, blurred.data<float>() + b * image_size);
  return from_nhwc(clip_to_range(blurred, value_range_));
}

}  // namespace keras::detail

namespace keras::layers {
RandomGaussianBlur::RandomGaussianBlur(const RandomGaussianBlurOptions& options)
    : LayerRef(std::make_shared<detail::RandomGaussianBlurImpl>(options)) {}
}  // namespace keras::layers
