#include "layers/registrations.hpp"

namespace keras::detail {

void register_attention_layers() {}

}  // namespace keras::detail
