#include "keras/saving.hpp"
#include "layers/activations/activation_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_activation_layers() {
  saving::register_layer("keras.layers", "Activation", ActivationImpl::from_config);
  saving::register_layer("keras.layers", "Softmax", SoftmaxImpl::from_config);
  saving::register_layer("keras.layers", "ReLU", ReLUImpl::from_config);
  saving::register_layer("keras.layers", "LeakyReLU", LeakyReLUImpl::from_config);
  saving::register_layer("keras.layers", "ELU", ELUImpl::from_config);
  saving::register_layer("keras.layers", "PReLU", PReLUImpl::from_config);
}

}  // namespace keras::detail
