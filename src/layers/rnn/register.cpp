#include "layers/registrations.hpp"

namespace keras::detail {

void register_rnn_layers() {}

}  // namespace keras::detail
