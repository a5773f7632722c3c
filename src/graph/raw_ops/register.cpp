// The graph level's built-ins: every raw operation, each under the Keras
// class name and module its RawOpDef in raw_op.cpp is written with (that
// table line is the class's registration; raw ops and layers of the same
// name, e.g. Add or Concatenate, are told apart by kind and module).
#include <mutex>

#include "graph/raw_ops/raw_op.hpp"
#include "graph/registry.hpp"

namespace keras::detail {

void register_graph_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& def : raw_op_defs()) {
      const RawOpDef* d = &def;
      Registrar<OperationPtr>(saving::ObjectKind::operation, def.module)
          .add(def.class_name, [d](const Json& config) -> OperationPtr { return RawOp::from_config(*d, config); });
    }
  });
}

}  // namespace keras::detail
