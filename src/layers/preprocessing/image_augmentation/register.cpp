#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_image_augmentation_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("RandomFlip", RandomFlipImpl::from_config);
  r.add("RandomRotation", RandomRotationImpl::from_config);
  r.add("RandomZoom", RandomZoomImpl::from_config);
  r.add("RandomTranslation", RandomTranslationImpl::from_config);
  r.add("RandomShear", RandomShearImpl::from_config);
  r.add("RandomPerspective", RandomPerspectiveImpl::from_config);
  r.add("RandomElasticTransform", RandomElasticTransformImpl::from_config);
  r.add("RandomContrast", [](const Json& c) { return color_layer_from_config("RandomContrast", c); });
  r.add("RandomBrightness", [](const Json& c) { return color_layer_from_config("RandomBrightness", c); });
  r.add("RandomColorDegeneration", [](const Json& c) { return color_layer_from_config("RandomColorDegeneration", c); });
  r.add("RandomInvert", [](const Json& c) { return color_layer_from_config("RandomInvert", c); });
  r.add("RandomPosterization", [](const Json& c) { return color_layer_from_config("RandomPosterization", c); });
  r.add("RandomSharpness", [](const Json& c) { return color_layer_from_config("RandomSharpness", c); });
  r.add("RandomHue", [](const Json& c) { return color_layer_from_config("RandomHue", c); });
  r.add("RandomSaturation", [](const Json& c) { return color_layer_from_config("RandomSaturation", c); });
  r.add("Solarization", SolarizationImpl::from_config);
  r.add("RandomGrayscale", RandomGrayscaleImpl::from_config);
  r.add("RandomColorJitter", RandomColorJitterImpl::from_config);
  r.add("RandomErasing", RandomErasingImpl::from_config);
  r.add("RandomGaussianBlur", RandomGaussianBlurImpl::from_config);
  r.add("CutMix", CutMixImpl::from_config);
  r.add("MixUp", MixUpImpl::from_config);
  r.add("AutoContrast", AutoContrastImpl::from_config);
  r.add("Equalization", EqualizationImpl::from_config);
  r.add("ContrastLimitedAdaptiveHistogramEqualization", CLAHEImpl::from_config);
  r.add("AugMix", AugMixImpl::from_config);
  r.add("RandAugment", RandAugmentImpl::from_config);
  r.add("RandomCrop", RandomCropImpl::from_config);
  r.add("MaxNumBoundingBoxes", MaxNumBoundingBoxesImpl::from_config);
}

}  // namespace keras::detail
