// The built-in activation functions (keras/src/activations/__init__.py's
// ALL_OBJECTS_DICT), with Keras' default arguments, and their lookup.
#include "layers/activations/activation_functions.hpp"

#include <mutex>
#include <unordered_map>

#include "layers/registrations.hpp"
#include "ops/activations.hpp"

namespace keras::detail {

namespace {

using saving::ActivationFunction;

// A function registered as a factory that ignores its config (a function's
// config is its own name).
saving::Factory<ActivationFunction> function(ActivationFunction fn) {
  return [fn = std::move(fn)](const Json& /*config*/) { return fn; };
}

// The built-ins by name, read once from the registry: layers apply
// activations on every call, so this skips the registry's lock and copies.
const ActivationFunction* builtin_function(const std::string& name) {
  static const std::unordered_map<std::string, ActivationFunction> functions = [] {
    register_layer_builtins();
    std::unordered_map<std::string, ActivationFunction> out;
    for (const auto& cls : saving::registered_classes()) {
      if (cls.kind != saving::ObjectKind::activation) continue;
      out[cls.class_name] = find_builtin(cls.kind, cls.class_name).as<ActivationFunction>()(Json(cls.class_name));
    }
    return out;
  }();
  auto it = functions.find(name);
  return it == functions.end() ? nullptr : &it->second;
}

bool is_custom_activation(const std::string& name) {
  auto custom = saving::find_custom_object(name);
  return !custom.empty() && custom.kind() == saving::ObjectKind::activation;
}

}  // namespace

void register_activation_functions() {
  namespace k = kernels;
  const Registrar<ActivationFunction> r(saving::ObjectKind::activation, "keras.activations");
  r.add("relu", function([](const Tensor& x) { return k::relu(x); }));
  r.add("leaky_relu", function([](const Tensor& x) { return k::leaky_relu(x); }));
  r.add("relu6", function(k::relu6));
  r.add("softmax", function([](const Tensor& x) { return k::softmax(x, -1); }));
  r.add("celu", function([](const Tensor& x) { return k::celu(x); }));
  r.add("elu", function([](const Tensor& x) { return k::elu(x); }));
  r.add("selu", function(k::selu));
  r.add("softplus", function(k::softplus));
  r.add("softsign", function(k::softsign));
  r.add("squareplus", function([](const Tensor& x) { return k::squareplus(x); }));
  r.add("soft_shrink", function([](const Tensor& x) { return k::soft_shrink(x); }));
  r.add("sparse_plus", function(k::sparse_plus));
  r.add("silu", function(k::silu));
  r.add("gelu", function([](const Tensor& x) { return k::gelu(x, false); }));
  r.add("glu", function([](const Tensor& x) { return k::glu(x, -1); }));
  r.add("tanh", function([](const Tensor& x) { return k::tanh(x); }));
  r.add("tanh_shrink", function(k::tanh_shrink));
  // Keras' threshold has no defaults for its arguments: naming it in a config
  // is valid, calling it is not.
  r.add("threshold", function([](const Tensor&) -> Tensor {
          throw ValueError(
              "activation 'threshold' needs explicit arguments (threshold, default_value); call "
              "kernels::threshold");
        }));
  r.add("sigmoid", function([](const Tensor& x) { return k::sigmoid(x); }));
  r.add("sparse_sigmoid", function(k::sparse_sigmoid));
  r.add("exponential", function(k::exponential));
  r.add("hard_sigmoid", function(k::hard_sigmoid));
  r.add("hard_silu", function(k::hard_silu));
  r.add("hard_tanh", function(k::hard_tanh));
  r.add("hard_shrink", function([](const Tensor& x) { return k::hard_shrink(x); }));
  r.add("linear", function(k::linear));
  r.add("mish", function(k::mish));
  r.add("log_softmax", function([](const Tensor& x) { return k::log_softmax(x, -1); }));
  r.add("log_sigmoid", function(k::log_sigmoid));
  r.add("sparsemax", function([](const Tensor& x) { return k::sparsemax(x, -1); }));
  // Aliases: Keras serializes the function's own name.
  r.alias("swish", "silu");
  r.alias("hard_swish", "hard_silu");
}

std::string canonical_activation(const std::string& name) {
  std::string resolved = name.empty() ? "linear" : name;
  register_layer_builtins();
  if (auto canonical = canonical_builtin_name(saving::ObjectKind::activation, resolved); !canonical.empty())
    return canonical;
  if (is_custom_activation(resolved)) return resolved;
  throw UnknownObjectError("Unknown activation function: '" + name + "'");
}

std::string activation_from_config(const Json& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return "linear";
  if (it->is_string()) return canonical_activation(it->get<std::string>());
  if (it->is_object()) {
    if (it->contains("value") || it->value("class_name", "") == "__lambda__")
      throw UnsafeContentError("Requested the deserialization of a Python lambda as activation '" + key +
                               "'. keras-cpp never executes Python code.");
    const std::string cls = it->value("class_name", "");
    if (cls == "function" && it->contains("config") && it->at("config").is_string()) {
      const std::string fn = it->at("config").get<std::string>();
      if (fn.find('>') != std::string::npos && !is_custom_activation(fn))
        throw UnknownObjectError("Could not locate function '" + fn +
                                 "'. Register a C++ implementation with keras::saving::register_keras_serializable().");
      // Keras <= 3.6 saved custom functions by their bare name.
      if (fn.find('>') == std::string::npos && canonical_builtin_name(saving::ObjectKind::activation, fn).empty() &&
          !is_custom_activation(fn)) {
        if (auto full = custom_name_for_bare_name(saving::ObjectKind::activation, fn); !full.empty()) return full;
      }
      return canonical_activation(fn);
    }
    throw UnknownObjectError("Could not interpret activation: " + it->dump());
  }
  throw FormatError("Invalid activation for '" + key + "': " + it->dump());
}

Json activation_to_config(const std::string& name) {
  if (builtin_function(name) != nullptr) return name;
  return Json{{"module", "builtins"}, {"class_name", "function"}, {"config", name}, {"registered_name", "function"}};
}

Tensor apply_activation(const std::string& name, const Tensor& x) {
  if (const ActivationFunction* fn = builtin_function(name)) return (*fn)(x);
  auto custom = saving::find_custom_object(name);
  if (custom.empty() || custom.kind() != saving::ObjectKind::activation)
    throw UnknownObjectError("Could not interpret activation function identifier: " + name);
  return custom.as<ActivationFunction>()(Json(name))(x);
}

}  // namespace keras::detail
