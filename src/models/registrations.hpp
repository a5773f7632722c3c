// The models level's built-ins (Sequential, Functional, Model), after the
// layers level's. Idempotent; model lookups call it first.
#pragma once

namespace keras::detail {

void register_model_builtins();

}  // namespace keras::detail
