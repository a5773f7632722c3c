#include "layers/registrations.hpp"

namespace keras::detail {

void register_normalization_layers() {}

}  // namespace keras::detail
