// keras-cpp diff A B: how two models differ, in their config (as JSON
// paths) and their variables (shape changes, largest absolute difference).
// Exit status as diff(1): 0 equal, 1 different, 2 trouble.
#include <cmath>
#include <iostream>
#include <map>

#include "cli.hpp"
#include "keras/utils.hpp"

namespace keras_cli {

namespace {

struct DiffOptions {
  std::string a;
  std::string b;
  double tolerance = 0.0;
  bool json = false;
  bool config_only = false;
  bool weights_only = false;
};

keras::Json strip_shared_object_ids(const keras::Json& value) {
  if (value.is_object()) {
    keras::Json out = keras::Json::object();
    for (const auto& [key, item] : value.items()) {
      if (key != "shared_object_id") out[key] = strip_shared_object_ids(item);
    }
    return out;
  }
  if (value.is_array()) {
    keras::Json out = keras::Json::array();
    for (const auto& item : value) out.push_back(strip_shared_object_ids(item));
    return out;
  }
  return value;
}

// RFC 6901 escaping of one path component.
std::string pointer_part(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

struct Difference {
  std::string kind;  // "config" or "weights"
  std::string path;
  std::string what;  // "changed", "only in A", "only in B", "shape", "values"
  keras::Json a;
  keras::Json b;
};

void diff_json(const keras::Json& a, const keras::Json& b, const std::string& path, std::vector<Difference>& out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      const std::string child = path + "/" + pointer_part(key);
      if (!b.contains(key))
        out.push_back({"config", child, "only in A", value, nullptr});
      else
        diff_json(value, b.at(key), child, out);
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) out.push_back({"config", path + "/" + pointer_part(key), "only in B", nullptr, value});
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) diff_json(a[i], b[i], path + "/" + std::to_string(i), out);
    for (std::size_t i = common; i < a.size(); ++i)
      out.push_back({"config", path + "/" + std::to_string(i), "only in A", a[i], nullptr});
    for (std::size_t i = common; i < b.size(); ++i)
      out.push_back({"config", path + "/" + std::to_string(i), "only in B", nullptr, b[i]});
    return;
  }
  // Numbers compare by value (1 and 1.0 are the same config value).
  if (a.is_number() && b.is_number() && a.get<double>() == b.get<double>()) return;
  if (a != b) out.push_back({"config", path.empty() ? "/" : path, "changed", a, b});
}

// The config as written in the file when there is one, else as keras-cpp serializes the model.
keras::Json model_config(const std::string& path, const keras::Model& model) {
  try {
    auto info = keras::utils::inspect_model_file(path);
    if (!info.config.is_null()) return strip_shared_object_ids(info.config);
  } catch (const keras::Error&) {
  }
  return strip_shared_object_ids(keras::parse_json(keras::to_json(model), path));
}

// Variables by path ("dense/kernel"), then the optimizer's ("optimizer/adam/m_0"...).
std::vector<std::pair<std::string, keras::VariablePtr>> variables_of(const keras::Model& model) {
  std::vector<std::pair<std::string, keras::VariablePtr>> out;
  std::map<std::string, int> seen;
  auto add = [&](std::string key, const keras::VariablePtr& v) {
    const int n = seen[key]++;
    if (n > 0) key += "#" + std::to_string(n);
    out.emplace_back(key, v);
  };
  for (const auto& v : model.impl().weights()) add(v->path().empty() ? v->name() : v->path(), v);
  if (auto optimizer = model.optimizer()) {
    for (const auto& v : optimizer->variables()) add("optimizer/" + (v->path().empty() ? v->name() : v->path()), v);
  }
  return out;
}

keras::Json shape_json(const keras::Shape& shape) {
  keras::Json out = keras::Json::array();
  for (auto d : shape) out.push_back(d);
  return out;
}

void diff_variables(const keras::Model& a, const keras::Model& b, double tolerance, std::vector<Difference>& out) {
  const auto va = variables_of(a);
  const auto vb = variables_of(b);
  std::map<std::string, keras::VariablePtr> in_b(vb.begin(), vb.end());
  std::map<std::string, keras::VariablePtr> in_a(va.begin(), va.end());
  for (const auto& [path, var] : va) {
    auto it = in_b.find(path);
    if (it == in_b.end()) {
      out.push_back({"weights", path, "only in A", shape_json(var->shape()), nullptr});
      continue;
    }
    const auto& other = it->second;
    if (var->shape() != other->shape()) {
      out.push_back({"weights", path, "shape", shape_json(var->shape()), shape_json(other->shape())});
      continue;
    }
    const keras::Tensor x = var->value().astype(keras::DType::float64);
    const keras::Tensor y = other->value().astype(keras::DType::float64);
    double largest = 0;
    bool nan_mismatch = false;
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const double p = x.at(i);
      const double q = y.at(i);
      if (std::isnan(p) || std::isnan(q)) {
        nan_mismatch = nan_mismatch || std::isnan(p) != std::isnan(q);
        continue;
      }
      if (p != q) largest = std::max(largest, std::abs(p - q));
    }
    if (nan_mismatch) largest = std::numeric_limits<double>::infinity();
    if (largest > tolerance) out.push_back({"weights", path, "values", largest, nullptr});
  }
  for (const auto& [path, var] : vb) {
    if (in_a.count(path) == 0) out.push_back({"weights", path, "only in B", nullptr, shape_json(var->shape())});
  }
}

std::string brief(const keras::Json& value) {
  std::string text = keras::dump_json_like_python(value);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string shape_of_json(const keras::Json& shape) {
  keras::Shape s;
  for (const auto& d : shape) s.push_back(d.get<std::int64_t>());
  return shape_text(s);
}

int run_diff(const DiffOptions& o, const Context& context) {
  if (o.config_only && o.weights_only) throw UsageError("--config-only and --weights-only exclude each other");
  keras::Model a = load_any_model(o.a, "", context);
  keras::Model b = load_any_model(o.b, "", context);
  std::vector<Difference> differences;
  if (!o.weights_only) diff_json(model_config(o.a, a), model_config(o.b, b), "", differences);
  if (!o.config_only) diff_variables(a, b, o.tolerance, differences);
  if (o.json) {
    keras::Json list = keras::Json::array();
    for (const auto& d : differences) {
      keras::Json item = {{"kind", d.kind}, {"path", d.path}, {"what", d.what}};
      if (d.what == "values") {
        item["max_abs_diff"] = d.a;
      } else {
        item["a"] = d.a;
        item["b"] = d.b;
      }
      list.push_back(item);
    }
    std::cout << keras::Json{{"a", o.a}, {"b", o.b}, {"equal", differences.empty()}, {"differences", list}}.dump(2)
              << "\n";
    return differences.empty() ? 0 : 1;
  }
  for (const auto& d : differences) {
    std::cout << d.kind << " " << d.path << ": ";
    if (d.what == "changed")
      std::cout << brief(d.a) << " -> " << brief(d.b);
    else if (d.what == "shape")
      std::cout << "shape " << shape_of_json(d.a) << " -> " << shape_of_json(d.b);
    else if (d.what == "values")
      std::cout << "largest absolute difference " << d.a.get<double>();
    else if (d.kind == "weights")
      std::cout << d.what << " " << shape_of_json(d.what == "only in A" ? d.a : d.b);
    else
      std::cout << d.what << " " << brief(d.what == "only in A" ? d.a : d.b);
    std::cout << "\n";
  }
  if (differences.empty())
    std::cout << "models are equal" << (o.tolerance > 0 ? " (within the tolerance)" : "") << "\n";
  return differences.empty() ? 0 : 1;
}

}  // namespace

void add_diff_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<DiffOptions>();
  CLI::App* diff = app.add_subcommand(
      "diff",
      "Compare two models: config differences as JSON paths, and per variable shape changes and the largest absolute "
      "difference. Exit status 0 when equal, 1 when different, 2 on trouble");
  diff->add_option("A", o->a, "The first model (any readable form)")->required();
  diff->add_option("B", o->b, "The second model")->required();
  diff->add_option("--tolerance", o->tolerance, "Variables whose values differ by at most this count as equal")
      ->check(non_negative_number());
  diff->add_flag("--json", o->json, "Print the differences as JSON");
  diff->add_flag("--config-only", o->config_only, "Compare only the configs");
  diff->add_flag("--weights-only", o->weights_only, "Compare only the variables");
  add_quiet_flag(*diff, context);
  diff->callback([o, &context] { context.run = [o, &context] { return run_diff(*o, context); }; });
}

}  // namespace keras_cli
