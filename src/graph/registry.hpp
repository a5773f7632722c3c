// The registry's working parts for the library's own code: one family's
// registrations (Registrar), resolving an envelope to a factory as Keras does
// (spec §3.12), custom-object scopes, and operation envelopes both ways.
//
// Each level registers its own built-in families from one function per
// family, called by that level's register_*_builtins() (graph: raw ops;
// layers: activations, initializers, regularizers, constraints, layers;
// models; training: optimizers, schedules). Every lookup entry point first
// calls the function of its own level, so what a level can resolve is known
// without static initializers (which a static library would drop). A
// registration function must only register: it may not look anything up.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/config_json.hpp"
#include "keras/registry.hpp"

namespace keras::detail {

// Registrations of one family: a fixed kind, module and handle type V. One
// add() per class, with the literal Keras class name:
//   Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
//   r.add("Conv2D", [](const Json& c) { return ConvImpl::from_config(2, c); });
//   r.alias("Convolution2D", "Conv2D");
template <typename V>
class Registrar {
 public:
  Registrar(saving::ObjectKind kind, std::string module) : kind_(kind), module_(std::move(module)) {}

  template <typename F>
  void add(const std::string& class_name, F&& factory) const {
    saving::register_class(kind_, module_, class_name,
                           saving::AnyFactory(kind_, saving::Factory<V>(std::forward<F>(factory))));
  }
  void alias(const std::string& alias, const std::string& class_name, const std::string& target_module = "") const {
    saving::register_alias(kind_, module_, alias, class_name, target_module);
  }
  void refuse(const std::string& class_name, saving::Refusal refusal, const std::string& reason) const {
    saving::refuse_class(kind_, module_, class_name, refusal, reason);
  }

 private:
  saving::ObjectKind kind_;
  std::string module_;
};

// An envelope resolved to the factory that makes it.
struct ResolvedEnvelope {
  saving::AnyFactory factory;
  saving::ObjectKind kind;
  std::string class_name;
  Json config;         // the envelope's config
  ErrorContext frame;  // "while loading <kind> '<name>'"
};

// Finds the factory for `envelope` among `kinds`, in Keras' order: refused
// unsafe classes, then custom objects (by registered_name, else class_name),
// then built-ins of a Keras module (exact module + class_name, the kind's
// own matching such as optimizers' case-insensitive names, then class_name
// alone: modules vary across versions, §8), then refused classes. Throws
// FormatError for a malformed envelope, UnknownObjectError (or the refusal's
// error) for a class nobody registered, each naming the object.
ResolvedEnvelope resolve_envelope(const std::vector<saving::ObjectKind>& kinds, const Json& envelope);

// Resolves and runs the factory; its errors (and nlohmann type errors, as
// FormatError) get the object's context.
template <typename V>
V instantiate(const std::vector<saving::ObjectKind>& kinds, const Json& envelope) {
  ResolvedEnvelope resolved = resolve_envelope(kinds, envelope);
  return with_context(resolved.frame, [&]() -> V {
    const ConfigClassScope reading(resolved.class_name);
    try {
      return resolved.factory.as<V>()(resolved.config);
    } catch (const Json::exception& e) {
      throw FormatError("Invalid config for class '" + resolved.class_name + "': " + e.what());
    }
  });
}

// A bare identifier ("glorot_uniform", "adam", "relu") among one kind's
// classes and aliases; empty when unknown.
saving::AnyFactory find_builtin(saving::ObjectKind kind, const std::string& name);
// The class a bare identifier names among a kind's classes (the target of an
// alias); empty when unknown.
std::string canonical_builtin_name(saving::ObjectKind kind, const std::string& name);
// The registered names of a kind's classes (not aliases), for error messages.
std::vector<std::string> builtin_names(saving::ObjectKind kind);
// A refusal of `name` among a kind's classes, if any: throws its error.
void throw_if_refused(saving::ObjectKind kind, const std::string& name);

// Keras' fallback for files of Keras <= 3.6, which saved custom functions by
// their bare name: the custom object of `kind` whose registered name ends in
// ">name" (the innermost scope first), or "" when none.
std::string custom_name_for_bare_name(saving::ObjectKind kind, const std::string& name);

// The custom-object scopes of this thread (CustomObjectScope's mechanism).
void push_custom_object_scope(std::map<std::string, saving::AnyFactory> objects);
void pop_custom_object_scope();

// Operations (layers, models, raw ops) from and to their envelopes. Reading
// applies build_config; writing adds build_config and compile_config.
OperationPtr operation_from_envelope(const Json& envelope);
Json envelope_of(const Operation& op);

// Registers the graph level's built-ins (raw operations). Idempotent.
void register_graph_builtins();

}  // namespace keras::detail
