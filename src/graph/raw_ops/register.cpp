// Registers every raw operation under its Keras class name (the registry
// keeps raw ops apart from layers of the same name, e.g. Add, Concatenate).
#include "keras/saving.hpp"
#include "layers/registrations.hpp"
#include "graph/raw_ops/raw_op.hpp"

namespace keras::detail {

void register_raw_operations() {
  for (const auto& def : raw_op_defs()) {
    const RawOpDef* d = &def;
    saving::register_operation(def.module, def.class_name,
                               [d](const Json& config) -> OperationPtr { return RawOp::from_config(*d, config); });
  }
}

}  // namespace keras::detail
