// keras.layers AutoContrast, Equalization and
// ContrastLimitedAdaptiveHistogramEqualization: contrast from the pixel
// statistics. AutoContrast and CLAHE act at inference as well; Equalization
// only in training.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "layers/core/layer_utils.hpp"
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "ops/image_transform.hpp"

namespace keras::detail {

namespace {

const Json& full_range() {
  static const Json range = Json::array({0, 255});
  return range;
}

}  // namespace

// -------------------------------------------------------------- AutoContrast

AutoContrastImpl::AutoContrastImpl(const layers::AutoContrastOptions& o)
    : ImagePreprocessingLayer(base_of(o), "auto_contrast", o.data_format, std::nullopt),
      value_range_(value_range_arg(o.value_range, true, "AutoContrast")) {}

LayerPtr AutoContrastImpl::from_config(const Json& config) {
  layers::AutoContrastOptions o;
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  return with_config_extras(std::make_shared<AutoContrastImpl>(o), config);
}

Json AutoContrastImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = value_range_;
  return config;
}

Tensor AutoContrastImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  // Keras reduces axes (1, 2) of the batch: height and width for
  // channels_last (and, as Keras does, channels and height for channels_first).
  Tensor original = images.dtype() == DType::float32 ? images : images.astype(DType::float32);
  Tensor x = transform_value_range(original, value_range_, full_range());
  const std::int64_t d0 = x.dim(0), d1 = x.dim(1), d2 = x.dim(2), d3 = x.dim(3);
  Tensor out(x.shape(), DType::float32);
  const float* p = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t a = 0; a < d0; ++a)
    for (std::int64_t k = 0; k < d3; ++k) {
      float low = std::numeric_limits<float>::infinity(), high = -low;
      bool nan = false;
      for (std::int64_t i = 0; i < d1 * d2; ++i) {
        const float v = p[(a * d1 * d2 + i) * d3 + k];
        nan = nan || std::isnan(v);
        low = std::min(low, v);
        high = std::max(high, v);
      }
      if (nan) low = high = std::numeric_limits<float>::quiet_NaN();  // numpy's min/max propagate NaN
      const float scale = 255.0F / (high - low);
      const float offset = -low * scale;
      for (std::int64_t i = 0; i < d1 * d2; ++i) {
        const std::int64_t at = (a * d1 * d2 + i) * d3 + k;
        const float v = p[at] * scale + offset;
        o[at] = std::isnan(v) ? v : std::clamp(v, 0.0F, 255.0F);
      }
    }
  Tensor result = transform_value_range(out, full_range(), value_range_);  // `out` itself or a new tensor
  // Channels whose statistics are NaN (constant channels: 0 * inf) keep their input.
  float* r = result.data<float>();
  for (std::int64_t i = 0; i < result.size(); ++i)
    if (std::isnan(r[i])) r[i] = original.data<float>()[i];
  return result;
}

Tensor AutoContrastImpl::inference_images(const Tensor& images) {
  return layer_utils::to_dtype(transform_images(images, {}), compute_dtype());
}

// -------------------------------------------------------------- Equalization

EqualizationImpl::EqualizationImpl(const layers::EqualizationOptions& o)
    : ImagePreprocessingLayer(base_of(o), "equalization", o.data_format, std::nullopt),
      value_range_(value_range_arg(o.value_range, true, "Equalization")),
      bins_(o.bins) {
  if (bins_ < 1) throw ValueError("Equalization: `bins` must be positive, got " + std::to_string(bins_));
  casts_at_inference_ = false;
  declares_input_dtype_ = true;  // compute_output_spec returns the inputs (which makes Keras' graph cyclic)
}

LayerPtr EqualizationImpl::from_config(const Json& config) {
  layers::EqualizationOptions o;
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.bins = config_value(config, "bins", o.bins);
  return with_config_extras(std::make_shared<EqualizationImpl>(o), config);
}

Json EqualizationImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["bins"] = bins_;
  config["value_range"] = value_range_;
  return config;
}

Tensor EqualizationImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  // Per channel, over every image of the batch at once (Keras slices images[..., i]).
  Tensor x = nhwc(images);
  const std::int64_t channels = x.dim(3), count = x.size() / channels;
  const auto [lo, hi] = pair_of(value_range_);
  // Keras compares the value range (a list) with the tuple (0, 255), which is
  // never equal, so it always rescales through [0, 255].
  const auto to_scale = static_cast<float>(255.0 / (hi - lo)), to_offset = static_cast<float>(-lo * 255.0 / (hi - lo));
  const auto back_scale = static_cast<float>((hi - lo) / 255.0), back_offset = static_cast<float>(lo);
  const auto top_bin = static_cast<float>(bins_ - 1);
  Tensor out(x.shape(), DType::float32);
  for (std::int64_t c = 0; c < channels; ++c) {
    std::vector<float> channel(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
      channel[static_cast<std::size_t>(i)] = x.data<float>()[i * channels + c] * to_scale + to_offset;
    std::vector<std::int64_t> hist(static_cast<std::size_t>(bins_), 0);
    for (float v : channel) {
      // float32 arithmetic and an int32 cast (toward zero), as in Keras.
      const float scaled = std::clamp(v * top_bin / 255.0F, -1e9F, 1e9F);
      const auto index =
          std::clamp<std::int64_t>(std::isnan(scaled) ? 0 : static_cast<std::int64_t>(scaled), 0, bins_ - 1);
      ++hist[static_cast<std::size_t>(index)];
    }
    const auto nonzero = std::count_if(hist.begin(), hist.end(), [](std::int64_t h) { return h != 0; });
    std::vector<float> equalized = channel;
    if (nonzero > 1) {
      std::vector<std::int64_t> cdf(hist.size());
      std::partial_sum(hist.begin(), hist.end(), cdf.begin());
      const std::int64_t cdf_min = *std::find_if(cdf.begin(), cdf.end(), [](std::int64_t v) { return v != 0; });
      std::int64_t denominator = cdf.back() - cdf_min;
      if (denominator == 0) denominator = 1;
      std::vector<double> lookup(cdf.size());
      for (std::size_t i = 0; i < cdf.size(); ++i)
        lookup[i] =
            std::clamp(std::nearbyint(static_cast<double>((cdf[i] - cdf_min) * 255) / static_cast<double>(denominator)),
                       0.0, 255.0);
      for (auto& v : equalized) {
        const float scaled = std::clamp(v / 255.0F * top_bin, 0.0F, top_bin);
        v = static_cast<float>(lookup[std::isnan(scaled) ? 0 : static_cast<std::size_t>(scaled)]);
      }
    }
    for (std::int64_t i = 0; i < count; ++i)
      out.data<float>()[i * channels + c] = equalized[static_cast<std::size_t>(i)] * back_scale + back_offset;
  }
  return from_nhwc(out);
}

// ------------------------------------------------------------------- CLAHE

CLAHEImpl::CLAHEImpl(const layers::CLAHEOptions& o)
    : ImagePreprocessingLayer(base_of(o), "contrast_limited_adaptive_histogram_equalization", o.data_format,
                              std::nullopt),
      value_range_(value_range_arg(o.value_range, false, "ContrastLimitedAdaptiveHistogramEqualization")),
      tile_grid_size_(Json::array()),
      clip_limit_(o.clip_limit) {
  if (o.tile_grid_size.size() != 2 || o.tile_grid_size[0] < 1 || o.tile_grid_size[1] < 1)
    throw ValueError("ContrastLimitedAdaptiveHistogramEqualization: `tile_grid_size` must be two positive integers");
  for (auto v : o.tile_grid_size) tile_grid_size_.push_back(v);
  if (!py::is_number(clip_limit_))
    throw ValueError("ContrastLimitedAdaptiveHistogramEqualization: `clip_limit` must be a number, got " +
                     clip_limit_.dump());
}

LayerPtr CLAHEImpl::from_config(const Json& config) {
  const std::string cls = "ContrastLimitedAdaptiveHistogramEqualization";
  layers::CLAHEOptions o;
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.clip_limit = config_value(config, "clip_limit", o.clip_limit);
  if (auto it = config.find("tile_grid_size"); it != config.end()) {
    if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() || !(*it)[1].is_number_integer())
      throw FormatError(cls + " config 'tile_grid_size' must be two integers, got " + it->dump());
    o.tile_grid_size = {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::int64_t>()};
  }
  return with_config_extras(std::make_shared<CLAHEImpl>(o), config);
}

Json CLAHEImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = value_range_;
  config["clip_limit"] = clip_limit_;
  config["tile_grid_size"] = tile_grid_size_;
  config["data_format"] = data_format_;
  return config;
}

Tensor CLAHEImpl::equalize(const Tensor& images_in) const {
  Tensor images = transform_value_range(nhwc(images_in), value_range_, full_range());
  if (images.dtype() != DType::float32) images = images.astype(DType::float32);
  const std::int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  const std::int64_t grid_h = tile_grid_size_[0].get<std::int64_t>(), grid_w = tile_grid_size_[1].get<std::int64_t>();
  const std::int64_t tile_h = (height + grid_h - 1) / grid_h, tile_w = (width + grid_w - 1) / grid_w;
  const std::int64_t padded_h = tile_h * grid_h, padded_w = tile_w * grid_w;
  // Symmetric padding at the bottom and right (numpy.pad mode="symmetric").
  auto padded_pixel = [&](std::int64_t b, std::int64_t y, std::int64_t x, std::int64_t c) {
    auto reflect = [](std::int64_t i, std::int64_t n) {
      const std::int64_t m = i % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    };
    return images.data<float>()[((b * height + reflect(y, height)) * width + reflect(x, width)) * channels + c];
  };
  const std::int64_t tile_area = tile_h * tile_w;
  // Normalized CDFs per (batch, tile row + 2, tile col + 2, channel, 256), edges replicated.
  const std::int64_t gh2 = grid_h + 2, gw2 = grid_w + 2;
  std::vector<float> cdf(static_cast<std::size_t>(batch * gh2 * gw2 * channels * 256));
  auto cdf_at = [&](std::int64_t b, std::int64_t ty, std::int64_t tx, std::int64_t c) {
    return cdf.data() + (((b * gh2 + ty) * gw2 + tx) * channels + c) * 256;
  };
  const double clip_limit = py::value(clip_limit_);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t gy = 0; gy < grid_h; ++gy)
      for (std::int64_t gx = 0; gx < grid_w; ++gx)
        for (std::int64_t c = 0; c < channels; ++c) {
          std::vector<float> hist(256, 0.0F);
          for (std::int64_t y = gy * tile_h; y < (gy + 1) * tile_h; ++y)
            for (std::int64_t x = gx * tile_w; x < (gx + 1) * tile_w; ++x) {
              const float v = padded_pixel(b, y, x, c);
              // int32 cast (toward zero), then clip to [0, 255].
              const std::int64_t bin =
                  std::isnan(v)
                      ? 0
                      : std::clamp<std::int64_t>(static_cast<std::int64_t>(std::clamp(v, -1e9F, 1e9F)), 0, 255);
              hist[static_cast<std::size_t>(bin)] += 1.0F;
            }
          if (clip_limit > 0) {
            const auto limit = static_cast<float>(clip_limit * static_cast<double>(tile_area) / 256.0);
            float excess = 0.0F;
            for (auto& h : hist) {
              const float clipped = std::clamp(h, 0.0F, limit);
              excess += h - clipped;
              h = clipped;
            }
            const float redistributed = excess / 256.0F;
            for (auto& h : hist) h += redistributed;
          }
          std::vector<float> sums(256);
          std::partial_sum(hist.begin(), hist.end(), sums.begin());
          const float cdf_min = *std::min_element(sums.begin(), sums.end());
          float denominator = static_cast<float>(tile_area) - cdf_min;
          if (denominator == 0.0F) denominator = 1.0F;
          float* target = cdf_at(b, gy + 1, gx + 1, c);
          for (int i = 0; i < 256; ++i)
            target[i] = std::clamp((sums[i] - cdf_min) * 255.0F / denominator, 0.0F, 255.0F);
        }
  // Replicate the border tiles (rows first, then columns, as Keras concatenates).
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t gx = 1; gx <= grid_w; ++gx) {
        std::copy_n(cdf_at(b, 1, gx, c), 256, cdf_at(b, 0, gx, c));
        std::copy_n(cdf_at(b, grid_h, gx, c), 256, cdf_at(b, grid_h + 1, gx, c));
      }
      for (std::int64_t gy = 0; gy < gh2; ++gy) {
        std::copy_n(cdf_at(b, gy, 1, c), 256, cdf_at(b, gy, 0, c));
        std::copy_n(cdf_at(b, gy, grid_w, c), 256, cdf_at(b, gy, grid_w + 1, c));
      }
    }
  // Bilinear interpolation between the four nearest tile CDFs.
  struct Axis {
    std::int64_t i0, i1;
    float w;
  };
  auto axis_weights = [](std::int64_t n, std::int64_t tile, std::int64_t grid) {
    std::vector<Axis> out;
    for (std::int64_t i = 0; i < n; ++i) {
      const float g = (static_cast<float>(i) - static_cast<float>(tile) / 2.0F) / static_cast<float>(tile) + 1.0F;
      const float f0 = std::floor(g);
      const auto clamp_index = [&](float v) {
        return static_cast<std::int64_t>(std::clamp(v, 0.0F, static_cast<float>(grid + 1)));
      };
      out.push_back({clamp_index(f0), clamp_index(f0 + 1.0F), g - f0});
    }
    return out;
  };
  const auto ys = axis_weights(padded_h, tile_h, grid_h), xs = axis_weights(padded_w, tile_w, grid_w);
  Tensor out({batch, height, width, channels}, DType::float32);
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x)
        for (std::int64_t c = 0; c < channels; ++c) {
          const float v = images.data<float>()[((b * height + y) * width + x) * channels + c];
          const auto pixel = static_cast<std::size_t>(std::isnan(v) ? 0 : std::clamp(v, 0.0F, 255.0F));
          const Axis& ay = ys[static_cast<std::size_t>(y)];
          const Axis& ax = xs[static_cast<std::size_t>(x)];
          const float nw = cdf_at(b, ay.i0, ax.i0, c)[pixel], ne = cdf_at(b, ay.i0, ax.i1, c)[pixel];
          const float sw = cdf_at(b, ay.i1, ax.i0, c)[pixel], se = cdf_at(b, ay.i1, ax.i1, c)[pixel];
          const float top = nw * (1.0F - ax.w) + ne * ax.w;
          const float bottom = sw * (1.0F - ax.w) + se * ax.w;
          *o++ = top * (1.0F - ay.w) + bottom * ay.w;
        }
  return from_nhwc(transform_value_range(out, full_range(), value_range_));
}

Tensor CLAHEImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  return equalize(images);
}

Tensor CLAHEImpl::inference_images(const Tensor& images) {
  // Keras casts the result back to the input's dtype.
  return layer_utils::to_dtype(equalize(images), images.dtype());
}

}  // namespace keras::detail

namespace keras::layers {
AutoContrast::AutoContrast(const AutoContrastOptions& options)
    : LayerRef(std::make_shared<detail::AutoContrastImpl>(options)) {}
Equalization::Equalization(const EqualizationOptions& options)
    : LayerRef(std::make_shared<detail::EqualizationImpl>(options)) {}
ContrastLimitedAdaptiveHistogramEqualization::ContrastLimitedAdaptiveHistogramEqualization(const CLAHEOptions& options)
    : LayerRef(std::make_shared<detail::CLAHEImpl>(options)) {}
}  // namespace keras::layers
