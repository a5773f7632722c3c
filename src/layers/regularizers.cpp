// Regularizer and constraint configs, validated and written as Keras does.
// keras-cpp keeps them as envelopes (they matter for training only): each
// class's factory fills in Keras' defaults in get_config() order.
#include "keras/regularizers.hpp"

#include <utility>
#include <vector>

#include "layers/registrations.hpp"

namespace keras {

namespace {

using Defaults = std::vector<std::pair<std::string, Json>>;

Json envelope(const std::string& module, const std::string& cls, Json config) {
  return Json{{"module", module}, {"class_name", cls}, {"config", std::move(config)}, {"registered_name", nullptr}};
}

// A class's factory: the envelope with `defaults` (in Keras' get_config
// order) overridden by the given config.
saving::Factory<Json> with_defaults(std::string module, std::string cls, Defaults defaults) {
  return [module = std::move(module), cls = std::move(cls), defaults = std::move(defaults)](const Json& given) {
    Json config = Json::object();
    for (const auto& [key, value] : defaults) config[key] = given.contains(key) ? given.at(key) : value;
    for (const auto& [key, value] : given.items()) {
      if (!config.contains(key)) config[key] = value;
    }
    return envelope(module, cls, std::move(config));
  };
}

// keras.regularizers.get / keras.constraints.get: a name, or an envelope.
Json resolve(saving::ObjectKind kind, const Json& identifier) {
  if (identifier.is_null()) return nullptr;
  detail::register_layer_builtins();
  if (identifier.is_string()) {
    const std::string name = identifier.get<std::string>();
    saving::AnyFactory factory = detail::find_builtin(kind, name);
    if (factory.empty()) factory = saving::find_custom_object(name);
    if (factory.empty() || factory.kind() != kind)
      throw UnknownObjectError("Could not interpret " + saving::kind_name(kind) + " identifier: " + identifier.dump());
    return factory.as<Json>()(Json::object());
  }
  if (identifier.is_object() && identifier.contains("class_name")) return detail::instantiate<Json>({kind}, identifier);
  throw FormatError("Could not interpret " + saving::kind_name(kind) + " identifier: " + identifier.dump());
}

}  // namespace

namespace regularizers {
Json L1(double l1) { return envelope("keras.regularizers", "L1", Json{{"l1", l1}}); }
Json L2(double l2) { return envelope("keras.regularizers", "L2", Json{{"l2", l2}}); }
Json L1L2(double l1, double l2) { return envelope("keras.regularizers", "L1L2", Json{{"l1", l1}, {"l2", l2}}); }
Json OrthogonalRegularizer(double factor, const std::string& mode) {
  return envelope("keras.regularizers", "OrthogonalRegularizer", Json{{"factor", factor}, {"mode", mode}});
}
Json get(const Json& identifier) { return resolve(saving::ObjectKind::regularizer, identifier); }
}  // namespace regularizers

namespace constraints {
Json MaxNorm(double max_value, int axis) {
  return envelope("keras.constraints", "MaxNorm", Json{{"max_value", max_value}, {"axis", axis}});
}
Json NonNeg() { return envelope("keras.constraints", "NonNeg", Json::object()); }
Json UnitNorm(int axis) { return envelope("keras.constraints", "UnitNorm", Json{{"axis", axis}}); }
Json MinMaxNorm(double min_value, double max_value, double rate, int axis) {
  return envelope("keras.constraints", "MinMaxNorm",
                  Json{{"min_value", min_value}, {"max_value", max_value}, {"rate", rate}, {"axis", axis}});
}
Json get(const Json& identifier) { return resolve(saving::ObjectKind::constraint, identifier); }
}  // namespace constraints

namespace detail {

void register_regularizers_and_constraints() {
  const std::string regularizers = "keras.regularizers";
  const Registrar<Json> r(saving::ObjectKind::regularizer, regularizers);
  r.add("L1", with_defaults(regularizers, "L1", {{"l1", 0.01}}));
  r.add("L2", with_defaults(regularizers, "L2", {{"l2", 0.01}}));
  r.add("L1L2", with_defaults(regularizers, "L1L2", {{"l1", 0.0}, {"l2", 0.0}}));
  r.add("OrthogonalRegularizer",
        with_defaults(regularizers, "OrthogonalRegularizer", {{"factor", 0.01}, {"mode", "rows"}}));
  r.alias("l1", "L1");
  r.alias("l2", "L2");
  r.alias("l1_l2", "L1L2");
  r.alias("orthogonal_regularizer", "OrthogonalRegularizer");

  const std::string constraints = "keras.constraints";
  const Registrar<Json> c(saving::ObjectKind::constraint, constraints);
  c.add("MaxNorm", with_defaults(constraints, "MaxNorm", {{"max_value", 2.0}, {"axis", 0}}));
  c.add("NonNeg", with_defaults(constraints, "NonNeg", {}));
  c.add("UnitNorm", with_defaults(constraints, "UnitNorm", {{"axis", 0}}));
  c.add("MinMaxNorm",
        with_defaults(constraints, "MinMaxNorm", {{"min_value", 0.0}, {"max_value", 1.0}, {"rate", 1.0}, {"axis", 0}}));
  c.alias("max_norm", "MaxNorm");
  c.alias("non_neg", "NonNeg");
  c.alias("unit_norm", "UnitNorm");
  c.alias("min_max_norm", "MinMaxNorm");
}

}  // namespace detail

}  // namespace keras
