// Construction of the built-in keras.losses classes. Internal to src/training.
#pragma once

#include <string>

#include "keras/losses.hpp"

namespace keras::losses::detail {

// The built-in class `class_name` with these constructor arguments (missing
// ones take Keras' defaults; an empty name takes the class's default name).
LossPtr builtin_loss(const std::string& class_name, const std::string& name, const Reduction& reduction, Json kwargs);
// Loss.from_config: ValueError for arguments the class does not take.
LossPtr loss_from_config(const std::string& class_name, const Json& config);
bool is_loss_class(const std::string& class_name);

}  // namespace keras::losses::detail
