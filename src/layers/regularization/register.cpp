#include "layers/registrations.hpp"
#include "layers/regularization/regularization_layers.hpp"

namespace keras::detail {

void register_regularization_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Dropout", DropoutImpl::from_config);
  r.add("AlphaDropout", DropoutImpl::alpha_from_config);
  r.add("SpatialDropout1D", [](const Json& c) { return SpatialDropoutImpl::from_config(1, c); });
  r.add("SpatialDropout2D", [](const Json& c) { return SpatialDropoutImpl::from_config(2, c); });
  r.add("SpatialDropout3D", [](const Json& c) { return SpatialDropoutImpl::from_config(3, c); });
  r.add("GaussianNoise", GaussianNoiseImpl::from_config);
  r.add("GaussianDropout", GaussianDropoutImpl::from_config);
  r.add("ActivityRegularization", ActivityRegularizationImpl::from_config);
}

}  // namespace keras::detail
