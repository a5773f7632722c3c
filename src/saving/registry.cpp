// The object registry: Keras' module + class_name + registered_name to C++
// factories (spec §3.12). Raw ops and layers share class names (Add,
// Concatenate, Softmax, ...), so they live in separate tables.
#include <map>
#include <mutex>
#include <set>

#include "keras/saving.hpp"
#include "layers/registrations.hpp"

namespace keras::saving {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerFactory> layers;          // by class_name
  std::map<std::string, OperationFactory> operations;  // by class_name
  std::map<std::string, LayerFactory> custom;          // by "package>Name"
};

Registry& registry() {
  static Registry r;
  return r;
}

// Active custom-object scopes of this thread, innermost last.
std::vector<const std::map<std::string, LayerFactory>*>& scope_stack() {
  thread_local std::vector<const std::map<std::string, LayerFactory>*> stack;
  return stack;
}

LayerFactory find_custom(const std::string& key) {
  auto& stack = scope_stack();
  if (!stack.empty()) {
    if (auto it = stack.back()->find(key); it != stack.back()->end()) return it->second;
  }
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.custom.find(key); it != r.custom.end()) return it->second;
  return nullptr;
}

bool is_keras_module(const Json& module) {
  if (!module.is_string()) return false;
  const auto& m = module.get_ref<const std::string&>();
  return m == "keras" || m.starts_with("keras.") || m.starts_with("keras_hub") || m.starts_with("keras_nlp") ||
         m.starts_with("keras_cv");
}

bool is_op_module(const Json& module) {
  return module.is_string() && module.get_ref<const std::string&>().starts_with("keras.src.ops");
}

OperationPtr instantiate(const Json& envelope) {
  if (!envelope.is_object()) throw FormatError("Expected an object envelope, got " + envelope.dump());
  if (!envelope.contains("class_name") || !envelope.at("class_name").is_string())
    throw FormatError("Object envelope without a class_name: " + envelope.dump().substr(0, 200));
  const std::string class_name = envelope.at("class_name").get<std::string>();
  const Json module = envelope.value("module", Json(nullptr));
  const Json config = envelope.value("config", Json::object());
  if (!config.is_object()) throw FormatError("The config of '" + class_name + "' must be an object");

  if (class_name == "Lambda" || class_name == "__lambda__")
    throw UnsafeContentError("Requested the deserialization of a `Lambda` layer ('" +
                             config.value("name", std::string()) +
                             "') whose `function` is a Python lambda. keras-cpp never executes Python code, so Lambda "
                             "layers cannot be loaded (this is Keras' safe mode, and it cannot be turned off here).");

  register_builtins();
  // a. a custom class under its registered name (or class name when absent).
  std::string custom_key;
  if (auto it = envelope.find("registered_name"); it != envelope.end()) {
    if (it->is_string()) custom_key = it->get<std::string>();
  } else {
    custom_key = class_name;
  }
  if (!custom_key.empty()) {
    if (auto factory = find_custom(custom_key)) return factory(config);
  }
  auto& r = registry();
  std::unique_lock lock(r.mutex);
  // b. built-in classes, resolved by class name; the module only tells raw ops from layers.
  if (is_keras_module(module) || !envelope.contains("module")) {
    if (is_op_module(module)) {
      if (auto it = r.operations.find(class_name); it != r.operations.end()) {
        auto factory = it->second;
        lock.unlock();
        return factory(config);
      }
      throw UnknownObjectError("Could not locate operation '" + module.get<std::string>() + "." + class_name +
                               "': keras-cpp does not implement this operation.");
    }
    if (auto it = r.layers.find(class_name); it != r.layers.end()) {
      auto factory = it->second;
      lock.unlock();
      return factory(config);
    }
    if (auto reason = refused_classes().find(class_name); reason != refused_classes().end())
      throw UnknownObjectError("Cannot load class '" + class_name + "' ('" + config.value("name", std::string()) +
                               "'): keras-cpp cannot run it, because " + reason->second + ".");
  }
  std::string shown = custom_key.empty() ? class_name : custom_key;
  throw UnknownObjectError("Could not locate class '" + shown +
                           "'. Make sure custom classes are registered with "
                           "keras::saving::register_keras_serializable() before loading.");
}

void apply_build_config(const OperationPtr& op, const Json& envelope) {
  if (!op->is_layer()) return;
  auto it = envelope.find("build_config");
  if (it == envelope.end() || !it->is_object()) return;
  auto& layer = static_cast<Layer&>(*op);
  if (!layer.built()) layer.build_from_config(*it);
}

}  // namespace

const std::map<std::string, std::string>& refused_classes() {
  static const std::map<std::string, std::string> reasons = {
      {"IntegerLookup", "its Keras implementation needs TensorFlow (tf.lookup tables)"},
      {"StringLookup", "its Keras implementation needs TensorFlow (tf.lookup tables, string tensors)"},
      {"TextVectorization", "its Keras implementation needs TensorFlow (string tensors, tf.strings ops)"},
      {"Hashing", "its Keras implementation needs TensorFlow (tf.strings.to_hash_bucket)"},
      {"HashedCrossing", "its Keras implementation needs TensorFlow (tf.sparse.cross_hashed)"},
      {"TFSMLayer", "it wraps a TensorFlow SavedModel, whose graph only TensorFlow can execute"},
      {"TorchModuleWrapper", "it wraps a PyTorch module: Python code and torch state"},
      {"JaxLayer", "it wraps a Python function written for JAX"},
      {"FlaxLayer", "it wraps a Flax module: Python code for JAX"},
  };
  return reasons;
}

void register_layer(const std::string& /*module*/, const std::string& class_name, LayerFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.layers[class_name] = std::move(factory);
}

void register_operation(const std::string& /*module*/, const std::string& class_name, OperationFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.operations[class_name] = std::move(factory);
}

void register_keras_serializable(const std::string& package, const std::string& name, LayerFactory factory) {
  if (package.empty() || name.empty()) throw ValueError("register_keras_serializable needs a package and a name");
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.custom[package + ">" + name] = std::move(factory);
}

std::string get_registered_name(const Operation& object) {
  if (auto name = object.registered_name()) return *name;
  return object.class_name();
}

LayerFactory get_registered_object(const std::string& name) { return find_custom(name); }

CustomObjectScope::CustomObjectScope(std::map<std::string, LayerFactory> objects) {
  scope_stack().push_back(new std::map<std::string, LayerFactory>(std::move(objects)));
}

CustomObjectScope::~CustomObjectScope() {
  delete scope_stack().back();
  scope_stack().pop_back();
}

OperationPtr deserialize_operation(const Json& envelope) {
  OperationPtr op;
  try {
    op = instantiate(envelope);
  } catch (const Json::exception& e) {
    // A config value of the wrong JSON type (a string where a number belongs, ...).
    std::string cls = envelope.is_object() && envelope.contains("class_name") ? envelope.at("class_name").dump() : "?";
    throw FormatError("Invalid config for class " + cls + ": " + e.what());
  }
  if (!op) throw FormatError("A factory returned nothing for " + envelope.value("class_name", std::string("?")));
  apply_build_config(op, envelope);
  return op;
}

LayerPtr deserialize_layer(const Json& envelope) {
  OperationPtr op = deserialize_operation(envelope);
  if (!op->is_layer())
    throw FormatError("Expected a layer, got the operation '" + envelope.value("class_name", std::string("?")) + "'");
  return std::static_pointer_cast<Layer>(op);
}

Json serialize_operation(const Operation& op) {
  Json envelope{{"module", op.module().empty() ? Json(nullptr) : Json(op.module())},
                {"class_name", op.class_name()},
                {"config", op.get_config()},
                {"registered_name", op.registered_name() ? Json(*op.registered_name()) : Json(nullptr)}};
  if (op.is_layer()) {
    const auto& layer = static_cast<const Layer&>(op);
    if (auto build = layer.build_config()) envelope["build_config"] = *build;
    if (const auto* model = dynamic_cast<const ModelImpl*>(&op))
      envelope["compile_config"] = model->get_compile_config();
  }
  return envelope;
}

void register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::register_core_layers();
    detail::register_activation_layers();
    detail::register_regularization_layers();
    detail::register_convolution_layers();
    detail::register_pooling_layers();
    detail::register_normalization_layers();
    detail::register_reshaping_layers();
    detail::register_merging_layers();
    detail::register_rnn_layers();
    detail::register_attention_layers();
    detail::register_preprocessing_layers();
    detail::register_image_augmentation_layers();
    detail::register_application_layers();
    detail::register_raw_operations();
    detail::register_models();
  });
}

}  // namespace keras::saving
