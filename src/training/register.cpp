#include <mutex>

#include "models/registrations.hpp"
#include "training/registrations.hpp"

namespace keras::detail {

void register_training_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_model_builtins();
    register_optimizers();
    register_schedules();
    register_losses();
    register_metrics();
  });
}

}  // namespace keras::detail
