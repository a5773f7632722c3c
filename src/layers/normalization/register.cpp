#include "layers/normalization/normalization_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_normalization_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("BatchNormalization", BatchNormalizationImpl::from_config);
  r.add("LayerNormalization", LayerNormalizationImpl::from_config);
  r.add("GroupNormalization", GroupNormalizationImpl::from_config);
  r.add("UnitNormalization", UnitNormalizationImpl::from_config);
  r.add("RMSNormalization", RMSNormalizationImpl::from_config);
  r.add("SpectralNormalization", SpectralNormalizationImpl::from_config);
}

}  // namespace keras::detail
