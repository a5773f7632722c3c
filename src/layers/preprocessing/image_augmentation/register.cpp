#include "keras/saving.hpp"
#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_image_augmentation_layers() {
  saving::register_layer("keras.layers", "RandomFlip", RandomFlipImpl::from_config);
  saving::register_layer("keras.layers", "RandomRotation", RandomRotationImpl::from_config);
  saving::register_layer("keras.layers", "RandomZoom", RandomZoomImpl::from_config);
  saving::register_layer("keras.layers", "RandomTranslation", RandomTranslationImpl::from_config);
  saving::register_layer("keras.layers", "RandomShear", RandomShearImpl::from_config);
  saving::register_layer("keras.layers", "RandomPerspective", RandomPerspectiveImpl::from_config);
  saving::register_layer("keras.layers", "RandomElasticTransform", RandomElasticTransformImpl::from_config);
  saving::register_layer("keras.layers", "RandomContrast",
                         [](const Json& c) { return color_layer_from_config("RandomContrast", c); });
  saving::register_layer("keras.layers", "RandomBrightness",
                         [](const Json& c) { return color_layer_from_config("RandomBrightness", c); });
  saving::register_layer("keras.layers", "RandomColorDegeneration",
                         [](const Json& c) { return color_layer_from_config("RandomColorDegeneration", c); });
  saving::register_layer("keras.layers", "RandomInvert",
                         [](const Json& c) { return color_layer_from_config("RandomInvert", c); });
  saving::register_layer("keras.layers", "RandomPosterization",
                         [](const Json& c) { return color_layer_from_config("RandomPosterization", c); });
  saving::register_layer("keras.layers", "RandomSharpness",
                         [](const Json& c) { return color_layer_from_config("RandomSharpness", c); });
  saving::register_layer("keras.layers", "RandomHue",
                         [](const Json& c) { return color_layer_from_config("RandomHue", c); });
  saving::register_layer("keras.layers", "RandomSaturation",
                         [](const Json& c) { return color_layer_from_config("RandomSaturation", c); });
  saving::register_layer("keras.layers", "Solarization", SolarizationImpl::from_config);
  saving::register_layer("keras.layers", "RandomGrayscale", RandomGrayscaleImpl::from_config);
  saving::register_layer("keras.layers", "RandomColorJitter", RandomColorJitterImpl::from_config);
  saving::register_layer("keras.layers", "RandomErasing", RandomErasingImpl::from_config);
  saving::register_layer("keras.layers", "RandomGaussianBlur", RandomGaussianBlurImpl::from_config);
  saving::register_layer("keras.layers", "CutMix", CutMixImpl::from_config);
  saving::register_layer("keras.layers", "MixUp", MixUpImpl::from_config);
  saving::register_layer("keras.layers", "AutoContrast", AutoContrastImpl::from_config);
  saving::register_layer("keras.layers", "Equalization", EqualizationImpl::from_config);
  saving::register_layer("keras.layers", "ContrastLimitedAdaptiveHistogramEqualization", CLAHEImpl::from_config);
  saving::register_layer("keras.layers", "AugMix", AugMixImpl::from_config);
  saving::register_layer("keras.layers", "RandAugment", RandAugmentImpl::from_config);
  saving::register_layer("keras.layers", "RandomCrop", RandomCropImpl::from_config);
  saving::register_layer("keras.layers", "MaxNumBoundingBoxes", MaxNumBoundingBoxesImpl::from_config);
}

}  // namespace keras::detail
