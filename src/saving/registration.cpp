// keras.saving's registration API: the typed front of the registry
// (graph/registry.hpp) for users, with every built-in registered first.
#include "keras/saving.hpp"
#include "layers/registrations.hpp"
#include "training/registrations.hpp"

namespace keras::saving {

namespace {

Factory<OperationPtr> as_operation_factory(LayerFactory factory) {
  if (!factory) throw ValueError("Cannot register an empty layer factory");
  return [factory = std::move(factory)](const Json& config) -> OperationPtr { return factory(config); };
}

std::string registered_key(const std::string& package, const std::string& name) {
  if (package.empty() || name.empty()) throw ValueError("register_keras_serializable needs a package and a name");
  return package + ">" + name;
}

}  // namespace

void register_builtins() { detail::register_training_builtins(); }

void register_layer(const std::string& module, const std::string& class_name, LayerFactory factory) {
  register_builtins();
  register_class(ObjectKind::layer, module, class_name,
                 AnyFactory(ObjectKind::layer, as_operation_factory(std::move(factory))));
}

void register_operation(const std::string& module, const std::string& class_name, OperationFactory factory) {
  register_builtins();
  register_class(ObjectKind::operation, module, class_name, AnyFactory(ObjectKind::operation, std::move(factory)));
}

void register_keras_serializable(const std::string& package, const std::string& name, LayerFactory factory) {
  register_custom_object(registered_key(package, name),
                         AnyFactory(ObjectKind::layer, as_operation_factory(std::move(factory))));
}

void register_keras_serializable(const std::string& package, const std::string& name, OptimizerFactory factory) {
  register_custom_object(registered_key(package, name), AnyFactory(ObjectKind::optimizer, std::move(factory)));
}

void register_keras_serializable(const std::string& package, const std::string& name, ScheduleFactory factory) {
  register_custom_object(registered_key(package, name),
                         AnyFactory(ObjectKind::learning_rate_schedule, std::move(factory)));
}

void register_keras_serializable(const std::string& package, const std::string& name, InitializerFactory factory) {
  register_custom_object(registered_key(package, name), AnyFactory(ObjectKind::initializer, std::move(factory)));
}

void register_keras_serializable(const std::string& package, const std::string& name, ActivationFunction function) {
  if (!function) throw ValueError("Cannot register an empty activation function");
  Factory<ActivationFunction> factory = [function = std::move(function)](const Json&) { return function; };
  register_custom_object(registered_key(package, name), AnyFactory(ObjectKind::activation, std::move(factory)));
}

void register_keras_serializable(const std::string& package, const std::string& name, AnyFactory factory) {
  register_custom_object(registered_key(package, name), std::move(factory));
}

std::string get_registered_name(const Operation& object) {
  if (auto name = object.registered_name()) return *name;
  return object.class_name();
}

std::string get_registered_name(const Optimizer& object) {
  if (auto name = object.registered_name()) return *name;
  return object.class_name();
}

LayerFactory get_registered_object(const std::string& name) {
  AnyFactory custom = find_custom_object(name);
  if (custom.empty() || custom.kind() != ObjectKind::layer) return nullptr;
  return [factory = custom.as<OperationPtr>(), name](const Json& config) -> LayerPtr {
    OperationPtr op = factory(config);
    if (!op || !op->is_layer()) throw FormatError("The custom object '" + name + "' did not make a layer");
    return std::static_pointer_cast<Layer>(op);
  };
}

CustomObjectScope::CustomObjectScope(const std::map<std::string, LayerFactory>& objects) {
  std::map<std::string, AnyFactory> any;
  for (const auto& [name, factory] : objects)
    any.emplace(name, AnyFactory(ObjectKind::layer, as_operation_factory(factory)));
  detail::push_custom_object_scope(std::move(any));
}

CustomObjectScope::CustomObjectScope(std::map<std::string, AnyFactory> objects) {
  detail::push_custom_object_scope(std::move(objects));
}

CustomObjectScope::~CustomObjectScope() { detail::pop_custom_object_scope(); }

OperationPtr deserialize_operation(const Json& envelope) {
  register_builtins();
  return detail::operation_from_envelope(envelope);
}

LayerPtr deserialize_layer(const Json& envelope) {
  register_builtins();
  return detail::layer_from_envelope(envelope);
}

Json serialize_operation(const Operation& op) { return detail::envelope_of(op); }

}  // namespace keras::saving
