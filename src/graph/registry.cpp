// The object registry: one table of built-in classes for every kind, the
// custom objects, refusals, and Keras' resolution order (spec §3.12).
#include "graph/registry.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <tuple>

namespace keras {

namespace saving {

std::string kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::layer:
      return "layer";
    case ObjectKind::model:
      return "model";
    case ObjectKind::operation:
      return "operation";
    case ObjectKind::optimizer:
      return "optimizer";
    case ObjectKind::learning_rate_schedule:
      return "learning rate schedule";
    case ObjectKind::loss:
      return "loss";
    case ObjectKind::metric:
      return "metric";
    case ObjectKind::initializer:
      return "initializer";
    case ObjectKind::regularizer:
      return "regularizer";
    case ObjectKind::constraint:
      return "constraint";
    case ObjectKind::activation:
      return "activation";
  }
  return "object";
}

}  // namespace saving

namespace detail {

namespace {

using saving::AnyFactory;
using saving::ObjectKind;
using saving::Refusal;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct ClassEntry {
  saving::RegisteredClass info;
  AnyFactory factory;  // empty for an alias: the target's factory is used
  std::size_t target = 0;
};

using Key = std::tuple<ObjectKind, std::string, std::string>;  // kind, module, class_name

struct Registry {
  std::mutex mutex;
  std::vector<ClassEntry> classes;  // registration order
  std::map<Key, std::size_t> by_key;
  std::multimap<std::pair<ObjectKind, std::string>, std::size_t> by_name;        // class_name
  std::multimap<std::pair<ObjectKind, std::string>, std::size_t> by_lower_name;  // lower-cased class_name
  std::vector<saving::RefusedClass> refused;
  std::map<std::string, AnyFactory> custom;
  std::map<ObjectKind, const std::type_info*> handle_types;

  const AnyFactory& factory_of(std::size_t index) const {
    const ClassEntry& entry = classes[index];
    return entry.info.alias_of.empty() ? entry.factory : classes[entry.target].factory;
  }

  void check_handle_type(ObjectKind kind, const AnyFactory& factory) {
    if (factory.empty()) throw ValueError("Cannot register an empty " + saving::kind_name(kind) + " factory");
    if (factory.kind() != kind)
      throw ValueError("A " + saving::kind_name(factory.kind()) + " factory cannot be registered as a " +
                       saving::kind_name(kind));
    auto [it, fresh] = handle_types.emplace(kind, &factory.type());
    if (!fresh && *it->second != factory.type())
      throw ValueError("Every " + saving::kind_name(kind) + " factory must make the same type");
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

// Active custom-object scopes of this thread, innermost last.
std::vector<std::shared_ptr<const std::map<std::string, AnyFactory>>>& scope_stack() {
  thread_local std::vector<std::shared_ptr<const std::map<std::string, AnyFactory>>> stack;
  return stack;
}

bool contains(const std::vector<ObjectKind>& kinds, ObjectKind kind) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

std::string kinds_phrase(const std::vector<ObjectKind>& kinds) {
  std::string out;
  for (std::size_t i = 0; i < kinds.size(); ++i)
    out += (i == 0 ? "" : i + 1 == kinds.size() ? " or " : ", ") + saving::kind_name(kinds[i]);
  return out;
}

bool is_keras_module(const std::string& m) {
  return m == "keras" || m.starts_with("keras.") || m.starts_with("keras_hub") || m.starts_with("keras_nlp") ||
         m.starts_with("keras_cv");
}

bool is_op_module(const std::string& m) { return m.starts_with("keras.src.ops"); }

[[noreturn]] void throw_refusal(const saving::RefusedClass& r) {
  switch (r.refusal) {
    case Refusal::unsafe:
      throw UnsafeContentError(r.reason);
    case Refusal::not_implemented:
      throw NotImplementedError("The Keras " + saving::kind_name(r.kind) + " " + r.class_name +
                                " is not implemented by keras-cpp" + (r.reason.empty() ? "" : ": " + r.reason));
    case Refusal::unknown:
      break;
  }
  throw UnknownObjectError("Could not locate class '" + r.class_name + "': " + r.reason);
}

const saving::RefusedClass* find_refusal(const Registry& r, const std::vector<ObjectKind>& kinds,
                                         const std::string& class_name, bool unsafe_only) {
  for (const auto& refusal : r.refused) {
    if (unsafe_only && refusal.refusal != Refusal::unsafe) continue;
    if (!contains(kinds, refusal.kind)) continue;
    const bool any_case = refusal.kind == ObjectKind::optimizer;
    if (refusal.class_name == class_name || (any_case && lower(refusal.class_name) == lower(class_name)))
      return &refusal;
  }
  return nullptr;
}

// Built-in lookup for a Keras module (r.mutex held). Kinds keep their
// Keras-side rules: optimizers match case-insensitively (keras.optimizers.
// deserialize lower-cases class names), and raw ops are told apart from the
// layers of the same name (Add, Concatenate, Reshape, ...) by their module.
const AnyFactory* find_builtin_locked(const Registry& r, const std::vector<ObjectKind>& kinds,
                                      const std::string& module, const std::string& class_name,
                                      ObjectKind& found_kind) {
  auto pick = [&](std::size_t index) {
    found_kind = r.classes[index].info.kind;
    return &r.factory_of(index);
  };
  for (ObjectKind kind : kinds) {
    if (auto it = r.by_key.find({kind, module, class_name}); it != r.by_key.end()) return pick(it->second);
  }
  for (ObjectKind kind : kinds) {
    if (kind != ObjectKind::optimizer) continue;
    if (auto it = r.by_lower_name.find({kind, lower(class_name)}); it != r.by_lower_name.end()) return pick(it->second);
  }
  const bool op_module = is_op_module(module);
  for (ObjectKind kind : kinds) {
    if ((kind == ObjectKind::operation) != op_module) continue;
    if (auto it = r.by_name.find({kind, class_name}); it != r.by_name.end()) return pick(it->second);
  }
  return nullptr;
}

}  // namespace

ResolvedEnvelope resolve_envelope(const std::vector<ObjectKind>& kinds, const Json& envelope) {
  if (!envelope.is_object()) throw FormatError("Expected an object envelope, got " + envelope.dump().substr(0, 200));
  auto cls = envelope.find("class_name");
  if (cls == envelope.end() || !cls->is_string())
    throw FormatError("Object envelope without a class_name: " + envelope.dump().substr(0, 200));
  ResolvedEnvelope out{{}, kinds.front(), cls->get<std::string>(), envelope.value("config", Json::object()), {}};
  const std::string& class_name = out.class_name;
  std::string name = class_name;
  if (out.config.is_object()) {
    if (auto it = out.config.find("name"); it != out.config.end() && it->is_string()) name = it->get<std::string>();
  }
  out.frame = ErrorContext::object(saving::kind_name(kinds.front()), name);
  return with_context(out.frame, [&]() -> ResolvedEnvelope {
    if (!out.config.is_object()) throw FormatError("The config of '" + class_name + "' must be an object");
    if (class_name == "__lambda__")
      throw UnsafeContentError(
          "Requested the deserialization of a Python lambda. keras-cpp never executes Python code (this is Keras' "
          "safe mode, and it cannot be turned off here).");
    Registry& r = registry();
    {
      std::lock_guard lock(r.mutex);
      if (const auto* refusal = find_refusal(r, kinds, class_name, true)) throw_refusal(*refusal);
    }
    // a. a custom object under its registered name (its class name when the
    // key is absent; Keras' module_objects kinds also try the class name).
    std::vector<std::string> custom_keys;
    if (auto it = envelope.find("registered_name"); it != envelope.end()) {
      if (it->is_string() && !it->get_ref<const std::string&>().empty()) custom_keys.push_back(it->get<std::string>());
    } else {
      custom_keys.push_back(class_name);
    }
    const bool module_objects_kind = !contains(kinds, ObjectKind::layer) && !contains(kinds, ObjectKind::operation);
    if (module_objects_kind && std::find(custom_keys.begin(), custom_keys.end(), class_name) == custom_keys.end())
      custom_keys.push_back(class_name);
    for (const auto& key : custom_keys) {
      AnyFactory custom = saving::find_custom_object(key);
      if (custom.empty()) continue;
      if (!contains(kinds, custom.kind()))
        throw ValueError("'" + key + "' is registered as a " + saving::kind_name(custom.kind()) + ", not as a " +
                         kinds_phrase(kinds));
      out.factory = std::move(custom);
      out.kind = out.factory.kind();
      out.frame.what = saving::kind_name(out.kind);
      return out;
    }
    // b. a built-in class of a Keras module (or of a legacy config without one).
    // Layers and operations need a Keras module (or none, in legacy configs);
    // the other kinds, which Keras resolves through their module's
    // ALL_OBJECTS (module_objects), only refuse an explicit null module.
    const Json module = envelope.value("module", Json(nullptr));
    const bool keras_module = module.is_string() && is_keras_module(module.get_ref<const std::string&>());
    const bool builtin_allowed = module_objects_kind ? !(envelope.contains("module") && module.is_null())
                                                     : keras_module || !envelope.contains("module");
    if (builtin_allowed) {
      const std::string module_name = module.is_string() ? module.get<std::string>() : std::string();
      std::lock_guard lock(r.mutex);
      ObjectKind found_kind = kinds.front();
      if (const AnyFactory* factory = find_builtin_locked(r, kinds, module_name, class_name, found_kind)) {
        out.factory = *factory;
        out.kind = found_kind;
        out.frame.what = saving::kind_name(found_kind);
        return out;
      }
      if (const auto* refusal = find_refusal(r, kinds, class_name, false)) throw_refusal(*refusal);
      if (is_op_module(module_name))
        throw UnknownObjectError("Could not locate operation '" + module_name + "." + class_name +
                                 "': keras-cpp does not implement this operation.");
    }
    const std::string shown = custom_keys.empty() ? class_name : custom_keys.front();
    throw UnknownObjectError("Could not locate class '" + shown +
                             "'. Make sure custom classes are registered with "
                             "keras::saving::register_keras_serializable() before loading.");
  });
}

AnyFactory find_builtin(ObjectKind kind, const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.by_name.find({kind, name}); it != r.by_name.end()) return r.factory_of(it->second);
  if (kind == ObjectKind::optimizer) {
    if (auto it = r.by_lower_name.find({kind, lower(name)}); it != r.by_lower_name.end())
      return r.factory_of(it->second);
  }
  return {};
}

std::string canonical_builtin_name(ObjectKind kind, const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.by_name.find({kind, name});
  if (it == r.by_name.end()) return "";
  const auto& info = r.classes[it->second].info;
  return info.alias_of.empty() ? info.class_name : info.alias_of;
}

std::vector<std::string> builtin_names(ObjectKind kind) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& entry : r.classes) {
    if (entry.info.kind == kind && entry.info.alias_of.empty()) names.push_back(entry.info.class_name);
  }
  return names;
}

void throw_if_refused(ObjectKind kind, const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& refusal : r.refused) {
    if (refusal.kind != kind) continue;
    if (refusal.class_name == name || (kind == ObjectKind::optimizer && lower(refusal.class_name) == lower(name)))
      throw_refusal(refusal);
  }
}

std::string custom_name_for_bare_name(ObjectKind kind, const std::string& name) {
  const std::string suffix = ">" + name;
  auto search = [&](const std::map<std::string, AnyFactory>& objects) -> std::string {
    for (const auto& [key, factory] : objects)
      if (factory.kind() == kind && key.ends_with(suffix)) return key;
    return "";
  };
  if (!scope_stack().empty()) {
    if (auto key = search(*scope_stack().back()); !key.empty()) return key;
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return search(r.custom);
}

void push_custom_object_scope(std::map<std::string, AnyFactory> objects) {
  scope_stack().push_back(std::make_shared<const std::map<std::string, AnyFactory>>(std::move(objects)));
}

void pop_custom_object_scope() {
  if (!scope_stack().empty()) scope_stack().pop_back();
}

OperationPtr operation_from_envelope(const Json& envelope) {
  ResolvedEnvelope resolved = resolve_envelope({ObjectKind::layer, ObjectKind::model, ObjectKind::operation}, envelope);
  return with_context(resolved.frame, [&]() -> OperationPtr {
    OperationPtr op;
    try {
      const ConfigClassScope reading(resolved.class_name);
      op = resolved.factory.as<OperationPtr>()(resolved.config);
    } catch (const Json::exception& e) {
      // A config value of the wrong JSON type (a string where a number belongs, ...).
      throw FormatError("Invalid config for class '" + resolved.class_name + "': " + e.what());
    }
    if (!op) throw FormatError("A factory returned nothing for " + resolved.class_name);
    if (auto it = envelope.find("build_config"); it != envelope.end() && it->is_object()) op->build_from_config(*it);
    return op;
  });
}

Json envelope_of(const Operation& op) {
  Json envelope{{"module", op.module().empty() ? Json(nullptr) : Json(op.module())},
                {"class_name", op.class_name()},
                {"config", op.get_config()},
                {"registered_name", op.registered_name() ? Json(*op.registered_name()) : Json(nullptr)}};
  if (auto build = op.build_config()) envelope["build_config"] = *build;
  if (auto compile = op.envelope_compile_config()) envelope["compile_config"] = *compile;
  return envelope;
}

}  // namespace detail

namespace saving {

void register_class(ObjectKind kind, const std::string& module, const std::string& class_name, AnyFactory factory) {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  r.check_handle_type(kind, factory);
  const detail::Key key{kind, module, class_name};
  if (auto it = r.by_key.find(key); it != r.by_key.end()) {
    r.classes[it->second].factory = std::move(factory);
    r.classes[it->second].info.alias_of.clear();
    return;
  }
  const std::size_t index = r.classes.size();
  r.classes.push_back({{kind, module, class_name, ""}, std::move(factory), 0});
  r.by_key[key] = index;
  r.by_name.emplace(std::make_pair(kind, class_name), index);
  r.by_lower_name.emplace(std::make_pair(kind, detail::lower(class_name)), index);
}

void register_alias(ObjectKind kind, const std::string& module, const std::string& alias, const std::string& class_name,
                    const std::string& target_module) {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  auto target = r.by_key.find({kind, target_module.empty() ? module : target_module, class_name});
  if (target == r.by_key.end())
    throw ValueError("Cannot alias '" + alias + "' to the unregistered " + kind_name(kind) + " '" + module + "." +
                     class_name + "'");
  const detail::Key key{kind, module, alias};
  if (r.by_key.count(key) != 0) return;
  const std::size_t index = r.classes.size();
  r.classes.push_back({{kind, module, alias, class_name}, {}, target->second});
  r.by_key[key] = index;
  r.by_name.emplace(std::make_pair(kind, alias), index);
  r.by_lower_name.emplace(std::make_pair(kind, detail::lower(alias)), index);
}

void refuse_class(ObjectKind kind, const std::string& module, const std::string& class_name, Refusal refusal,
                  const std::string& reason) {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  for (auto& existing : r.refused) {
    if (existing.kind == kind && existing.class_name == class_name) {
      existing = {kind, module, class_name, refusal, reason};
      return;
    }
  }
  r.refused.push_back({kind, module, class_name, refusal, reason});
}

void register_custom_object(const std::string& registered_name, AnyFactory factory) {
  if (registered_name.empty()) throw ValueError("A custom object needs a registered name");
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  if (factory.empty()) throw ValueError("Cannot register an empty factory as '" + registered_name + "'");
  r.custom[registered_name] = std::move(factory);
}

AnyFactory find_custom_object(const std::string& name) {
  auto& stack = detail::scope_stack();
  if (!stack.empty()) {
    if (auto it = stack.back()->find(name); it != stack.back()->end()) return it->second;
  }
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.custom.find(name); it != r.custom.end()) return it->second;
  return {};
}

std::vector<RegisteredClass> registered_classes() {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  std::vector<RegisteredClass> out;
  out.reserve(r.classes.size());
  for (const auto& entry : r.classes) out.push_back(entry.info);
  return out;
}

std::vector<RefusedClass> refused_classes() {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  return r.refused;
}

}  // namespace saving

}  // namespace keras
