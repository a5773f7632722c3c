// keras.activations: activation functions by the names Keras serializes,
// resolved through the registry (kind activation): the built-ins, registered
// in activation_functions.cpp, and custom functions registered as
// "package>name" (keras::saving::register_keras_serializable).
#pragma once

#include <string>

#include "keras/json.hpp"
#include "keras/registry.hpp"

namespace keras::detail {

// The name Keras serializes for an activation ("linear" for none, "silu" for
// "swish"). Throws UnknownObjectError for names nobody registered.
std::string canonical_activation(const std::string& name);
// config[key]: a string, null ("linear"), or a function envelope.
std::string activation_from_config(const Json& config, const std::string& key);
// What a layer config holds for the activation: its name, or for a custom
// function Keras' {"module": "builtins", "class_name": "function", ...} envelope.
Json activation_to_config(const std::string& name);
// Applies the activation named `name` (as canonical_activation returns it).
Tensor apply_activation(const std::string& name, const Tensor& x);

}  // namespace keras::detail
