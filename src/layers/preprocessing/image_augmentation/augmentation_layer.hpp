// The shared machinery of Keras' image preprocessing layers
// (BaseImagePreprocessingLayer): data_format, the training/inference split,
// the random stream, and factor arguments kept as the Python numbers Keras
// writes back into configs.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "keras/layer.hpp"
#include "layers/config_utils.hpp"

namespace keras::detail {

// Python int/float semantics for numbers held as JSON (0 and 0.0 print differently).
namespace py {
bool is_number(const Json& value);       // an int or a float, not a bool
Json abs(const Json& number);            // abs(x), type kept
Json neg(const Json& number);            // -x, type kept (-0.0 for 0.0)
Json max(const Json& a, const Json& b);  // Python's max(a, b): a unless b > a
Json sorted_pair(const Json& list);      // sorted([a, b])
double value(const Json& number);
}  // namespace py

// The random stream of one layer (the role of Keras' SeedGenerator): seeded
// by the layer's seed, or by the process-wide generator without one.
class AugmentationRng {
 public:
  explicit AugmentationRng(std::optional<std::int64_t> seed);
  double uniform(double lo = 0.0, double hi = 1.0);  // [lo, hi), like keras.random.uniform
  double normal();
  double gamma(double alpha);
  double beta(double a, double b);
  std::int64_t randint(std::int64_t lo, std::int64_t hi);  // [lo, hi)
  std::vector<std::int64_t> permutation(std::int64_t n);   // keras.random.shuffle(arange(n))
  Tensor normal_tensor(const Shape& shape);

 private:
  std::mt19937_64 engine_;
};

// BaseImagePreprocessingLayer._set_factor: a number f in [lo, hi] gives
// (max(-|f|, lo), |f|); a pair (sorted) must overlap [lo, hi]. `arg` names
// the argument in messages.
Json image_factor(const Json& factor, const Json& lo, const Json& hi, const std::string& arg, const std::string& layer);
// The per-element check of RandomZoom / RandomTranslation / RandomShear: each
// end of a pair, or the number, within [lo, hi] (lo excluded when
// `lo_open`); a number f gives (-|f|, |f|).
Json symmetric_factor(const Json& factor, double lo, double hi, bool lo_open, const std::string& message,
                      const std::string& arg, const std::string& layer);
// A value_range argument: a list of two numbers; `sort` as the layers that sort it.
Json value_range_arg(const Json& value_range, bool sort, const std::string& layer);
// Keras' interpolation check of the warping layers ("nearest" or "bilinear",
// NotImplementedError otherwise) and a numeric fill_value (ValueError).
void check_interpolation(const std::string& interpolation, const std::string& layer);
void check_fill_value(const Json& fill_value, const std::string& layer);
// The two numbers of a pair.
std::pair<double, double> pair_of(const Json& pair);

// BaseImagePreprocessingLayer._transform_value_range: float32 images from
// range `from` to range `to` (unchanged when the ranges are equal).
Tensor transform_value_range(const Tensor& images, const Json& from, const Json& to);
// numpy.clip(images, lo, hi) with the two ends of a value range.
Tensor clip_to_range(const Tensor& images, const Json& value_range);

// The seed from a config (null or an int); other keys go through detail::config_value.
std::optional<std::int64_t> config_seed(const Json& config, const std::string& layer);
Json seed_to_json(const std::optional<std::int64_t>& seed);

class ImagePreprocessingLayer : public Layer {
 public:
  ImagePreprocessingLayer(const LayerBaseOptions& base, const std::string& auto_name_prefix,
                          const std::optional<std::string>& data_format, std::optional<std::int64_t> seed);

  // Layer base keys, then data_format (and bounding_box_format when set).
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Tensor forward(const Tensor& input, bool training) override;
  // A node's explicit `training` keyword wins over the run's flag, as in Keras.
  std::vector<Tensor> call(const CallArgs& args) override;
  bool converts_input_args() const override { return converts_input_args_; }

  // The training path, split as in Keras so that composite layers (AugMix,
  // RandAugment) can draw from their own stream and mix the results:
  // `images` is a float32 batch [B, ...] in the layer's data_format.
  virtual std::any random_transformation(const Shape& images_shape, AugmentationRng& rng);
  virtual Tensor transform_images(const Tensor& images, const std::any& transformation);
  // The inference path on a batch (after Keras' input conversion).
  virtual Tensor inference_images(const Tensor& images);

  bool channels_first() const { return data_format_ == "channels_first"; }
  const std::string& data_format() const { return data_format_; }
  AugmentationRng& rng() { return rng_; }
  // Geometry of a batch shape in this layer's data_format.
  std::int64_t height_of(const Shape& s) const { return s[channels_first() ? 2 : 1]; }
  std::int64_t width_of(const Shape& s) const { return s[channels_first() ? 3 : 2]; }
  std::int64_t channels_of(const Shape& s) const { return s[channels_first() ? 1 : 3]; }
  // The batch in channels_last and back (no-ops for channels_last layers).
  Tensor nhwc(const Tensor& images) const;
  Tensor from_nhwc(const Tensor& images) const;

  std::optional<std::string> bounding_box_format;  // written back when a config set it

 protected:
  std::string data_format_;
  std::optional<std::int64_t> seed_;
  // Keras' transform_images at inference: a cast to the compute dtype, or
  // the input as it is (layers whose transform returns it untouched).
  bool casts_at_inference_ = true;
  // False for the layers that set _convert_input_args = False.
  bool converts_input_args_ = true;
  // Whether Keras declares the (autocast) input dtype instead of the compute
  // dtype for the output (RandomGrayscale, Equalization, MaxNumBoundingBoxes).
  bool declares_input_dtype_ = false;

 private:
  AugmentationRng rng_;
};

// The keys a config may carry beyond the constructor's options
// (bounding_box_format), set on a layer made by from_config.
LayerPtr with_config_extras(const std::shared_ptr<ImagePreprocessingLayer>& layer, const Json& config);

// Reads the keyword arguments every image layer takes into an options struct.
template <typename Options>
void read_image_layer_base(const Json& config, Options& o) {
  read_base_options(config, o);
  if (auto it = config.find("data_format"); it != config.end() && !it->is_null()) {
    if (!it->is_string()) throw FormatError("config 'data_format' must be a string, got " + it->dump());
    o.data_format = it->get<std::string>();
  }
}
// The base options of an options struct.
template <typename Options>
LayerBaseOptions base_of(const Options& o) {
  return LayerBaseOptions{o.name, o.dtype, o.trainable};
}

}  // namespace keras::detail
