#include "layers/preprocessing/image_augmentation/augmentation_layer.hpp"

#include <algorithm>
#include <cmath>

#include "layers/core/layer_utils.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

// ------------------------------------------------------------ Python numbers

namespace py {

bool is_number(const Json& value) { return value.is_number() && !value.is_boolean(); }

double value(const Json& number) { return number.get<double>(); }

Json abs(const Json& number) {
  if (number.is_number_integer()) return Json(std::llabs(number.get<std::int64_t>()));
  return Json(std::fabs(number.get<double>()));
}

Json neg(const Json& number) {
  if (number.is_number_integer()) return Json(-number.get<std::int64_t>());
  return Json(-number.get<double>());
}

Json max(const Json& a, const Json& b) { return value(b) > value(a) ? b : a; }

Json sorted_pair(const Json& list) {
  return value(list[1]) < value(list[0]) ? Json::array({list[1], list[0]}) : Json::array({list[0], list[1]});
}

}  // namespace py

namespace {

bool is_number_pair(const Json& value) {
  return value.is_array() && value.size() == 2 && py::is_number(value[0]) && py::is_number(value[1]);
}

std::string bound_text(const Json& bound) { return bound.dump(); }

}  // namespace

Json image_factor(const Json& factor, const Json& lo, const Json& hi, const std::string& arg,
                  const std::string& layer) {
  const std::string error = layer + ": The `" + arg +
                            "` argument should be a number (or a list of two numbers) in the range [" + bound_text(lo) +
                            ", " + bound_text(hi) + "]. Received: factor=" + factor.dump();
  if (factor.is_array()) {
    if (!is_number_pair(factor)) throw ValueError(error);
    if (py::value(factor[0]) > py::value(hi) || py::value(factor[1]) < py::value(lo)) throw ValueError(error);
    return py::sorted_pair(factor);
  }
  if (!py::is_number(factor)) throw ValueError(error);
  if (py::value(factor) < py::value(lo) || py::value(factor) > py::value(hi)) throw ValueError(error);
  const Json magnitude = py::abs(factor);
  return Json::array({py::max(py::neg(magnitude), lo), magnitude});
}

Json symmetric_factor(const Json& factor, double lo, double hi, bool lo_open, const std::string& message,
                      const std::string& arg, const std::string& layer) {
  auto check = [&](const Json& number) {
    const double v = py::value(number);
    if (v > hi || (lo_open ? v <= lo : v < lo))
      throw ValueError(layer + ": " + message + "Received: input_number=" + number.dump());
  };
  if (factor.is_array()) {
    if (!is_number_pair(factor)) throw ValueError(layer + ": " + message + "Received: " + arg + "=" + factor.dump());
    check(factor[0]);
    check(factor[1]);
    return py::sorted_pair(factor);
  }
  if (!py::is_number(factor)) throw ValueError(layer + ": " + message + "Received: " + arg + "=" + factor.dump());
  check(factor);
  const Json magnitude = py::abs(factor);
  return Json::array({py::neg(magnitude), magnitude});
}

Json value_range_arg(const Json& value_range, bool sort, const std::string& layer) {
  if (!is_number_pair(value_range))
    throw ValueError(layer + ": The `value_range` argument should be a list of two numbers. Received: value_range=" +
                     value_range.dump());
  return sort ? py::sorted_pair(value_range) : value_range;
}

void check_interpolation(const std::string& interpolation, const std::string& layer) {
  if (interpolation != "nearest" && interpolation != "bilinear")
    throw NotImplementedError(layer + ": Unknown `interpolation` " + interpolation +
                              ". Expected of one ('nearest', 'bilinear').");
}

void check_fill_value(const Json& fill_value, const std::string& layer) {
  if (!py::is_number(fill_value)) throw ValueError(layer + ": `fill_value` must be a number, got " + fill_value.dump());
}

std::pair<double, double> pair_of(const Json& pair) { return {py::value(pair[0]), py::value(pair[1])}; }

Tensor transform_value_range(const Tensor& images, const Json& from, const Json& to) {
  const auto [from_lo, from_hi] = pair_of(from);
  const auto [to_lo, to_hi] = pair_of(to);
  if (from_lo == to_lo && from_hi == to_hi) return images;
  Tensor x = images.dtype() == DType::float32 ? images : images.astype(DType::float32);
  Tensor out(x.shape(), DType::float32);
  const auto a = static_cast<float>(from_lo), span = static_cast<float>(from_hi - from_lo);
  const auto b = static_cast<float>(to_lo), scale = static_cast<float>(to_hi - to_lo);
  const float* p = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < x.size(); ++i) o[i] = (p[i] - a) / span * scale + b;
  return out;
}

Tensor clip_to_range(const Tensor& images, const Json& value_range) {
  const auto [lo, hi] = pair_of(value_range);
  Tensor x = images.dtype() == DType::float32 ? images : images.astype(DType::float32);
  Tensor out(x.shape(), DType::float32);
  const float* p = x.data<float>();
  float* o = out.data<float>();
  // numpy.clip: minimum(maximum(x, lo), hi), NaN kept.
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const float v = p[i];
    o[i] = std::isnan(v) ? v : std::min(std::max(v, static_cast<float>(lo)), static_cast<float>(hi));
  }
  return out;
}

std::optional<std::int64_t> config_seed(const Json& config, const std::string& layer) {
  auto it = config.find("seed");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw FormatError(layer + " config 'seed' must be an integer, got " + it->dump());
  return it->get<std::int64_t>();
}

LayerPtr with_config_extras(const std::shared_ptr<ImagePreprocessingLayer>& layer, const Json& config) {
  if (auto it = config.find("bounding_box_format"); it != config.end() && !it->is_null()) {
    if (!it->is_string())
      throw FormatError(layer->class_name() + " config 'bounding_box_format' must be a string, got " + it->dump());
    layer->bounding_box_format = it->get<std::string>();
  }
  return layer;
}

Json seed_to_json(const std::optional<std::int64_t>& seed) { return seed ? Json(*seed) : Json(nullptr); }

// ------------------------------------------------------------ random stream

AugmentationRng::AugmentationRng(std::optional<std::int64_t> seed)
    : engine_(seed ? static_cast<std::uint64_t>(*seed) : random::draw_seed()) {}

double AugmentationRng::uniform(double lo, double hi) {
  const double u = std::generate_canonical<double, 53>(engine_);
  const double v = lo + (hi - lo) * u;
  return v < hi || hi <= lo ? v : lo;  // keep [lo, hi) despite rounding
}

double AugmentationRng::normal() { return std::normal_distribution<double>(0.0, 1.0)(engine_); }

double AugmentationRng::gamma(double alpha) {
  if (!(alpha > 0.0)) throw ValueError("gamma: alpha must be positive, got " + std::to_string(alpha));
  return std::gamma_distribution<double>(alpha, 1.0)(engine_);
}

double AugmentationRng::beta(double a, double b) {
  const double x = gamma(a), y = gamma(b);
  return x + y > 0.0 ? x / (x + y) : 0.5;
}

std::int64_t AugmentationRng::randint(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) throw ValueError("randint: empty range [" + std::to_string(lo) + ", " + std::to_string(hi) + ")");
  return std::uniform_int_distribution<std::int64_t>(lo, hi - 1)(engine_);
}

std::vector<std::int64_t> AugmentationRng::permutation(std::int64_t n) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[static_cast<std::size_t>(i)], order[randint(0, i + 1)]);
  return order;
}

Tensor AugmentationRng::normal_tensor(const Shape& shape) {
  Tensor t(shape, DType::float32);
  for (float* p = t.data<float>(); p != t.data<float>() + t.size(); ++p) *p = static_cast<float>(normal());
  return t;
}

// -------------------------------------------------- ImagePreprocessingLayer

ImagePreprocessingLayer::ImagePreprocessingLayer(const LayerBaseOptions& base, const std::string& auto_name_prefix,
                                                 const std::optional<std::string>& data_format,
                                                 std::optional<std::int64_t> seed)
    : Layer(base, auto_name_prefix),
      data_format_(layer_utils::standardize_data_format(data_format.value_or(""))),
      seed_(seed),
      rng_(seed) {}

Json ImagePreprocessingLayer::get_config() const {
  Json config = base_config();
  config["data_format"] = data_format_;
  if (bounding_box_format) config["bounding_box_format"] = *bounding_box_format;
  return config;
}

namespace {

void check_image_rank(const Shape& shape, const std::string& what) {
  if (shape.size() != 3 && shape.size() != 4)
    throw ShapeMismatchError(what +
                             ": Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                             "Received: data.shape=" +
                             shape_to_string(shape));
}

}  // namespace

std::vector<TensorSpec> ImagePreprocessingLayer::compute_output_spec(const SpecArgs& args) {
  const Shape& shape = args.tensor(0).shape;
  check_image_rank(shape, class_name() + " '" + name() + "'");
  const DType input = args.tensor(0).dtype;
  const DType dtype = !declares_input_dtype_ ? compute_dtype()
                      : converts_input_args_ ? layer_utils::autocast_dtype(input, compute_dtype())
                                             : input;
  return {TensorSpec{compute_output_shape(shape), dtype}};
}

Tensor ImagePreprocessingLayer::forward(const Tensor& input, bool training) {
  check_image_rank(input.shape(), class_name() + " '" + name() + "'");
  Tensor x = converts_input_args_ ? layer_utils::autocast(input, compute_dtype()) : input;
  const bool unbatched = x.rank() == 3;
  if (unbatched) x = x.reshape({1, x.dim(0), x.dim(1), x.dim(2)});
  Tensor y;
  if (training) {
    Tensor images = x.dtype() == DType::float32 ? x : x.astype(DType::float32);
    y = layer_utils::to_dtype(transform_images(images, random_transformation(images.shape(), rng_)), compute_dtype());
  } else {
    y = inference_images(x);
  }
  if (unbatched) y = y.reshape({y.dim(1), y.dim(2), y.dim(3)});
  return y;
}

std::vector<Tensor> ImagePreprocessingLayer::call(const CallArgs& args) {
  return {forward(args.tensor(0), effective_training(args))};
}

std::any ImagePreprocessingLayer::random_transformation(const Shape& /*images_shape*/, AugmentationRng& /*rng*/) {
  return {};
}

Tensor ImagePreprocessingLayer::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  return images;
}

Tensor ImagePreprocessingLayer::inference_images(const Tensor& images) {
  return casts_at_inference_ ? layer_utils::to_dtype(images, compute_dtype()) : images;
}

Tensor ImagePreprocessingLayer::nhwc(const Tensor& images) const {
  return channels_first() ? kernels::to_channels_last(images) : images;
}

Tensor ImagePreprocessingLayer::from_nhwc(const Tensor& images) const {
  return channels_first() ? kernels::to_channels_first(images) : images;
}

}  // namespace keras::detail
