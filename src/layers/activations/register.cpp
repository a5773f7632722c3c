#include "layers/registrations.hpp"

namespace keras::detail {
void register_activation_layer_classes();

void register_activation_layers() { register_activation_layer_classes(); }
}  // namespace keras::detail
