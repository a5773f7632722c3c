#include "keras/saving.hpp"
#include "layers/registrations.hpp"
#include "layers/regularization/regularization_layers.hpp"

namespace keras::detail {

void register_regularization_layers() {
  saving::register_layer("keras.layers", "Dropout", DropoutImpl::from_config);
  saving::register_layer("keras.layers", "AlphaDropout", DropoutImpl::alpha_from_config);
  saving::register_layer("keras.layers", "SpatialDropout1D",
                         [](const Json& config) { return SpatialDropoutImpl::from_config(1, config); });
  saving::register_layer("keras.layers", "SpatialDropout2D",
                         [](const Json& config) { return SpatialDropoutImpl::from_config(2, config); });
  saving::register_layer("keras.layers", "SpatialDropout3D",
                         [](const Json& config) { return SpatialDropoutImpl::from_config(3, config); });
  saving::register_layer("keras.layers", "GaussianNoise", GaussianNoiseImpl::from_config);
  saving::register_layer("keras.layers", "GaussianDropout", GaussianDropoutImpl::from_config);
  saving::register_layer("keras.layers", "ActivityRegularization", ActivityRegularizationImpl::from_config);
}

}  // namespace keras::detail
