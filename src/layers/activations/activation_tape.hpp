// Activations on the keras::ad tape, for layers' backward passes.
#pragma once

#include <optional>
#include <string>

#include "keras/autodiff.hpp"

namespace keras::detail {

// The activation named as Keras serializes it ("relu", "linear", ...):
// the forward value of apply_activation and its derivative.
ad::Var activation_tape(const std::string& name, const ad::Var& x);
// keras.activations.relu / leaky_relu / elu with their arguments.
ad::Var relu_tape(const ad::Var& x, float negative_slope, std::optional<float> max_value, float threshold);
ad::Var leaky_relu_tape(const ad::Var& x, float negative_slope);
ad::Var elu_tape(const ad::Var& x, float alpha);

}  // namespace keras::detail
