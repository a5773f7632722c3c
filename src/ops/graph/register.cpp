#include "layers/registrations.hpp"

namespace keras::detail {

void register_raw_operations() {}

}  // namespace keras::detail
