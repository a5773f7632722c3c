#include "layers/registrations.hpp"

namespace keras::detail {

void register_reshaping_layers() {}

}  // namespace keras::detail
