#include "layers/registrations.hpp"

namespace keras::detail {

void register_pooling_layers() {}

}  // namespace keras::detail
