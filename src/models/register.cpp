#include <mutex>

#include "layers/registrations.hpp"
#include "models/functional.hpp"
#include "models/registrations.hpp"
#include "models/sequential.hpp"

namespace keras::detail {

void register_model_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_layer_builtins();
    Registrar<OperationPtr>(saving::ObjectKind::model, "keras.src.models.functional")
        .add("Functional", [](const Json& c) { return functional_from_config(c); });
    const Registrar<OperationPtr> keras_models(saving::ObjectKind::model, "keras");
    keras_models.add("Sequential", [](const Json& c) { return SequentialImpl::from_config(c); });
    // keras.Model with a functional config is a Functional (subclasses aside).
    keras_models.alias("Model", "Functional", "keras.src.models.functional");
  });
}

}  // namespace keras::detail
