#include "keras/saving.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_normalization_layers() {
  saving::register_layer("keras.layers", "BatchNormalization", BatchNormalizationImpl::from_config);
  saving::register_layer("keras.layers", "LayerNormalization", LayerNormalizationImpl::from_config);
  saving::register_layer("keras.layers", "GroupNormalization", GroupNormalizationImpl::from_config);
  saving::register_layer("keras.layers", "UnitNormalization", UnitNormalizationImpl::from_config);
  saving::register_layer("keras.layers", "RMSNormalization", RMSNormalizationImpl::from_config);
  saving::register_layer("keras.layers", "SpectralNormalization", SpectralNormalizationImpl::from_config);
}

}  // namespace keras::detail
