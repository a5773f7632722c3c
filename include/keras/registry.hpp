// The object registry under keras.saving: every serializable kind of object,
// how classes are registered, and what is registered. One table for every
// kind, keyed as Keras resolves objects (keras/src/saving/serialization_lib.py,
// object_registration.py): `module` + `class_name` for built-in classes,
// `registered_name` ("package>Name") for custom ones.
//
// Built-in classes are registered one call per class, with the literal Keras
// name, beside their code (grep -rn '"Conv2D"' src). Users register custom
// classes through keras/saving.hpp (register_keras_serializable,
// CustomObjectScope); the functions here are the kind-generic form.
#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/json.hpp"
#include "keras/operation.hpp"

namespace keras::saving {

// The kinds of Keras objects a config can name. What a factory of each kind
// returns (its handle type V in Factory<V>):
//   layer, model, operation   OperationPtr (layers and models as operations)
//   optimizer                 std::shared_ptr<Optimizer>
//   learning_rate_schedule    optimizers::schedules::Schedule
//   initializer               initializers::Initializer
//   regularizer, constraint   Json: the validated envelope (keras-cpp keeps their configs)
//   activation                ActivationFunction (the factory gets the function's config)
//   loss, metric              chosen by the training code that adds them
enum class ObjectKind {
  layer,
  model,
  operation,
  optimizer,
  learning_rate_schedule,
  loss,
  metric,
  initializer,
  regularizer,
  constraint,
  activation,
};
inline constexpr ObjectKind kAllObjectKinds[] = {ObjectKind::layer,
                                                 ObjectKind::model,
                                                 ObjectKind::operation,
                                                 ObjectKind::optimizer,
                                                 ObjectKind::learning_rate_schedule,
                                                 ObjectKind::loss,
                                                 ObjectKind::metric,
                                                 ObjectKind::initializer,
                                                 ObjectKind::regularizer,
                                                 ObjectKind::constraint,
                                                 ObjectKind::activation};
// "layer", "learning rate schedule", ... (as error messages say it).
std::string kind_name(ObjectKind kind);

template <typename V>
using Factory = std::function<V(const Json& config)>;
using ActivationFunction = std::function<Tensor(const Tensor&)>;

// A factory of one kind with its handle type erased.
class AnyFactory {
 public:
  AnyFactory() = default;
  template <typename V>
  AnyFactory(ObjectKind kind, Factory<V> factory) : kind_(kind), type_(&typeid(V)), factory_(std::move(factory)) {}

  bool empty() const { return !factory_.has_value(); }
  ObjectKind kind() const { return kind_; }
  const std::type_info& type() const { return *type_; }
  // The factory as registered; ValueError when V is not its handle type.
  template <typename V>
  const Factory<V>& as() const {
    if (const auto* f = std::any_cast<Factory<V>>(&factory_)) return *f;
    throw ValueError("A registered " + kind_name(kind_) + " factory does not make the requested type");
  }

 private:
  ObjectKind kind_ = ObjectKind::layer;
  const std::type_info* type_ = &typeid(void);
  std::any factory_;
};

// Classes keras-cpp refuses on purpose, and the error a config naming one gets.
enum class Refusal {
  unknown,          // UnknownObjectError: Keras itself needs something keras-cpp lacks (TensorFlow)
  not_implemented,  // NotImplementedError: a valid Keras class keras-cpp does not implement
  unsafe,           // UnsafeContentError: it would run Python code
};

// Registers a built-in class under the module Keras writes for it
// ("keras.layers", "keras.src.ops.numpy", ...). Registering the same key
// again replaces the factory. Every factory of a kind must make the same V.
void register_class(ObjectKind kind, const std::string& module, const std::string& class_name, AnyFactory factory);
// Another name of a registered class (Convolution2D for Conv2D), in `module`;
// the class is looked up in `target_module` (empty: the same module).
void register_alias(ObjectKind kind, const std::string& module, const std::string& alias, const std::string& class_name,
                    const std::string& target_module = "");
// A Keras class keras-cpp refuses, with the reason given in the error.
void refuse_class(ObjectKind kind, const std::string& module, const std::string& class_name, Refusal refusal,
                  const std::string& reason);

// A custom object under its registered name ("package>Name", or any key of a
// CustomObjectScope). Custom names are one table across kinds, as in Keras.
void register_custom_object(const std::string& registered_name, AnyFactory factory);
// The custom object `name` resolves to now: the innermost live
// CustomObjectScope of this thread, then the global registrations. Empty when none.
AnyFactory find_custom_object(const std::string& name);

// What the registry holds, in registration order (after register_builtins()).
struct RegisteredClass {
  ObjectKind kind;
  std::string module;
  std::string class_name;
  std::string alias_of;  // the class this name is an alias of; empty for a class of its own
};
std::vector<RegisteredClass> registered_classes();
struct RefusedClass {
  ObjectKind kind;
  std::string module;
  std::string class_name;
  Refusal refusal;
  std::string reason;
};
std::vector<RefusedClass> refused_classes();

}  // namespace keras::saving
