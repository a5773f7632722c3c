#include "keras/saving.hpp"
#include "layers/core/dense.hpp"
#include "layers/core/input_layer.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_core_layers() {
  saving::register_layer("keras.layers", "InputLayer", InputLayerImpl::from_config);
  saving::register_layer("keras.layers", "Dense", DenseImpl::from_config);
}

}  // namespace keras::detail
