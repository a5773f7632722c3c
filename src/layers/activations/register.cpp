#include "layers/activations/activation_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_activation_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Activation", ActivationImpl::from_config);
  r.add("Softmax", SoftmaxImpl::from_config);
  r.add("ReLU", ReLUImpl::from_config);
  r.add("LeakyReLU", LeakyReLUImpl::from_config);
  r.add("ELU", ELUImpl::from_config);
  r.add("PReLU", PReLUImpl::from_config);
}

}  // namespace keras::detail
