#include "layers/registrations.hpp"

namespace keras::detail {

void register_convolution_layers() {}

}  // namespace keras::detail
