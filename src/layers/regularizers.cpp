// Regularizer and constraint configs, validated and written as Keras does.
#include "keras/regularizers.hpp"

#include <algorithm>
#include <map>

namespace keras {

namespace {
Json envelope(const std::string& module, const std::string& cls, Json config) {
  return Json{{"module", module}, {"class_name", cls}, {"config", std::move(config)}, {"registered_name", nullptr}};
}

Json resolve(const Json& identifier, const std::string& module, const std::map<std::string, Json>& by_name,
             const std::vector<std::string>& classes, const std::string& what) {
  if (identifier.is_null()) return nullptr;
  if (identifier.is_string()) {
    auto it = by_name.find(identifier.get<std::string>());
    if (it == by_name.end())
      throw UnknownObjectError("Could not interpret " + what + " identifier: " + identifier.dump());
    return it->second;
  }
  if (identifier.is_object() && identifier.contains("class_name")) {
    const std::string cls = identifier.at("class_name").get<std::string>();
    if (std::find(classes.begin(), classes.end(), cls) == classes.end())
      throw UnknownObjectError("Could not interpret " + what + " identifier: " + cls);
    return envelope(module, cls, identifier.value("config", Json::object()));
  }
  throw FormatError("Could not interpret " + what + " identifier: " + identifier.dump());
}
}  // namespace

namespace regularizers {
Json L1(double l1) { return envelope("keras.regularizers", "L1", Json{{"l1", l1}}); }
Json L2(double l2) { return envelope("keras.regularizers", "L2", Json{{"l2", l2}}); }
Json L1L2(double l1, double l2) { return envelope("keras.regularizers", "L1L2", Json{{"l1", l1}, {"l2", l2}}); }
Json OrthogonalRegularizer(double factor, const std::string& mode) {
  return envelope("keras.regularizers", "OrthogonalRegularizer", Json{{"factor", factor}, {"mode", mode}});
}
Json get(const Json& identifier) {
  static const std::map<std::string, Json> names = {
      {"l1", L1()}, {"l2", L2()}, {"l1_l2", L1L2(0.01, 0.01)}, {"orthogonal_regularizer", OrthogonalRegularizer()}};
  return resolve(identifier, "keras.regularizers", names, {"L1", "L2", "L1L2", "OrthogonalRegularizer"}, "regularizer");
}
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
Json get(const Json& identifier) {
  static const std::map<std::string, Json> names = {
      {"max_norm", MaxNorm()}, {"non_neg", NonNeg()}, {"unit_norm", UnitNorm()}, {"min_max_norm", MinMaxNorm()}};
  return resolve(identifier, "keras.constraints", names, {"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"}, "constraint");
}
}  // namespace constraints

}  // namespace keras
