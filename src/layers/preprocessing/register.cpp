#include "layers/registrations.hpp"

namespace keras::detail {

void register_preprocessing_layers() {}

}  // namespace keras::detail
