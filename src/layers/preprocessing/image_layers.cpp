// keras.layers.Resizing and keras.layers.CenterCrop, and the resize they share.
#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/image.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

void check_data_format(const std::string& data_format, const std::string& layer) {
  if (data_format != "channels_last" && data_format != "channels_first")
    throw ValueError(layer +
                     ": The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                     "Received: data_format=" +
                     data_format);
}

void check_size(std::int64_t height, std::int64_t width, const std::string& layer) {
  if (height < 1 || width < 1)
    throw ValueError(layer + ": height and width must be positive, got " + std::to_string(height) + "x" +
                     std::to_string(width));
}

// Sets the height and width of an image shape of rank 3 or 4.
Shape with_image_size(const Shape& input_shape, std::int64_t height, std::int64_t width, bool channels_first,
                      const std::string& layer) {
  const auto rank = input_shape.size();
  if (rank != 3 && rank != 4)
    throw ValueError(layer + " expects images of rank 3 (unbatched) or 4 (batched), got input shape " +
                     shape_to_string(input_shape));
  Shape out = input_shape;
  const std::size_t h_axis = rank - (channels_first ? 2 : 3);
  out[h_axis] = height;
  out[h_axis + 1] = width;
  return out;
}

// Python's int(float(a) / b) for the non-negative sizes of Keras' crop and pad boxes.
std::int64_t int_ratio(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<double>(a) / static_cast<double>(b));
}

std::optional<std::string> optional_string(const Json& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw FormatError("Config key '" + key + "' must be a string, got " + it->dump());
  return it->get<std::string>();
}

}  // namespace

Tensor resize_images(const Tensor& images, std::int64_t height, std::int64_t width, const layers::ResizingOptions& o,
                     const std::string& layer) {
  const int rank = images.rank();
  if (rank != 3 && rank != 4)
    throw ShapeMismatchError(layer +
                             ": Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                             "images). Received input with shape: images.shape=" +
                             shape_to_string(images.shape()));
  if (o.fill_mode != "constant")
    throw ValueError(layer +
                     ": Invalid value for argument `fill_mode`. Only `'constant'` is supported. Received: "
                     "fill_mode=" +
                     o.fill_mode);
  if (o.crop_to_aspect_ratio && o.pad_to_aspect_ratio)
    throw ValueError(layer + ": Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.");
  const kernels::Interpolation method = kernels::parse_interpolation(o.interpolation);
  const bool channels_first = o.data_format == "channels_first";
  const int h_axis = rank - (channels_first ? 2 : 3);
  const int w_axis = h_axis + 1;
  const std::int64_t in_h = images.dim(h_axis), in_w = images.dim(w_axis);
  Tensor x = images;
  if (o.crop_to_aspect_ratio) {
    const std::int64_t crop_h = std::max<std::int64_t>(std::min(in_h, int_ratio(in_w * height, width)), 1);
    const std::int64_t crop_w = std::max<std::int64_t>(std::min(in_w, int_ratio(in_h * width, height)), 1);
    std::vector<std::int64_t> start(static_cast<std::size_t>(rank), 0), size(static_cast<std::size_t>(rank), -1);
    start[static_cast<std::size_t>(h_axis)] = int_ratio(in_h - crop_h, 2);
    start[static_cast<std::size_t>(w_axis)] = int_ratio(in_w - crop_w, 2);
    size[static_cast<std::size_t>(h_axis)] = crop_h;
    size[static_cast<std::size_t>(w_axis)] = crop_w;
    x = kernels::slice(x, start, size);
  } else if (o.pad_to_aspect_ratio) {
    const std::int64_t pad_h = std::max(in_h, int_ratio(in_w * height, width));
    const std::int64_t pad_w = std::max(in_w, int_ratio(in_h * width, height));
    const std::int64_t h_start = int_ratio(pad_h - in_h, 2), w_start = int_ratio(pad_w - in_w, 2);
    // Keras pads the same amount on both sides of one axis (height first).
    std::vector<std::pair<std::int64_t, std::int64_t>> paddings(static_cast<std::size_t>(rank), {0, 0});
    if (h_start > 0)
      paddings[static_cast<std::size_t>(h_axis)] = {h_start, h_start};
    else if (w_start > 0)
      paddings[static_cast<std::size_t>(w_axis)] = {w_start, w_start};
    if (h_start > 0 || w_start > 0) x = kernels::pad(x, paddings, static_cast<float>(o.fill_value));
  }
  // The resize kernel takes channels_last images.
  if (channels_first) x = kernels::transpose(x, rank == 4 ? std::vector<int>{0, 2, 3, 1} : std::vector<int>{1, 2, 0});
  Tensor out = kernels::resize(x, height, width, method, o.antialias);
  if (channels_first)
    out = kernels::transpose(out, rank == 4 ? std::vector<int>{0, 3, 1, 2} : std::vector<int>{2, 0, 1});
  return out.dtype() == DType::float32 ? out : out.astype(DType::float32);
}

// ------------------------------------------------------------------ Resizing

ResizingImpl::ResizingImpl(std::int64_t height, std::int64_t width, const layers::ResizingOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "resizing"), height_(height), width_(width), options_(o) {
  check_size(height, width, "Resizing");
  check_data_format(o.data_format, "Resizing");
}

LayerPtr ResizingImpl::from_config(const Json& config) {
  const std::string cls = "Resizing";
  layers::ResizingOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.interpolation = string_or(config, "interpolation", o.interpolation, cls);
  o.crop_to_aspect_ratio = bool_or(config, "crop_to_aspect_ratio", false, cls);
  o.pad_to_aspect_ratio = bool_or(config, "pad_to_aspect_ratio", false, cls);
  o.fill_mode = string_or(config, "fill_mode", o.fill_mode, cls);
  o.fill_value = number_or(config, "fill_value", o.fill_value);
  o.antialias = bool_or(config, "antialias", false, cls);
  o.data_format = string_or(config, "data_format", o.data_format, cls);
  auto layer =
      std::make_shared<ResizingImpl>(required_int(config, "height", cls), required_int(config, "width", cls), o);
  layer->bounding_box_format = optional_string(config, "bounding_box_format");
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json ResizingImpl::get_config() const {
  Json config = base_config();
  config["data_format"] = options_.data_format;
  if (bounding_box_format) config["bounding_box_format"] = *bounding_box_format;
  config["height"] = height_;
  config["width"] = width_;
  config["interpolation"] = options_.interpolation;
  config["crop_to_aspect_ratio"] = options_.crop_to_aspect_ratio;
  config["pad_to_aspect_ratio"] = options_.pad_to_aspect_ratio;
  config["fill_mode"] = options_.fill_mode;
  config["fill_value"] = options_.fill_value;
  config["antialias"] = options_.antialias;
  return config;
}

Shape ResizingImpl::compute_output_shape(const Shape& input_shape) {
  return with_image_size(input_shape, height_, width_, options_.data_format == "channels_first",
                         "Resizing '" + name() + "'");
}

std::vector<TensorSpec> ResizingImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& x = args.tensor(0);
  const bool integer = !is_floating(x.dtype) && x.dtype != DType::bool_;
  return {TensorSpec{compute_output_shape(x.shape), integer ? x.dtype : compute_dtype()}};
}

Tensor ResizingImpl::forward(const Tensor& input, bool /*training*/) {
  // Float inputs are first cast to the compute dtype; integer ones are resized as they are
  // and come back in their own dtype: rounded and clipped to the image's own range, as the
  // numpy backend's resize does (Resizing then keeps that dtype).
  Tensor x = is_floating(input.dtype()) && input.dtype() != DType::float32 ? input.astype(DType::float32) : input;
  Tensor resized = resize_images(x, height_, width_, options_, "Resizing '" + name() + "'");
  if (!is_floating(input.dtype()) && input.dtype() != DType::bool_) {
    if (input.size() == 0) return resized.astype(input.dtype());
    const float lo = kernels::min(x.astype(DType::float32)).to_vector().at(0);
    const float hi = kernels::max(x.astype(DType::float32)).to_vector().at(0);
    return kernels::clip(kernels::round(resized), lo, hi).astype(input.dtype());
  }
  return to_compute_dtype(resized, compute_dtype());
}

// ---------------------------------------------------------------- CenterCrop

CenterCropImpl::CenterCropImpl(std::int64_t height, std::int64_t width, const layers::CenterCropOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "center_crop"),
      height_(height),
      width_(width),
      options_(o) {
  check_size(height, width, "CenterCrop");
  check_data_format(o.data_format, "CenterCrop");
}

LayerPtr CenterCropImpl::from_config(const Json& config) {
  const std::string cls = "CenterCrop";
  layers::CenterCropOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.data_format = string_or(config, "data_format", o.data_format, cls);
  auto layer =
      std::make_shared<CenterCropImpl>(required_int(config, "height", cls), required_int(config, "width", cls), o);
  layer->bounding_box_format = optional_string(config, "bounding_box_format");
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json CenterCropImpl::get_config() const {
  Json config = base_config();
  config["data_format"] = options_.data_format;
  if (bounding_box_format) config["bounding_box_format"] = *bounding_box_format;
  config["height"] = height_;
  config["width"] = width_;
  return config;
}

Shape CenterCropImpl::compute_output_shape(const Shape& input_shape) {
  return with_image_size(input_shape, height_, width_, options_.data_format == "channels_first",
                         "CenterCrop '" + name() + "'");
}

Tensor CenterCropImpl::forward(const Tensor& input, bool /*training*/) {
  const std::string what = "CenterCrop '" + name() + "'";
  const int rank = input.rank();
  if (rank != 3 && rank != 4)
    throw ShapeMismatchError(what + " expects images of rank 3 or 4, got shape " + shape_to_string(input.shape()));
  Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  const bool channels_first = options_.data_format == "channels_first";
  const int h_axis = rank - (channels_first ? 2 : 3);
  const std::int64_t h_diff = x.dim(h_axis) - height_, w_diff = x.dim(h_axis + 1) - width_;
  if (h_diff >= 0 && w_diff >= 0) {
    std::vector<std::int64_t> start(static_cast<std::size_t>(rank), 0), size(static_cast<std::size_t>(rank), -1);
    const auto h = static_cast<std::size_t>(h_axis);
    start[h] = h_diff / 2;
    start[h + 1] = w_diff / 2;
    size[h] = height_;
    size[h + 1] = width_;
    return to_compute_dtype(kernels::slice(x, start, size), compute_dtype());
  }
  // Smaller images: Keras' smart_resize (crop to the target aspect ratio, then bilinear).
  layers::ResizingOptions resize;
  resize.crop_to_aspect_ratio = true;
  resize.data_format = options_.data_format;
  return to_compute_dtype(resize_images(x, height_, width_, resize, what), compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
Resizing::Resizing(std::int64_t height, std::int64_t width, const ResizingOptions& options)
    : LayerRef(std::make_shared<detail::ResizingImpl>(height, width, options)) {}
CenterCrop::CenterCrop(std::int64_t height, std::int64_t width, const CenterCropOptions& options)
    : LayerRef(std::make_shared<detail::CenterCropImpl>(height, width, options)) {}
}  // namespace keras::layers
