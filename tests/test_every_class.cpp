// One tester for every registered class (see classes/class_table.hpp): walks
// the registry and requires, per class, a config round trip against a config
// Keras wrote and a forward check against a reference with a stated
// tolerance; fails listing the classes that lack either.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "classes/class_table.hpp"
#include "classes/references.hpp"
#include "layers/activations/activation_functions.hpp"
#include "models/functional.hpp"
#include "saving/compare.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

using keras::Json;
using keras::saving::ObjectKind;
using keras_test::classes::ClassRow;
using Key = std::pair<ObjectKind, std::string>;

std::string show(const Key& key) { return keras::saving::kind_name(key.first) + " " + key.second; }

std::string joined(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// The classes the registry has (aliases are covered by their class).
std::vector<Key> registered_keys() {
  keras::saving::register_builtins();
  std::vector<Key> keys;
  for (const auto& c : keras::saving::registered_classes())
    if (c.alias_of.empty()) keys.emplace_back(c.kind, c.class_name);
  return keys;
}

// The registered class an envelope names exactly (module + class_name), if any.
std::optional<Key> registered_class_of(const Json& envelope) {
  static const std::map<std::pair<std::string, std::string>, Key> index = [] {
    keras::saving::register_builtins();
    std::map<std::pair<std::string, std::string>, Key> out;
    for (const auto& c : keras::saving::registered_classes()) {
      const std::string target = c.alias_of.empty() ? c.class_name : c.alias_of;
      out.emplace(std::make_pair(c.module, c.class_name), Key{c.kind, target});
    }
    return out;
  }();
  if (!envelope.is_object() || !envelope.contains("class_name") || !envelope.contains("config")) return std::nullopt;
  const Json& module = envelope.value("module", Json(nullptr));
  if (!module.is_string() || !envelope.at("class_name").is_string()) return std::nullopt;
  auto it = index.find({module.get<std::string>(), envelope.at("class_name").get<std::string>()});
  if (it == index.end()) return std::nullopt;
  return it->second;
}

// Every envelope inside a config, and every activation string of a layer config.
void collect(const Json& node, std::vector<Json>& envelopes, std::set<std::string>& activations) {
  if (node.is_object()) {
    if (node.contains("class_name") && node.contains("config")) {
      envelopes.push_back(node);
      const Json& config = node.at("config");
      if (config.is_object()) {
        for (const char* key : {"activation", "recurrent_activation"}) {
          if (auto it = config.find(key); it != config.end() && it->is_string())
            activations.insert(it->get<std::string>());
        }
      }
    }
    for (const auto& [key, item] : node.items()) collect(item, envelopes, activations);
  } else if (node.is_array()) {
    for (const auto& item : node) collect(item, envelopes, activations);
  }
}

Json without_keys(Json envelope, std::initializer_list<const char*> keys) {
  for (const char* key : keys) envelope.erase(key);
  return envelope;
}

// Deserializes and serializes again through the API of the envelope's kind;
// empty when the result equals the envelope (ignoring what a standalone
// object cannot reproduce: a graph entry's name and inbound_nodes, shared
// object ids, a model's compile_config).
std::string round_trip_difference(ObjectKind kind, const Json& envelope) {
  Json expected = keras::saving::strip_shared_object_ids(envelope);
  Json actual;
  switch (kind) {
    case ObjectKind::layer:
    case ObjectKind::model:
    case ObjectKind::operation:
      expected = without_keys(expected, {"name", "inbound_nodes", "compile_config"});
      actual = without_keys(keras::saving::strip_shared_object_ids(
                                keras::saving::serialize_operation(*keras::saving::deserialize_operation(expected))),
                            {"compile_config"});
      break;
    case ObjectKind::optimizer:
      actual = keras::optimizers::deserialize(expected)->serialize();
      break;
    case ObjectKind::learning_rate_schedule:
      actual = keras::optimizers::schedules::deserialize(expected)->serialize();
      break;
    case ObjectKind::initializer:
      actual = keras::initializers::get(expected).serialize();
      break;
    case ObjectKind::regularizer:
      actual = keras::regularizers::get(expected);
      break;
    case ObjectKind::constraint:
      actual = keras::constraints::get(expected);
      break;
    case ObjectKind::activation:
      actual = keras::detail::activation_to_config(keras::detail::activation_from_config(Json{{"a", expected}}, "a"));
      break;
    case ObjectKind::loss:
      actual = keras::losses::deserialize(expected)->serialize();
      break;
    case ObjectKind::metric:
      actual = keras::metrics::deserialize(expected)->serialize();
      break;
  }
  const std::string a = keras::dump_json_like_python(actual);
  const std::string e = keras::dump_json_like_python(expected);
  return a == e ? "" : "wrote\n    " + a + "\n  Keras wrote\n    " + e;
}

// What one fixture case establishes: classes whose Keras-written configs
// round trip, and classes whose forward pass matches Keras' outputs.
struct CaseCredit {
  std::string name;
  std::set<Key> config;
  std::set<Key> forward;
  std::vector<std::string> failures;
  std::map<Key, Json> examples;  // an envelope of each class that round trips
  std::map<Key, Json> called;    // an envelope of each layer class called in a graph (inbound_nodes)
};

std::vector<Json> configs_of(const fs::path& artifact) {
  std::vector<Json> out;
  auto add_text = [&](const std::string& text, const std::string& origin) {
    out.push_back(keras::parse_json(text, origin));
  };
  if (fs::is_directory(artifact)) {
    if (fs::is_regular_file(artifact / "config.json"))
      add_text(keras_test::read_text_file(artifact / "config.json"), artifact.string());
  } else if (artifact.extension() == ".keras") {
    auto zip = keras::saving::ZipReader::open(artifact);
    if (zip.has("config.json")) {
      auto bytes = zip.read("config.json");
      add_text(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), artifact.string());
    }
  } else if (artifact.extension() == ".json") {
    add_text(keras_test::read_text_file(artifact), artifact.string());
  }
  return out;
}

void credit_configs(const std::vector<Json>& configs, CaseCredit& credit) {
  std::vector<Json> envelopes;
  std::set<std::string> activations;
  for (const auto& config : configs) collect(config, envelopes, activations);
  std::set<std::string> seen;
  for (const auto& envelope : envelopes) {
    auto key = registered_class_of(envelope);
    if (!key || !seen.insert(keras::dump_json_like_python(envelope)).second) continue;
    try {
      const std::string difference = round_trip_difference(key->first, envelope);
      if (difference.empty()) {
        credit.config.insert(*key);
        credit.examples.emplace(*key, envelope);
        if (auto nodes = envelope.find("inbound_nodes");
            nodes != envelope.end() && nodes->is_array() && !nodes->empty())
          credit.called.emplace(*key, envelope);
      } else {
        credit.failures.push_back(show(*key) + " does not round trip: " + difference);
      }
    } catch (const keras::UnknownObjectError&) {
      // It holds a class keras-cpp does not know or refuses (a custom layer, Lambda).
    } catch (const keras::UnsafeContentError&) {
    } catch (const keras::NotImplementedError&) {
      // It holds a class keras-cpp refuses as not implemented (a refused optimizer in a compile_config).
    } catch (const std::exception& e) {
      credit.failures.push_back(show(*key) + " fails to load: " + e.what());
    }
  }
  for (const auto& name : activations) {
    const Key key{ObjectKind::activation, name};
    try {
      const std::string difference = round_trip_difference(ObjectKind::activation, Json(name));
      if (difference.empty())
        credit.config.insert(key);
      else
        credit.failures.push_back(show(key) + " does not round trip: " + difference);
    } catch (const std::exception& e) {
      credit.failures.push_back(show(key) + ": " + e.what());
    }
  }
}

using keras_test::classes::excess;

void credit_predictions(const std::string& name, const Json& c, CaseCredit& credit) {
  const fs::path artifact = keras_test::fixture_dir(name) / c.at("artifact").get<std::string>();
  if (c.contains("optimizer")) {
    const auto problems = keras_test::optimizer_step_mismatches(name);
    const Key key{ObjectKind::optimizer, c.at("optimizer").get<std::string>()};
    if (problems.empty())
      credit.forward.insert(key);
    else
      credit.failures.push_back(show(key) + " steps differ from Keras': " + joined(problems, "; "));
  }
  if (!c.contains("outputs") || c.at("outputs").empty()) return;
  const std::string file = artifact.filename().string();
  if (file.ends_with(".weights.h5") || file.ends_with(".weights.json")) return;  // weights without a model
  const double atol = c.at("atol").get<double>();
  const double rtol = c.at("rtol").get<double>();
  keras::Model model;
  try {
    model = keras::load_model(artifact, {.compile = false});
    auto outputs = model.predict(keras_test::fixture_inputs(name));
    auto expected = keras_test::fixture_outputs(name);
    if (outputs.size() != expected.size()) {
      credit.failures.push_back(name + ": " + std::to_string(outputs.size()) + " outputs, Keras has " +
                                std::to_string(expected.size()));
      return;
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (double over = excess(outputs[i], expected[i], atol, rtol); over > 0) {
        credit.failures.push_back(name + ": output " + std::to_string(i) + " exceeds its tolerance by " +
                                  std::to_string(over));
        return;
      }
    }
  } catch (const keras::UnknownObjectError&) {
    return;  // a custom class the tester does not register (custom_layer)
  } catch (const keras::UnsafeContentError&) {
    return;  // lambda_layer
  } catch (const keras::NotImplementedError&) {
    return;  // a class keras-cpp does not implement
  } catch (const std::exception& e) {
    credit.failures.push_back(name + ": " + e.what());
    return;
  }
  // The model ran as Keras did: every class it contains is credited, those
  // of its configs and the sublayers they hold (an RNN's cell, ...).
  const auto keys = registered_keys();
  const std::set<Key> registered(keys.begin(), keys.end());
  std::function<void(const keras::Layer&)> walk = [&](const keras::Layer& layer) {
    for (ObjectKind kind : {ObjectKind::layer, ObjectKind::model}) {
      if (registered.count({kind, layer.class_name()}) != 0) credit.forward.insert({kind, layer.class_name()});
    }
    for (const auto& sub : layer.layer_list()) walk(*sub);
    for (const auto& child : layer.tracked_sublayers()) walk(*child.layer);
  };
  std::vector<Json> envelopes;
  std::set<std::string> activations;
  for (const auto& config : configs_of(artifact)) collect(config, envelopes, activations);
  for (const auto& envelope : envelopes) {
    auto key = registered_class_of(envelope);
    if (key &&
        (key->first == ObjectKind::layer || key->first == ObjectKind::model || key->first == ObjectKind::operation))
      credit.forward.insert(*key);
  }
  walk(model.impl());
  for (const auto& a : activations) {
    try {
      credit.forward.insert({ObjectKind::activation, keras::detail::canonical_activation(a)});
    } catch (const keras::Error&) {
    }
  }
}

// The losses_metrics fixture's cases: a loss or metric class whose value
// matches Keras' to 1e-6 relative is credited with a forward check.
void credit_losses_metrics(CaseCredit& credit) {
  for (const auto& [list, kind] : {std::pair{"losses", ObjectKind::loss}, std::pair{"metrics", ObjectKind::metric}}) {
    const Json& cases = keras_test::losses_metrics_cases().at(list);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Key key{kind, cases[i].at("config").at("class_name").get<std::string>()};
      try {
        if (const double over = keras_test::losses_metrics_excess(list, i); over <= 0.0)
          credit.forward.insert(key);
        else
          credit.failures.push_back(show(key) + " case " + std::to_string(i) + " misses Keras' value by " +
                                    std::to_string(over));
      } catch (const std::exception& e) {
        credit.failures.push_back(show(key) + " case " + std::to_string(i) + ": " + e.what());
      }
    }
  }
}

// Every fixture case of tests/data, examined once.
const std::vector<CaseCredit>& case_credits() {
  static const std::vector<CaseCredit> credits = [] {
    std::vector<CaseCredit> out;
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(keras_test::data_path("keras-3.16")))
      if (entry.is_directory()) dirs.push_back(entry.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
      CaseCredit credit{dir.filename().string(), {}, {}, {}, {}};
      std::vector<Json> configs;
      for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const auto& p = entry.path();
        if (p.extension() == ".keras" || (p.extension() == ".json" && p.filename() != "case.json") ||
            (entry.is_directory() && fs::is_regular_file(p / "config.json"))) {
          if (entry.is_directory() || entry.is_regular_file()) {
            auto found = configs_of(p);
            configs.insert(configs.end(), found.begin(), found.end());
          }
        }
      }
      credit_configs(configs, credit);
      if (fs::is_regular_file(dir / "case.json"))
        credit_predictions(credit.name, keras_test::fixture_case(credit.name), credit);
      if (credit.name == "losses_metrics") credit_losses_metrics(credit);
      out.push_back(std::move(credit));
    }
    for (const auto& entry : fs::directory_iterator(keras_test::data_path("format-examples"))) {
      if (entry.path().extension() != ".keras") continue;
      CaseCredit credit{"format-examples/" + entry.path().filename().string(), {}, {}, {}, {}};
      credit_configs(configs_of(entry.path()), credit);
      out.push_back(std::move(credit));
    }
    return out;
  }();
  return credits;
}

struct Coverage {
  std::vector<std::string> missing_config;
  std::vector<std::string> missing_forward;
  std::vector<std::string> problems;  // rows that do not fit the registry, failing references
  std::map<Key, std::string> config_source;
  std::map<Key, std::string> forward_source;
};

bool allowed(const Key& key, const std::string& column) {
  for (const auto& a : keras_test::classes::allow_list())
    if (a.kind == key.first && a.column == column && (a.class_name == "*" || a.class_name == key.second)) return true;
  return false;
}

Coverage coverage(const std::vector<ClassRow>& rows, const std::set<std::string>& excluded_cases = {}) {
  Coverage out;
  for (const auto& credit : case_credits()) {
    if (excluded_cases.count(credit.name) != 0) continue;
    for (const auto& key : credit.config) out.config_source.emplace(key, credit.name);
    for (const auto& key : credit.forward) out.forward_source.emplace(key, credit.name);
  }
  const auto keys = registered_keys();
  const std::set<Key> registered(keys.begin(), keys.end());
  std::set<Key> with_row;
  for (const auto& row : rows) {
    const Key key{row.kind, row.class_name};
    if (registered.count(key) == 0) out.problems.push_back("row for " + show(key) + ", which is not registered");
    if (!with_row.insert(key).second) out.problems.push_back("two rows for " + show(key));
    if (row.config && out.config_source.count(key) == 0) {
      try {
        const std::string difference = round_trip_difference(row.kind, row.config->envelope);
        if (difference.empty())
          out.config_source.emplace(key, "Keras source: " + row.config->source);
        else
          out.problems.push_back(show(key) + " does not round trip its reference config: " + difference);
      } catch (const std::exception& e) {
        out.problems.push_back(show(key) + " reference config: " + e.what());
      }
    }
    if (row.forward && out.forward_source.count(key) == 0) {
      try {
        const double over = row.forward->check(*row.forward);
        if (over <= 0.0) {
          std::ostringstream source;
          source << row.forward->reference << " (atol " << row.forward->atol << ", rtol " << row.forward->rtol << ")";
          out.forward_source.emplace(key, source.str());
        } else {
          out.problems.push_back(show(key) + " misses its " + row.forward->reference + " reference by " +
                                 std::to_string(over));
        }
      } catch (const std::exception& e) {
        out.problems.push_back(show(key) + " forward reference: " + e.what());
      }
    }
  }
  for (const auto& key : keys) {
    if (with_row.count(key) == 0) out.problems.push_back(show(key) + " has no row in classes/class_table.cpp");
    if (out.config_source.count(key) == 0 && !allowed(key, "config")) out.missing_config.push_back(show(key));
    if (out.forward_source.count(key) == 0 && !allowed(key, "forward")) out.missing_forward.push_back(show(key));
  }
  return out;
}

TEST(EveryClass, HasAConfigRoundTripAndAForwardCheck) {
  for (const auto& credit : case_credits())
    for (const auto& failure : credit.failures) ADD_FAILURE() << credit.name << ": " << failure;
  const Coverage c = coverage(keras_test::classes::rows());
  EXPECT_TRUE(c.problems.empty()) << joined(c.problems, "\n");
  EXPECT_TRUE(c.missing_config.empty()) << c.missing_config.size()
                                        << " classes have no config round trip against a config Keras wrote: "
                                        << joined(c.missing_config);
  EXPECT_TRUE(c.missing_forward.empty()) << c.missing_forward.size()
                                         << " classes have no forward check against a reference: "
                                         << joined(c.missing_forward);
  std::size_t from_source = 0;
  for (const auto& [key, source] : c.config_source) from_source += source.starts_with("Keras source") ? 1 : 0;
  std::size_t from_fixtures = 0;
  for (const auto& [key, source] : c.forward_source) {
    for (const auto& credit : case_credits()) from_fixtures += credit.name == source ? 1 : 0;
  }
  std::cout << registered_keys().size() << " classes: " << c.config_source.size() << " config round trips ("
            << from_source << " against configs derived from Keras' source), " << c.forward_source.size()
            << " forward checks (" << from_fixtures << " against Keras fixtures), "
            << keras_test::classes::allow_list().size() << " allowances\n";
}

// ------------------------------------------------------------ the mask column

// A bool mask over the leading `axes` axes of `shape` (default: all but the
// last), False at some steps of each sample but never at the first.
keras::Tensor probe_mask(const keras::Shape& shape, std::optional<int> axes) {
  const std::size_t rank = shape.size();
  const std::size_t n =
      axes ? std::min<std::size_t>(static_cast<std::size_t>(*axes), rank) : std::max<std::size_t>(1, rank - 1);
  keras::Shape mask_shape(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(n));
  keras::Tensor mask(mask_shape, keras::DType::bool_);
  const std::int64_t steps = mask.rank() > 1 ? mask.size() / mask.dim(0) : 1;
  auto* p = mask.data<std::uint8_t>();
  for (std::int64_t i = 0; i < mask.size(); ++i) p[i] = (i / steps + i % steps) % 3 == 2 ? 0 : 1;
  return mask;
}

keras::Tensor probe_value(const keras::Shape& shape, keras::DType dtype, std::uint64_t seed) {
  keras::Tensor x = keras::random::uniform(shape, 0.0F, 4.0F, seed);
  if (keras::is_floating(dtype)) return x.astype(dtype);
  // Integers 0..3 (0 is what Embedding(mask_zero) masks).
  keras::Tensor out(shape, keras::DType::float32);
  for (std::int64_t i = 0; i < x.size(); ++i) out.data<float>()[i] = std::floor(x.data<float>()[i]);
  return out.astype(dtype);
}

// One masked call of a layer as Keras calls it in a graph: every tensor of
// the first call a fixture recorded (else of build_config's input_shape)
// becomes an Input carrying a mask Input; keyword tensors (explicit masks,
// initial states) are left out so that __call__ fills the masks itself.
struct MaskProbe {
  keras::KerasTensor output;
  keras::KerasTensor first_mask;    // the mask of the first input
  std::vector<std::string> filled;  // what __call__ fills (Layer::call_time_masks)
  keras::Model model;
  std::vector<keras::Tensor> values;  // inputs, then masks
  keras::Tensor first_mask_value;
};

MaskProbe probe_masks(const Json& envelope, std::optional<int> mask_axes) {
  auto layer = keras::saving::deserialize_layer(without_keys(envelope, {"name", "inbound_nodes"}));
  std::vector<keras::KerasTensor> inputs;
  std::vector<keras::KerasTensor> masks;
  MaskProbe probe;
  std::uint64_t seed = 1;
  auto make_input = [&](keras::Shape shape, const std::string& dtype) {
    for (std::size_t d = 1; d < shape.size(); ++d)
      if (shape[d] < 0) shape[d] = 3;
    keras::Shape batch_shape = shape;
    batch_shape[0] = 2;
    keras::KerasTensor x = keras::Input(keras::Shape(shape.begin() + 1, shape.end()), {.dtype = dtype});
    keras::Tensor mask_value = probe_mask(batch_shape, mask_axes);
    keras::Shape mask_shape = mask_value.shape();
    keras::KerasTensor m = keras::Input(keras::Shape(mask_shape.begin() + 1, mask_shape.end()), {.dtype = "bool"});
    x.set_keras_mask(m);
    inputs.push_back(x);
    masks.push_back(m);
    probe.values.push_back(probe_value(batch_shape, keras::dtype_from_name(dtype), seed++));
    if (!probe.first_mask.defined()) {
      probe.first_mask = m;
      probe.first_mask_value = mask_value;
    }
    return x;
  };
  auto shape_of = [](const Json& s) {
    keras::Shape shape;
    for (const auto& d : s) shape.push_back(d.is_null() ? -1 : d.get<std::int64_t>());
    return shape;
  };
  std::vector<keras::SymbolicArg> args;
  keras::SymbolicKwargs kwargs;
  auto nodes = envelope.find("inbound_nodes");
  if (nodes != envelope.end() && nodes->is_array() && !nodes->empty()) {
    const Json& node = (*nodes)[0];
    auto tensor_of = [&](const Json& t) {
      const Json& c = t.at("config");
      return make_input(shape_of(c.at("shape")), c.at("dtype").get<std::string>());
    };
    auto is_tensor = [](const Json& v) { return v.is_object() && v.value("class_name", "") == "__keras_tensor__"; };
    for (const auto& a : node.at("args")) {
      if (is_tensor(a)) {
        args.emplace_back(tensor_of(a));
      } else if (a.is_array() && !a.empty() && is_tensor(a[0])) {
        std::vector<keras::KerasTensor> list;
        for (const auto& item : a) list.push_back(tensor_of(item));
        args.emplace_back(list);
      } else {
        args.emplace_back(a);
      }
    }
    const Json node_kwargs = node.value("kwargs", Json::object());
    for (const auto& [key, value] : node_kwargs.items()) {
      const bool has_tensor = value.dump().find("__keras_tensor__") != std::string::npos;
      if (!has_tensor && !value.is_null()) kwargs.emplace_back(key, keras::SymbolicArg(value));
    }
  } else {
    const Json& shape = envelope.at("build_config").at("input_shape");
    if (shape.is_array() && !shape.empty() && shape[0].is_array()) {
      std::vector<keras::KerasTensor> list;
      for (const auto& s : shape) list.push_back(make_input(shape_of(s), "float32"));
      args.emplace_back(list);
    } else {
      args.emplace_back(make_input(shape_of(shape), "float32"));
    }
  }
  auto outputs = keras::call_operation(layer, args, kwargs);
  probe.output = outputs.front();
  // What __call__ hands it: the masks it recorded in the node (it does for
  // `mask` when it converts nothing) and those it fills at call time.
  Json recorded = Json::object();
  for (const auto& [key, value] : probe.output.node()->kwargs.items()) {
    const bool mask_kwarg = key == "mask" || key.ends_with("_mask");
    if (mask_kwarg && !value.is_null())
      probe.filled.push_back(key);
    else
      recorded[key] = value;
  }
  for (const auto& fill : layer->call_time_masks(probe.output.node()->args, recorded))
    if (std::find(probe.filled.begin(), probe.filled.end(), fill.kwarg) == probe.filled.end())
      probe.filled.push_back(fill.kwarg);
  std::sort(probe.filled.begin(), probe.filled.end());
  std::vector<keras::KerasTensor> sources = inputs;
  sources.insert(sources.end(), masks.begin(), masks.end());
  for (std::size_t i = 0; i < masks.size(); ++i) probe.values.push_back(probe_mask(probe.values[i].shape(), mask_axes));
  probe.model = keras::Model(sources, std::vector<keras::KerasTensor>{probe.output});
  return probe;
}

bool same_values(const keras::Tensor& a, const keras::Tensor& b) {
  if (a.shape() != b.shape()) return false;
  keras::Tensor x = a.astype(keras::DType::float32);
  keras::Tensor y = b.astype(keras::DType::float32);
  for (std::int64_t i = 0; i < x.size(); ++i)
    if (x.data<float>()[i] != y.data<float>()[i]) return false;
  return true;
}

// Every layer states Keras' masking rule (which masks __call__ hands it,
// what mask its output carries), checked by calling it on masked inputs:
// symbolically (the output's Keras mask) and by running a model of it (the
// run-time mask of the output). A layer without a row fails until listed.
TEST(EveryClass, MaskColumnHoldsForEveryLayer) {
  std::map<Key, Json> examples;
  std::map<Key, Json> called;
  for (const auto& credit : case_credits()) {
    examples.insert(credit.examples.begin(), credit.examples.end());
    called.insert(credit.called.begin(), credit.called.end());
  }
  std::map<std::string, int> counts;
  std::vector<std::string> missing;
  for (const auto& row : keras_test::classes::rows()) {
    if (row.kind != ObjectKind::layer) continue;
    const Key key{row.kind, row.class_name};
    if (!row.masks) {
      if (!allowed(key, "masks")) missing.push_back(row.class_name);
      continue;
    }
    SCOPED_TRACE(row.class_name);
    const auto& column = *row.masks;
    ASSERT_TRUE(column.output == "none" || column.output == "input" || column.output == "computed") << column.output;
    ++counts[column.inputs.empty() ? column.output : "uses, " + column.output];
    Json envelope;
    if (auto it = called.find(key); it != called.end())
      envelope = it->second;
    else if (auto ex = examples.find(key); ex != examples.end())
      envelope = ex->second;
    else if (row.config)
      envelope = row.config->envelope;
    ASSERT_FALSE(envelope.is_null()) << "no config to build the layer from";
    for (const auto& [k, v] : column.config_patch.items()) envelope["config"][k] = v;
    MaskProbe probe;
    try {
      probe = probe_masks(envelope, column.mask_axes);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the masked call fails: " << e.what();
      continue;
    }
    std::vector<std::string> expected_inputs = column.inputs;
    std::sort(expected_inputs.begin(), expected_inputs.end());
    EXPECT_EQ(probe.filled, expected_inputs) << "the masks __call__ hands it";
    auto symbolic = probe.output.keras_mask();
    auto& impl = dynamic_cast<keras::detail::FunctionalImpl&>(probe.model.impl());
    keras::detail::MaskedRun run;
    try {
      run = impl.run_masked(probe.values, {}, false);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the masked run fails: " << e.what();
      continue;
    }
    ASSERT_EQ(run.masks.size(), 1U);
    if (column.output == "none") {
      EXPECT_FALSE(symbolic.has_value()) << "its output carries a mask";
      EXPECT_FALSE(run.masks[0].defined()) << "its output carries a mask at run time";
    } else if (column.output == "input") {
      EXPECT_TRUE(symbolic && *symbolic == probe.first_mask) << "its output does not carry its input's mask";
      EXPECT_TRUE(run.masks[0].defined() && same_values(run.masks[0], probe.first_mask_value))
          << "its output does not carry its input's mask at run time";
    } else {
      EXPECT_TRUE(symbolic && !(*symbolic == probe.first_mask)) << "its output carries no mask of its own";
      EXPECT_TRUE(run.masks[0].defined() && run.masks[0].dtype() == keras::DType::bool_)
          << "its output carries no computed mask at run time";
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " layers state no mask rule: " << joined(missing);
  for (const auto& [what, n] : counts) std::cout << n << " layers: " << what << "\n";
}

TEST(EveryClass, GradientColumnChecksWhatItStates) {
  int filled = 0;
  for (const auto& row : keras_test::classes::rows()) {
    if (!row.gradient) continue;
    ++filled;
    EXPECT_LE(row.gradient->check(), row.gradient->atol) << row.class_name << ": " << row.gradient->reference;
  }
  std::cout << filled << " rows check a gradient\n";
}

// Every layer, model and operation has a gradient check, or an allowance
// saying why not (no backward pass yet, nothing to differentiate); the
// failure lists the classes that have neither.
TEST(EveryClass, EveryClassThatTrainsHasAGradientCheck) {
  std::vector<std::string> missing;
  std::vector<std::string> without;
  for (const auto& row : keras_test::classes::rows()) {
    if (row.kind != ObjectKind::layer && row.kind != ObjectKind::model && row.kind != ObjectKind::operation) continue;
    const Key key{row.kind, row.class_name};
    if (row.gradient) continue;
    if (allowed(key, "gradient"))
      without.push_back(show(key));
    else
      missing.push_back(show(key));
  }
  EXPECT_TRUE(missing.empty()) << missing.size()
                               << " classes have neither a gradient check nor an allowance: " << joined(missing);
  std::cout << without.size() << " classes without a gradient check (allowed): " << joined(without) << "\n";
}

TEST(EveryClass, RefusedClassesRaiseTheirErrors) {
  keras::saving::register_builtins();
  for (const auto& r : keras::saving::refused_classes()) {
    SCOPED_TRACE(r.class_name);
    for (const auto& row : keras_test::classes::rows())
      EXPECT_FALSE(row.kind == r.kind && row.class_name == r.class_name) << "a refused class has a row";
    const Json envelope{{"module", r.module},
                        {"class_name", r.class_name},
                        {"config", {{"name", "refused"}}},
                        {"registered_name", nullptr}};
    auto load = [&] {
      if (r.kind == ObjectKind::optimizer) return (void)keras::optimizers::deserialize(envelope);
      (void)keras::saving::deserialize_operation(envelope);
    };
    switch (r.refusal) {
      case keras::saving::Refusal::unknown:
        EXPECT_THROW(load(), keras::UnknownObjectError);
        break;
      case keras::saving::Refusal::not_implemented:
        EXPECT_THROW(load(), keras::NotImplementedError);
        break;
      case keras::saving::Refusal::unsafe:
        EXPECT_THROW(load(), keras::UnsafeContentError);
        break;
    }
  }
}

// Taking away a class's only fixture, or its only reference, makes the
// tester list it.
TEST(EveryClass, LosingAFixtureOrAReferenceIsNoticed) {
  const Coverage without_case = coverage(keras_test::classes::rows(), {"adaptive_pooling"});
  for (const char* name : {"layer AdaptiveMaxPooling2D", "layer AdaptiveAveragePooling3D"}) {
    EXPECT_NE(std::find(without_case.missing_config.begin(), without_case.missing_config.end(), name),
              without_case.missing_config.end())
        << name;
    EXPECT_NE(std::find(without_case.missing_forward.begin(), without_case.missing_forward.end(), name),
              without_case.missing_forward.end())
        << name;
  }
  std::vector<ClassRow> rows = keras_test::classes::rows();
  const Coverage fixtures_only = coverage({});
  auto with_reference = std::find_if(rows.begin(), rows.end(), [&](const ClassRow& r) {
    return r.forward.has_value() && fixtures_only.forward_source.count({r.kind, r.class_name}) == 0;
  });
  ASSERT_NE(with_reference, rows.end());
  const std::string name = show({with_reference->kind, with_reference->class_name});
  with_reference->forward.reset();
  with_reference->config.reset();
  const Coverage without_reference = coverage(rows);
  EXPECT_NE(std::find(without_reference.missing_forward.begin(), without_reference.missing_forward.end(), name),
            without_reference.missing_forward.end())
      << name;
}

}  // namespace
