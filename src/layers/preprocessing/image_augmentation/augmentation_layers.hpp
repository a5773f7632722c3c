// The image augmentation and image preprocessing layers of
// keras/src/layers/preprocessing/image_preprocessing/. Each class states what
// it does at inference; the training path follows Keras' transform code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keras/layers/image_augmentation.hpp"
#include "layers/preprocessing/image_augmentation/augmentation_layer.hpp"

namespace keras::detail {

// Inference: the input cast to the compute dtype.
class RandomFlipImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomFlipImpl(const layers::RandomFlipOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomFlip"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  std::string mode_;
};

// Fill and interpolation of the layers built on keras.ops.image.affine_transform.
struct AffineSettings {
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  Json fill_value = 0.0;
};

// RandomRotation, RandomZoom, RandomTranslation, RandomShear: a per-image
// affine matrix [B, 8] in training; inference casts to the compute dtype.
class AffineAugmentationImpl : public ImagePreprocessingLayer {
 public:
  AffineAugmentationImpl(const LayerBaseOptions& base, const std::string& prefix,
                         const std::optional<std::string>& data_format, std::optional<std::int64_t> seed,
                         AffineSettings settings);
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
  const AffineSettings& settings() const { return settings_; }

 protected:
  // The keys RandomZoom, RandomTranslation and RandomShear write after their factors.
  void write_fill_and_seed(Json& config) const;
  AffineSettings settings_;
};

class RandomRotationImpl final : public AffineAugmentationImpl {
 public:
  RandomRotationImpl(const Json& factor, const layers::AffineOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomRotation"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;

 private:
  Json factor_;
};

class RandomZoomImpl final : public AffineAugmentationImpl {
 public:
  RandomZoomImpl(Json height_factor, Json width_factor, const layers::AffineOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomZoom"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;

 private:
  Json height_factor_, width_factor_;  // as given (written back so)
  Json height_range_, width_range_;
};

class RandomTranslationImpl final : public AffineAugmentationImpl {
 public:
  RandomTranslationImpl(Json height_factor, Json width_factor, const layers::AffineOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomTranslation"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;

 private:
  Json height_factor_, width_factor_;
  Json height_range_, width_range_;
};

class RandomShearImpl final : public AffineAugmentationImpl {
 public:
  // `lenient`: accept the [-f, f] ranges Keras writes (and rejects) for factor f.
  explicit RandomShearImpl(const layers::RandomShearOptions& options, bool lenient = false);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomShear"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;

 private:
  Json x_factor_, y_factor_;  // (lower, upper)
};

class RandomPerspectiveImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomPerspectiveImpl(const layers::RandomPerspectiveOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomPerspective"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_, scale_;
  std::string interpolation_;
  Json fill_value_;
};

class RandomElasticTransformImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomElasticTransformImpl(const layers::RandomElasticTransformOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomElasticTransform"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_, scale_, value_range_;
  std::string interpolation_, fill_mode_;
  Json fill_value_;
};

// The color layers with a factor, a value_range and a seed, all written as
// base keys + factor, value_range, seed. Keras' inference returns their input
// as it is (no cast) unless `casts_at_inference`.
class ColorAugmentationImpl : public ImagePreprocessingLayer {
 public:
  // `factor` and `value_range` as the layer normalized them.
  ColorAugmentationImpl(const std::string& class_name, const std::string& prefix, const layers::ColorOptions& options,
                        Json factor, Json value_range);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;

 protected:
  std::string class_name_;
  Json factor_;       // (lower, upper)
  Json value_range_;  // as the layer keeps it (sorted or not)
};

class RandomContrastImpl final : public ColorAugmentationImpl {
 public:
  RandomContrastImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomBrightnessImpl final : public ColorAugmentationImpl {
 public:
  RandomBrightnessImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomColorDegenerationImpl final : public ColorAugmentationImpl {
 public:
  RandomColorDegenerationImpl(const Json& factor, const layers::ColorOptions& options);
  Shape compute_output_shape(const Shape& input_shape) override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomInvertImpl final : public ColorAugmentationImpl {
 public:
  RandomInvertImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomPosterizationImpl final : public ColorAugmentationImpl {
 public:
  RandomPosterizationImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
// Inference: cast to the compute dtype.
class RandomSharpnessImpl final : public ColorAugmentationImpl {
 public:
  RandomSharpnessImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomHueImpl final : public ColorAugmentationImpl {
 public:
  RandomHueImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};
class RandomSaturationImpl final : public ColorAugmentationImpl {
 public:
  RandomSaturationImpl(const Json& factor, const layers::ColorOptions& options);
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
};

// Inference: cast to the compute dtype.
class SolarizationImpl final : public ImagePreprocessingLayer {
 public:
  explicit SolarizationImpl(const layers::SolarizationOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Solarization"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json addition_factor_, threshold_factor_, value_range_;
};

// Inference: the input as it is; its output dtype is the input's.
class RandomGrayscaleImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomGrayscaleImpl(const layers::RandomGrayscaleOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomGrayscale"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_;
};

// Inference: the input as it is. Training: its sub-layers in order, drawing from this layer's stream.
class RandomColorJitterImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomColorJitterImpl(const layers::RandomColorJitterOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomColorJitter"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::RandomColorJitterOptions options_;
  std::vector<std::shared_ptr<ImagePreprocessingLayer>> steps_;  // brightness, contrast, saturation, hue
};

// Inference: cast to the compute dtype.
class RandomErasingImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomErasingImpl(const layers::RandomErasingOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomErasing"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_, scale_, fill_value_, value_range_;
};

// Inference: cast to the compute dtype.
class RandomGaussianBlurImpl final : public ImagePreprocessingLayer {
 public:
  explicit RandomGaussianBlurImpl(const layers::RandomGaussianBlurOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomGaussianBlur"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_, kernel_size_, sigma_, value_range_;
};

// Inference: cast to the compute dtype. Unbatched images pass unchanged.
class CutMixImpl final : public ImagePreprocessingLayer {
 public:
  explicit CutMixImpl(const layers::CutMixOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "CutMix"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json factor_;
};

// Inference: the input as it is.
class MixUpImpl final : public ImagePreprocessingLayer {
 public:
  explicit MixUpImpl(const layers::MixUpOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "MixUp"; }
  Json get_config() const override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json alpha_;
};

// Inference and training alike: every channel of every image stretched to the value range.
class AutoContrastImpl final : public ImagePreprocessingLayer {
 public:
  explicit AutoContrastImpl(const layers::AutoContrastOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "AutoContrast"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
  Tensor inference_images(const Tensor& images) override;

 private:
  Json value_range_;
};

// Inference: the input as it is. Training: per-channel histogram equalization over the batch.
class EqualizationImpl final : public ImagePreprocessingLayer {
 public:
  explicit EqualizationImpl(const layers::EqualizationOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Equalization"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  Json value_range_;
  std::int64_t bins_;
};

// Inference and training alike.
class CLAHEImpl final : public ImagePreprocessingLayer {
 public:
  explicit CLAHEImpl(const layers::CLAHEOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "ContrastLimitedAdaptiveHistogramEqualization"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;
  Tensor inference_images(const Tensor& images) override;

 private:
  Tensor equalize(const Tensor& images) const;
  Json value_range_, tile_grid_size_, clip_limit_;
};

// AugMix and RandAugment hold their augmentation layers as attributes.
class CompositeAugmentationImpl : public ImagePreprocessingLayer {
 public:
  using ImagePreprocessingLayer::ImagePreprocessingLayer;
  // The settings Keras passes on to every augmentation layer (its **kwargs included).
  struct Shared {
    Json factor;  // (lower, upper)
    Json value_range;
    std::string interpolation;
    std::optional<std::int64_t> seed;
    std::optional<std::string> data_format;
    LayerBaseOptions base;
  };

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  // Creates the layers named by `created` (attribute names, in the order the
  // Keras constructor creates them) and tracks them; `order` is the list the
  // layer picks from (Keras' _AUGMENT_LAYERS).
  void add_augmentations(const Shared& shared, const std::vector<std::string>& created,
                         const std::vector<std::string>& order);
  std::vector<std::shared_ptr<ImagePreprocessingLayer>> augmentations_;  // in `order`
};

// Inference: cast to the compute dtype.
class AugMixImpl final : public CompositeAugmentationImpl {
 public:
  explicit AugMixImpl(const layers::AugMixOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "AugMix"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  layers::AugMixOptions options_;
  Json factor_;
};

// Inference: cast to the compute dtype.
class RandAugmentImpl final : public CompositeAugmentationImpl {
 public:
  explicit RandAugmentImpl(const layers::RandAugmentOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandAugment"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  layers::RandAugmentOptions options_;
  Json factor_;
};

// Inference: the input as it is (Keras 3.16 does not crop there).
class RandomCropImpl final : public ImagePreprocessingLayer {
 public:
  RandomCropImpl(std::int64_t height, std::int64_t width, const layers::RandomCropOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "RandomCrop"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  std::any random_transformation(const Shape& images_shape, AugmentationRng& rng) override;
  Tensor transform_images(const Tensor& images, const std::any& transformation) override;

 private:
  std::int64_t height_, width_;
};

// Images pass through unchanged (bounding boxes are what it pads).
class MaxNumBoundingBoxesImpl final : public ImagePreprocessingLayer {
 public:
  MaxNumBoundingBoxesImpl(std::int64_t max_number, const layers::MaxNumBoundingBoxesOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "MaxNumBoundingBoxes"; }
  Json get_config() const override;
  Tensor transform_images(const Tensor& images, const std::any& /*transformation*/) override { return images; }
  Tensor inference_images(const Tensor& images) override { return images; }

 private:
  std::int64_t max_number_;
};

// The factories of the ColorAugmentationImpl classes, by class name.
LayerPtr color_layer_from_config(const std::string& class_name, const Json& config);

}  // namespace keras::detail
