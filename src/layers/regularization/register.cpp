#include "layers/registrations.hpp"

namespace keras::detail {

void register_regularization_layers() {}

}  // namespace keras::detail
