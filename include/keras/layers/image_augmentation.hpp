// keras.layers image augmentation and image preprocessing layers
// (keras/src/layers/preprocessing/image_preprocessing/): RandomFlip,
// RandomRotation, ..., RandAugment, plus AutoContrast, Equalization,
// ContrastLimitedAdaptiveHistogramEqualization, RandomCrop,
// and MaxNumBoundingBoxes.
//
// At inference most of them return their input (cast to the compute dtype
// where Keras casts); AutoContrast and ContrastLimitedAdaptiveHistogramEqualization
// change images at inference too, and RandomCrop returns its input uncropped
// there, as Keras 3.16 does. With training=true they apply Keras' augmentation
// math, drawing from keras-cpp's own generator (seeded by `seed` when given;
// Keras' random streams are not reproduced).
//
// Factors, value ranges and the other numbers Keras writes back as given are
// keras::Json so that a number keeps its Python type (0 vs 0.0) in the
// config: a number or a list of two numbers, e.g. RandomRotation(0.1) or
// RandomContrast(Json::array({0.1, 0.3})).
// Inputs are images of rank 3 or 4; the layers take a tensor of images (not
// Keras' dict of images, labels and bounding boxes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layer.hpp"

namespace keras::layers {

struct RandomFlipOptions {
  std::string mode = "horizontal_and_vertical";  // "horizontal", "vertical"
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomFlip: flips each image with probability 1/2.
class RandomFlip : public LayerRef {
 public:
  explicit RandomFlip(const RandomFlipOptions& options = {});
};

// fill_mode: "reflect", "wrap", "constant", "nearest"; interpolation: "bilinear", "nearest".
struct AffineOptions {
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<std::int64_t> seed;
  Json fill_value = 0.0;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomRotation: rotations by factor * 360 degrees (factor a
// number f gives [-f, f]).
class RandomRotation : public LayerRef {
 public:
  explicit RandomRotation(const Json& factor, const AffineOptions& options = {});
};
// keras.layers.RandomZoom: zoom factors 1 + U(lower, upper) (positive values
// zoom out); width_factor null keeps the aspect ratio.
class RandomZoom : public LayerRef {
 public:
  explicit RandomZoom(Json height_factor, Json width_factor = nullptr, const AffineOptions& options = {});
};
// keras.layers.RandomTranslation: shifts by U(lower, upper) * height / width.
class RandomTranslation : public LayerRef {
 public:
  RandomTranslation(Json height_factor, Json width_factor, const AffineOptions& options = {});
};

struct RandomShearOptions {
  Json x_factor = 0.0;  // in [0, 1]; a number f gives [-f, f]
  Json y_factor = 0.0;
  std::string interpolation = "bilinear";
  std::string fill_mode = "reflect";
  Json fill_value = 0.0;
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomShear. Keras 3.16 writes x_factor=f as [-f, f], which
// its own constructor then rejects; keras-cpp loads such files.
class RandomShear : public LayerRef {
 public:
  explicit RandomShear(const RandomShearOptions& options = {});
};

struct RandomPerspectiveOptions {
  Json factor = 1.0;  // probability range of applying the transform
  Json scale = 1.0;
  std::string interpolation = "bilinear";
  Json fill_value = 0.0;
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomPerspective: moves the corners by up to scale/2 of the image size.
class RandomPerspective : public LayerRef {
 public:
  explicit RandomPerspective(const RandomPerspectiveOptions& options = {});
};

struct RandomElasticTransformOptions {
  Json factor = 1.0;
  Json scale = 1.0;
  std::string interpolation = "bilinear";
  std::string fill_mode = "reflect";  // also "mirror"
  Json fill_value = 0.0;
  Json value_range = Json::array({0, 255});
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class RandomElasticTransform : public LayerRef {
 public:
  explicit RandomElasticTransform(const RandomElasticTransformOptions& options = {});
};

// Color layers: value_range is the range of the input pixels ([0, 255] by default).
struct ColorOptions {
  Json value_range = Json::array({0, 255});
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomContrast: (x - mean) * U(1 - lower, 1 + upper) + mean, clipped.
class RandomContrast : public LayerRef {
 public:
  explicit RandomContrast(const Json& factor, const ColorOptions& options = {});
};
// keras.layers.RandomBrightness: adds U(lower, upper) * (max - min), clipped.
class RandomBrightness : public LayerRef {
 public:
  explicit RandomBrightness(const Json& factor, const ColorOptions& options = {});
};
class RandomHue : public LayerRef {
 public:
  explicit RandomHue(const Json& factor, const ColorOptions& options = {});
};
class RandomSaturation : public LayerRef {
 public:
  explicit RandomSaturation(const Json& factor, const ColorOptions& options = {});
};
class RandomSharpness : public LayerRef {
 public:
  explicit RandomSharpness(const Json& factor, const ColorOptions& options = {});
};
// keras.layers.RandomPosterization: keeps U{lower..upper-1} bits per channel (factor in [1, 8]).
class RandomPosterization : public LayerRef {
 public:
  explicit RandomPosterization(const Json& factor, const ColorOptions& options = {});
};
class RandomColorDegeneration : public LayerRef {
 public:
  explicit RandomColorDegeneration(const Json& factor, const ColorOptions& options = {});
};
// keras.layers.RandomInvert: max - x with a probability drawn from `factor`.
class RandomInvert : public LayerRef {
 public:
  explicit RandomInvert(const Json& factor = 1.0, const ColorOptions& options = {});
};

struct RandomGrayscaleOptions {
  Json factor = 0.5;  // probability of converting an image
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class RandomGrayscale : public LayerRef {
 public:
  explicit RandomGrayscale(const RandomGrayscaleOptions& options = {});
};

struct RandomColorJitterOptions {
  Json value_range = Json::array({0, 255});
  Json brightness_factor = nullptr;  // null: that adjustment is off
  Json contrast_factor = nullptr;
  Json saturation_factor = nullptr;
  Json hue_factor = nullptr;
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomColorJitter: RandomBrightness, RandomContrast,
// RandomSaturation and RandomHue in that order, each when its factor is set.
class RandomColorJitter : public LayerRef {
 public:
  explicit RandomColorJitter(const RandomColorJitterOptions& options = {});
};

struct RandomErasingOptions {
  Json factor = 1.0;
  Json scale = Json::array({0.02, 0.33});  // range of the erased area's side ratios (squared)
  Json fill_value = nullptr;               // null: Gaussian noise * max value; a number or 3 numbers
  Json value_range = Json::array({0, 255});
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class RandomErasing : public LayerRef {
 public:
  explicit RandomErasing(const RandomErasingOptions& options = {});
};

struct RandomGaussianBlurOptions {
  Json factor = 1.0;
  Json kernel_size = 3;  // an odd number or two odd numbers
  Json sigma = 1.0;
  Json value_range = Json::array({0, 255});
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class RandomGaussianBlur : public LayerRef {
 public:
  explicit RandomGaussianBlur(const RandomGaussianBlurOptions& options = {});
};

struct SolarizationOptions {
  Json addition_factor = 0.0;
  Json threshold_factor = 0.0;
  Json value_range = Json::array({0, 255});
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.Solarization: x + U(addition) * 255, inverted above U(threshold) * 255 (training only).
class Solarization : public LayerRef {
 public:
  explicit Solarization(const SolarizationOptions& options = {});
};

struct AutoContrastOptions {
  Json value_range = Json::array({0, 255});
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.AutoContrast: stretches every channel of every image to the
// full value range, at inference too.
class AutoContrast : public LayerRef {
 public:
  explicit AutoContrast(const AutoContrastOptions& options = {});
};

struct EqualizationOptions {
  Json value_range = Json::array({0, 255});
  std::int64_t bins = 256;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.Equalization: histogram equalization per channel (training
// only). Keras 3.16 cannot call it in a functional model (its output spec is
// its input, a cycle in Keras' graph), so a file whose model calls it directly
// loads here but not in Keras; it runs inside RandAugment and AugMix.
class Equalization : public LayerRef {
 public:
  explicit Equalization(const EqualizationOptions& options = {});
};

struct CLAHEOptions {
  Json value_range = Json::array({0, 255});
  Json clip_limit = 4.0;
  std::vector<std::int64_t> tile_grid_size = {8, 8};
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.ContrastLimitedAdaptiveHistogramEqualization, at inference too.
class ContrastLimitedAdaptiveHistogramEqualization : public LayerRef {
 public:
  explicit ContrastLimitedAdaptiveHistogramEqualization(const CLAHEOptions& options = {});
};

struct CutMixOptions {
  Json factor = 1.0;
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.CutMix: pastes a box of another image of the batch.
class CutMix : public LayerRef {
 public:
  explicit CutMix(const CutMixOptions& options = {});
};

struct MixUpOptions {
  Json alpha = 0.2;
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.MixUp: w * x + (1 - w) * x[permutation], w ~ Beta(alpha, alpha).
class MixUp : public LayerRef {
 public:
  explicit MixUp(const MixUpOptions& options = {});
};

struct AugMixOptions {
  Json value_range = Json::array({0, 255});
  std::int64_t num_chains = 3;
  std::int64_t chain_depth = 3;
  Json factor = 0.3;
  Json alpha = 1.0;
  bool all_ops = true;
  std::string interpolation = "bilinear";
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class AugMix : public LayerRef {
 public:
  explicit AugMix(const AugMixOptions& options = {});
};

struct RandAugmentOptions {
  Json value_range = Json::array({0, 255});
  std::int64_t num_ops = 2;
  Json factor = 0.5;
  std::string interpolation = "bilinear";
  std::optional<std::int64_t> seed;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
class RandAugment : public LayerRef {
 public:
  explicit RandAugment(const RandAugmentOptions& options = {});
};

struct RandomCropOptions {
  std::optional<std::int64_t> seed;        // nullopt: a random seed, written to the config as Keras does
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.RandomCrop: a random height x width window in training. At
// inference Keras 3.16 returns the input unchanged (its declared output shape
// is still height x width); keras-cpp does the same.
class RandomCrop : public LayerRef {
 public:
  RandomCrop(std::int64_t height, std::int64_t width, const RandomCropOptions& options = {});
};

struct MaxNumBoundingBoxesOptions {
  std::int64_t fill_value = -1;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};
// keras.layers.MaxNumBoundingBoxes: pads or truncates bounding boxes; images pass through.
class MaxNumBoundingBoxes : public LayerRef {
 public:
  explicit MaxNumBoundingBoxes(std::int64_t max_number, const MaxNumBoundingBoxesOptions& options = {});
};

}  // namespace keras::layers
