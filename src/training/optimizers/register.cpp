#include "keras/optimizers.hpp"
#include "training/registrations.hpp"

namespace keras::detail {

void register_optimizers() {
  using namespace optimizers;  // NOLINT(google-build-using-namespace): the classes registered here
  const Registrar<std::shared_ptr<Optimizer>> r(saving::ObjectKind::optimizer, "keras.optimizers");
  r.add("SGD", SGD::from_config);
  r.add("Adam", Adam::from_config);
  r.add("AdamW", AdamW::from_config);
  r.add("RMSprop", RMSprop::from_config);
  r.add("Adagrad", Adagrad::from_config);
  r.add("Nadam", Nadam::from_config);
  r.add("Adamax", Adamax::from_config);
  r.add("Lion", Lion::from_config);
  r.add("Adadelta", Adadelta::from_config);
  r.add("Ftrl", Ftrl::from_config);
  r.add("LossScaleOptimizer", LossScaleOptimizer::from_config);
  // Keras optimizers keras-cpp does not implement (yet).
  r.refuse("Adafactor", saving::Refusal::not_implemented, "");
  r.refuse("Muon", saving::Refusal::not_implemented, "");
  r.refuse("Lamb", saving::Refusal::not_implemented, "");
  r.refuse("MultiOptimizer", saving::Refusal::not_implemented, "");
  r.refuse("OptimizerMap", saving::Refusal::not_implemented, "");
  r.refuse("ScheduleFreeAdamW", saving::Refusal::not_implemented, "");
  r.refuse("Optimizer", saving::Refusal::not_implemented, "the abstract base class has no update rule");
}

}  // namespace keras::detail
