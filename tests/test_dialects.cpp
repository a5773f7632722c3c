// Older dialects (spec §7.3, §8). No real files of those versions exist here,
// so each test derives one from a Keras 3.16 fixture by rewriting it as the
// spec describes, then loads it and predicts the fixture's outputs:
//  - Keras 3.0-3.15: internal module names with registered_name = class name,
//    string dtypes, no `name` attributes on vars groups, no compile_config, ...
//  - Keras 2.12-2.15 `.keras`: keras.src.engine.functional, list-form inbound
//    nodes with the nested-model node offset, batch_input_shape, weights under
//    `_layer_checkpoint_dependencies` with its doubled counter;
//  - Keras 2 legacy HDF5: no module keys, __tuple__ shapes, "Model" class,
//    `name:0` weight names.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "saving/dialects.hpp"
#include "saving/h5_file.hpp"
#include "saving/weights_walk.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras_test::TempDir;
namespace saving = keras::saving;
namespace layers = keras::layers;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

std::string join_path(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

std::vector<std::byte> to_bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  if (!text.empty()) std::memcpy(out.data(), text.data(), text.size());
  return out;
}

struct KerasFile {
  Json config;
  std::vector<std::byte> weights;
};

KerasFile read_keras(const std::filesystem::path& path) {
  auto zip = saving::ZipReader::open(path);
  auto text = zip.read("config.json");
  return {keras::parse_json(std::string(reinterpret_cast<const char*>(text.data()), text.size()), path.string()),
          zip.read("model.weights.h5")};
}

void write_keras(const std::filesystem::path& path, const Json& config, std::vector<std::byte> weights,
                 const std::string& version) {
  saving::ZipWriter zip;
  zip.add("metadata.json", to_bytes(R"({"keras_version": ")" + version + R"(", "date_saved": "2024-01-01@00:00:00"})"));
  zip.add("config.json", to_bytes(keras::dump_json_like_python(config)));
  zip.add("model.weights.h5", std::move(weights));
  zip.finish_to_file(path);
}

// Object paths ("" for the root) of every vars group in a weights file.
void collect_vars(const saving::H5Group& group, const std::string& path, std::vector<std::string>& out) {
  for (const auto& name : group.children()) {
    if (!group.has_group(name)) continue;
    if (name == "vars")
      out.push_back(path);
    else
      collect_vars(group.group(name), join_path(path, name), out);
  }
}

bool subtree_has_datasets(const saving::H5Group& group) {
  for (const auto& name : group.children()) {
    if (group.has_dataset(name)) return true;
    if (group.has_group(name) && subtree_has_datasets(group.group(name))) return true;
  }
  return false;
}

// The weights file rebuilt with every object moved by `move_path`, with or
// without the `name` attributes of Keras >= 3.6.
std::vector<std::byte> rebuild_weights(const std::vector<std::byte>& image,
                                       const std::function<std::string(const std::string&)>& move_path,
                                       bool keep_names) {
  auto source = saving::H5File::open_image(std::span<const std::byte>(image), "source");
  auto target = saving::H5File::create_in_memory("target");
  std::vector<std::string> paths;
  collect_vars(source.root(), "", paths);
  for (const auto& path : paths) {
    auto from = source.root().group(join_path(path, "vars"));
    auto to = saving::create_vars_group(target.root(), move_path(path));
    if (keep_names && from.has_attr("name")) to.set_string_attr("name", *from.string_attr("name"));
    for (const auto& key : from.children()) to.write_dataset(key, from.read_dataset(key));
  }
  return target.image();
}

bool is_envelope(const Json& v) {
  return v.is_object() && v.contains("class_name") && v.contains("config") && v.contains("module");
}

// ---------------------------------------------------------------- Keras 3.0

// A 3.16 config as Keras 3.0.x-3.3 wrote it: internal modules with
// registered_name = class name, plain string dtypes, no keys added since.
Json as_keras_3_0(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(as_keras_3_0(item));
    return out;
  }
  if (!value.is_object()) return value;
  if (is_envelope(value) && value.at("class_name") == "DTypePolicy") return value.at("config").at("name");
  Json out = Json::object();
  for (const auto& [key, item] : value.items()) {
    if (key == "compile_config") continue;  // <= 3.9: absent when uncompiled
    out[key] = as_keras_3_0(item);
  }
  if (!is_envelope(value)) return out;
  const std::string cls = value.at("class_name").get<std::string>();
  const Json& module = value.at("module");
  Json& config = out.at("config");
  if (module == "keras.layers") {
    out["module"] = "keras.src.layers." + keras::to_snake_case(cls);
    out["registered_name"] = cls;
  } else if (module == "keras" && cls == "Sequential") {
    out["module"] = "keras.src.models.sequential";
    out["registered_name"] = cls;
  } else if (module == "keras.initializers") {
    out["module"] = "keras.src.initializers.random_initializers";
    out["registered_name"] = cls;
    config.erase("input_axes");  // 3.15
    config.erase("output_axes");
  }
  if (config.is_object()) {
    config.erase("quantization_config");  // 3.13
    if (cls == "InputLayer") {
      config.erase("ragged");    // 3.9
      config.erase("optional");  // 3.13
    }
  }
  return out;
}

// ---------------------------------------------------------------- Keras 2

// Nested models that Keras 2 gave an internal node 0.
bool keras2_graph_model(const Json& entry) {
  const std::string cls = entry.at("class_name").get<std::string>();
  if (cls == "Functional") return true;
  if (cls != "Sequential") return false;
  const Json& layers_json = entry.at("config").at("layers");
  return !layers_json.empty() && layers_json.front().at("class_name") == "InputLayer";
}

Json keras2_reference(const Json& tensor, const std::set<std::string>& graph_models) {
  const Json& h = tensor.at("config").at("keras_history");
  const std::int64_t offset = graph_models.count(h[0].get<std::string>()) != 0 ? 1 : 0;
  return Json::array({h[0], h[1].get<std::int64_t>() + offset, h[2]});
}

bool is_keras_tensor(const Json& v) { return v.is_object() && v.value("class_name", "") == "__keras_tensor__"; }

Json keras2_kwargs(const Json& value, const std::set<std::string>& graph_models) {
  if (is_keras_tensor(value)) return keras2_reference(value, graph_models);
  if (value.is_array() || value.is_object()) {
    Json out = value;
    for (auto& item : out) item = keras2_kwargs(item, graph_models);
    return out;
  }
  return value;
}

struct Keras2Style {
  bool legacy_h5 = false;  // no module/registered_name/build_config, __tuple__ shapes, class "Model"
};

Json as_keras2(const Json& value, const Keras2Style& style, bool top = false);

void keras2_functional(Json& config) {
  std::set<std::string> graph_models;
  std::set<std::string> graph_sequentials;
  for (const auto& entry : config.at("layers")) {
    if (!keras2_graph_model(entry)) continue;
    graph_models.insert(entry.at("name").get<std::string>());
    if (entry.at("class_name") == "Sequential") graph_sequentials.insert(entry.at("name").get<std::string>());
  }
  for (auto& entry : config.at("layers")) {
    Json nodes = Json::array();
    for (const auto& node : entry.at("inbound_nodes")) {
      const Json& args = node.at("args");
      if (args.size() != 1) throw std::runtime_error("cannot express a multi-argument call in Keras 2's node form");
      const Json kwargs = keras2_kwargs(node.at("kwargs"), graph_models);
      Json list = Json::array();
      auto add = [&](const Json& t) {
        Json ref = keras2_reference(t, graph_models);
        ref.push_back(kwargs);
        list.push_back(ref);
      };
      if (is_keras_tensor(args[0]))
        add(args[0]);
      else
        for (const auto& t : args[0]) add(t);
      nodes.push_back(list);
    }
    entry["inbound_nodes"] = nodes;
  }
  for (const char* key : {"input_layers", "output_layers"}) {
    Json io = config.at(key);
    if (io.is_array() && !io.empty() && io[0].is_string()) io = Json::array({io});  // always a list in Keras 2
    for (auto& leaf : io) {
      if (graph_sequentials.count(leaf[0].get<std::string>()) != 0) leaf[1] = leaf[1].get<std::int64_t>() + 1;
    }
    config[key] = io;
  }
}

Json as_keras2(const Json& value, const Keras2Style& style, bool top) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(as_keras2(item, style));
    return out;
  }
  if (!value.is_object()) return value;
  if (is_envelope(value) && value.at("class_name") == "DTypePolicy") {
    const Json& name = value.at("config").at("name");
    if (name.get<std::string>().starts_with("mixed_"))
      return Json{{"class_name", "Policy"}, {"config", {{"name", name}}}};
    return name;
  }
  if (!is_envelope(value)) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) out[key] = as_keras2(item, style);
    return out;
  }
  const std::string cls = value.at("class_name").get<std::string>();
  Json config = value.at("config");
  if (config.is_object()) {
    for (const char* key : {"quantization_config", "input_axes", "output_axes", "ragged", "optional"})
      config.erase(key);
    if (cls == "InputLayer") {
      Json shape = config.at("batch_shape");
      config.erase("batch_shape");
      config["batch_input_shape"] = style.legacy_h5 ? Json{{"class_name", "__tuple__"}, {"items", shape}} : shape;
    }
    // Keras 2's BatchNormalization kept its axis as a list once built.
    if (cls == "BatchNormalization" && config.at("axis").is_number()) config["axis"] = Json::array({config.at("axis")});
    for (auto& [key, item] : config.items()) item = as_keras2(item, style);
    if (cls == "Functional") keras2_functional(config);  // its layers, converted above, keep name/inbound_nodes
  }
  Json out = Json::object();
  if (!style.legacy_h5) out["module"] = cls == "Functional" ? Json("keras.src.engine.functional") : value.at("module");
  out["class_name"] = (style.legacy_h5 && top && cls == "Functional") ? "Model" : cls;
  out["config"] = config;
  if (!style.legacy_h5) {
    out["registered_name"] = value.at("registered_name");
    if (value.contains("build_config")) out["build_config"] = value.at("build_config");
  }
  if (value.contains("name")) out["name"] = value.at("name");
  if (value.contains("inbound_nodes")) out["inbound_nodes"] = value.at("inbound_nodes");
  return out;
}

Json as_keras2_model(const Json& envelope, const Keras2Style& style) { return as_keras2(envelope, style, true); }

// Keras 2.12-2.14: the model's layers are reached through
// `_layer_checkpoint_dependencies`, whose container counter advances twice
// for a layer with weights. Computed here from the config and the 3.16 file.
void keras2_weight_paths(const Json& model, const std::string& path3, const std::string& path2,
                         const saving::H5Group& weights, std::map<std::string, std::string>& out) {
  std::map<std::string, int> used3;
  std::map<std::string, int> used2;
  auto next = [](std::map<std::string, int>& used, const std::string& base) {
    auto [it, fresh] = used.emplace(base, 0);
    return fresh ? base : base + "_" + std::to_string(++it->second);
  };
  const bool sequential = model.at("class_name") == "Sequential";
  for (const auto& entry : model.at("config").at("layers")) {
    const std::string cls = entry.at("class_name").get<std::string>();
    if (sequential && cls == "InputLayer") continue;
    if (entry.value("module", "").starts_with("keras.src.ops")) continue;
    const std::string base = keras::to_snake_case(cls);
    const std::string p3 = join_path(path3, "layers/" + next(used3, base));
    const std::string p2 = join_path(path2, "_layer_checkpoint_dependencies/" + next(used2, base));
    if (weights.has_group(p3) && subtree_has_datasets(weights.group(p3))) next(used2, base);
    out[p3] = p2;
    if (entry.at("config").contains("layers")) keras2_weight_paths(entry, p3, p2, weights, out);
  }
}

std::function<std::string(const std::string&)> prefix_mover(std::map<std::string, std::string> moves) {
  return [moves = std::move(moves)](const std::string& path) {
    std::string best;
    for (const auto& [from, to] : moves) {
      if ((path == from || path.starts_with(from + "/")) && from.size() > best.size()) best = from;
    }
    return best.empty() ? path : moves.at(best) + path.substr(best.size());
  };
}

void expect_predicts(const keras::Model& model, const std::string& case_name) {
  auto c = keras_test::fixture_case(case_name);
  auto outputs = model.predict(keras_test::fixture_inputs(case_name));
  auto expected = keras_test::fixture_outputs(case_name);
  ASSERT_EQ(outputs.size(), expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i)
    keras_test::expect_close(outputs[i], expected[i], c.at("atol"), c.at("rtol"),
                             case_name + " output " + std::to_string(i));
}

void expect_same_weights(const keras::Model& a, const keras::Model& b) {
  auto wa = a.get_weights();
  auto wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(keras::allclose(wa[i], wb[i], 0, 0)) << "weight " << i;
}

std::filesystem::path fixture_file(const std::string& case_name) {
  return keras_test::fixture_dir(case_name) / "model.keras";
}

const std::vector<std::string>& single_argument_fixtures() {
  static const std::vector<std::string> names = {"nested_models", "multi_io",     "shared_layer", "dtypes",
                                                 "normalization", "residual_cnn", "dense_options"};
  return names;
}

// ---------------------------------------------------------------- tests

TEST(Keras3Early, FixturesLoadPredictAndConvertToTheCurrentFormat) {
  for (const auto& name : single_argument_fixtures()) {
    SCOPED_TRACE(name);
    KerasFile original = read_keras(fixture_file(name));
    Json config = as_keras_3_0(original.config);
    ASSERT_NE(config.dump(), original.config.dump());
    TempDir tmp;
    write_keras(tmp / "old.keras", config,
                rebuild_weights(
                    original.weights, [](const std::string& p) { return p; }, false),
                "3.0.1");
    keras::Model model = keras::load_model(tmp / "old.keras");
    expect_predicts(model, name);
    // Saving it again writes what Keras 3.16 writes.
    keras::save_model(model, tmp / "new.keras");
    auto differences = saving::compare_saved_models(fixture_file(name), tmp / "new.keras");
    EXPECT_TRUE(differences.empty()) << joined(differences);
  }
}

TEST(Keras3Early, InternalModuleWithRegisteredClassNameResolvesToTheBuiltin) {
  Json dense = Json::parse(R"({"module": "keras.src.layers.core.dense", "class_name": "Dense",
      "config": {"name": "d", "trainable": true, "dtype": "float16", "units": 3}, "registered_name": "Dense"})");
  auto layer = saving::deserialize_layer(dense);
  EXPECT_EQ(layer->class_name(), "Dense");
  EXPECT_EQ(layer->compute_dtype(), keras::DType::float16);
  // A custom class registered under another package does not capture it.
  saving::register_keras_serializable("DialectTest", "Dense", [](const Json&) -> keras::LayerPtr {
    throw std::runtime_error("the custom class must not be used");
  });
  EXPECT_NO_THROW(saving::deserialize_layer(dense));
  // A foreign module is not a built-in.
  Json foreign = dense;
  foreign["module"] = "my_package.layers";
  foreign["registered_name"] = "my_package>Dense";
  EXPECT_THROW(saving::deserialize_layer(foreign), keras::UnknownObjectError);
}

TEST(Keras2Keras, FixturesLoadWithCheckpointDependencyWeights) {
  for (const auto& name : single_argument_fixtures()) {
    SCOPED_TRACE(name);
    KerasFile original = read_keras(fixture_file(name));
    Json config = as_keras2_model(original.config, {});
    std::map<std::string, std::string> moves;
    {
      auto weights = saving::H5File::open_image(std::span<const std::byte>(original.weights), name);
      keras2_weight_paths(original.config, "", "", weights.root(), moves);
    }
    auto weights = rebuild_weights(original.weights, prefix_mover(moves), false);
    {
      auto rebuilt = saving::H5File::open_image(std::span<const std::byte>(weights), "rebuilt");
      EXPECT_FALSE(rebuilt.root().has("layers"));
      EXPECT_TRUE(rebuilt.root().has_group("_layer_checkpoint_dependencies"));
      EXPECT_FALSE(rebuilt.root().group("vars").has_attr("name"));
    }
    if (name == "nested_models") {
      // inner_seq's second Dense: dense_1 in Keras 3, dense_2 behind the doubled counter.
      EXPECT_EQ(moves.at("layers/functional/layers/sequential/layers/dense_1"),
                "_layer_checkpoint_dependencies/functional/_layer_checkpoint_dependencies/sequential/"
                "_layer_checkpoint_dependencies/dense_2");
      // mid_func's node on inner_seq (a Sequential with an Input) in Keras 2's numbering.
      const Json& mid = config.at("config").at("layers").at(1);
      EXPECT_EQ(mid.at("module"), "keras.src.engine.functional");
      EXPECT_EQ(mid.at("config").at("layers").at(2).at("inbound_nodes"), Json::parse(R"([[["inner_seq", 1, 0, {}]]])"));
    }
    TempDir tmp;
    write_keras(tmp / "k2.keras", config, std::move(weights), "2.13.1");
    keras::Model model = keras::load_model(tmp / "k2.keras");
    expect_predicts(model, name);
    expect_same_weights(model, keras::load_model(fixture_file(name)));
  }
}

TEST(Keras2Keras, DoubledCounterPaths) {
  auto x = keras::Input({3});
  auto h = layers::Dense(4, {.name = "a"})(x);
  h = layers::Activation("relu")(h);
  h = layers::Dense(4, {.name = "b"})(h);
  auto y = layers::Dense(2, {.name = "c"})(h);
  keras::Model model(x, y);
  std::map<std::string, std::string> paths;
  for (const auto& [path3, path2] : saving::checkpoint_dependency_paths(model.impl())) paths[path3] = path2;
  // [input_layer, a, a, activation, b, b, c, c]: dense, dense_2, dense_4.
  EXPECT_EQ(paths.at(""), "");
  EXPECT_EQ(paths.at("layers/input_layer"), "_layer_checkpoint_dependencies/input_layer");
  EXPECT_EQ(paths.at("layers/dense"), "_layer_checkpoint_dependencies/dense");
  EXPECT_EQ(paths.at("layers/activation"), "_layer_checkpoint_dependencies/activation");
  EXPECT_EQ(paths.at("layers/dense_1"), "_layer_checkpoint_dependencies/dense_2");
  EXPECT_EQ(paths.at("layers/dense_2"), "_layer_checkpoint_dependencies/dense_4");
  // Loading finds b under dense_2, where Keras' own prefix swap would not.
  TempDir tmp;
  keras::save_model(model, tmp / "m.keras");
  KerasFile file = read_keras(tmp / "m.keras");
  write_keras(tmp / "k2.keras", file.config,
              rebuild_weights(file.weights,
                              prefix_mover({{"layers/input_layer", "_layer_checkpoint_dependencies/input_layer"},
                                            {"layers/dense", "_layer_checkpoint_dependencies/dense"},
                                            {"layers/activation", "_layer_checkpoint_dependencies/activation"},
                                            {"layers/dense_1", "_layer_checkpoint_dependencies/dense_2"},
                                            {"layers/dense_2", "_layer_checkpoint_dependencies/dense_4"}}),
                              true),
              "2.13.1");
  keras::Model loaded = keras::load_model(tmp / "k2.keras");
  expect_same_weights(model, loaded);
  // The same file read with load_weights.
  keras::Model fresh = keras::model_from_json(keras::to_json(model));
  keras::load_weights(fresh, tmp / "k2.keras");
  expect_same_weights(model, fresh);
}

TEST(Keras2Keras, NestedFunctionalNodeOffset) {
  const auto source = keras_test::data_path("format-examples") / "ex8_nested_functional_dict_outputs.keras";
  KerasFile original = read_keras(source);
  Json config = as_keras2_model(original.config, {});
  // dense_1 consumes the first call of the nested model `inner`: node 1 in Keras 2's numbering.
  const Json& dense_1 = config.at("config").at("layers").at(2);
  ASSERT_EQ(dense_1.at("name"), "dense_1");
  EXPECT_EQ(dense_1.at("inbound_nodes"), Json::parse(R"([[["inner", 1, 0, {}]]])"));
  TempDir tmp;
  write_keras(tmp / "k2.keras", config, original.weights, "2.13.1");
  keras::Model model = keras::load_model(tmp / "k2.keras");
  keras::Model reference = keras::load_model(source);
  ASSERT_EQ(reference.inputs()[0].shape().size(), 2u);
  auto x = keras::Tensor::full({2, reference.inputs()[0].shape()[1]}, 0.5f);
  auto a = model.predict(x);
  auto b = reference.predict(x);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(keras::allclose(a[i], b[i], 0, 0));
}

// A Keras 2 legacy HDF5 file: model_weights/<layer>/ with weight_names
// "<sublayer>/<variable>:0" and the datasets at those relative paths.
void write_keras2_h5(const std::filesystem::path& path, const Json& model_config, const keras::Model& source) {
  auto file = saving::H5File::create(path);
  auto root = file.root();
  root.set_string_attr("model_config", keras::dump_json_like_python(model_config));
  root.set_string_attr("keras_version", "2.12.0", saving::H5StringKind::vlen_ascii);
  root.set_string_attr("backend", "tensorflow", saving::H5StringKind::vlen_ascii);
  auto weights = root.create_group("model_weights");
  std::vector<std::string> layer_names;
  for (const auto& layer : source.layers()) {  // Functional: InputLayers included, as in Keras 2
    layer_names.push_back(layer->name());
    auto group = weights.create_group(layer->name());
    std::vector<keras::VariablePtr> variables = layer->trainable_variables();
    for (const auto& v : layer->non_trainable_variables()) variables.push_back(v);
    std::vector<std::string> names;
    for (const auto& v : variables) {
      const std::string name = v->path() + ":0";
      names.push_back(name);
      const std::string owner = name.substr(0, name.rfind('/'));
      auto holder = group.has_group(owner) ? group.group(owner) : group.create_group(owner);
      holder.write_dataset(name.substr(name.rfind('/') + 1), v->value());
    }
    group.set_string_list_attr("weight_names", names);
  }
  weights.set_string_list_attr("layer_names", layer_names);
  file.close();
}

TEST(Keras2LegacyH5, FixturesLoadAndPredict) {
  for (const auto& name : single_argument_fixtures()) {
    SCOPED_TRACE(name);
    keras::Model reference = keras::load_model(fixture_file(name));
    Json config = as_keras2_model(read_keras(fixture_file(name)).config, {.legacy_h5 = true});
    ASSERT_FALSE(config.contains("module"));
    TempDir tmp;
    write_keras2_h5(tmp / "model.h5", config, reference);
    keras::Model model = keras::load_model(tmp / "model.h5");
    expect_predicts(model, name);
    expect_same_weights(model, reference);
    // And to .keras through the CLI.
    std::string output;
    ASSERT_EQ(keras_test::run_cli({"convert", (tmp / "model.h5").string(), (tmp / "model.keras").string()}, &output), 0)
        << output;
    expect_predicts(keras::load_model(tmp / "model.keras"), name);
  }
}

TEST(Dialects, LegacyJsonEncoderValues) {
  Json legacy = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float32",
       "batch_input_shape": {"class_name": "__tuple__", "items": [null, 3]},
       "kernel_initializer": {"class_name": "Ones", "config": {}, "__passive_serialization__": true,
                              "shared_object_id": 0}}},
      {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [1]}}],
      "extra": [{"class_name": "__ellipsis__"}, {"class_name": "__bytes__", "value": "ab"},
                {"class_name": "TensorShape", "items": [null, 4]}]}})");
  Json normalized = saving::normalize_config_dialect(legacy);
  const Json& config = normalized.at("config");
  EXPECT_EQ(config.at("extra"), Json::parse(R"([{"class_name": "__ellipsis__", "config": {}},
      {"class_name": "__bytes__", "config": {"value": "ab"}}, [null, 4]])"));
  // An InputLayer is put ahead of the layer that carried batch_input_shape.
  EXPECT_EQ(config.at("layers").at(0).at("class_name"), "InputLayer");
  EXPECT_EQ(config.at("layers").at(0).at("config").at("batch_shape"), Json::parse("[null, 3]"));
  EXPECT_EQ(config.at("layers").at(2).at("config").at("axis"), 1);
  // It is the model Keras 2 meant.
  keras::Model model = keras::model_from_json(keras::dump_json_like_python(legacy));
  EXPECT_EQ(keras::shape_to_string(model.inputs()[0].shape()), "(None, 3)");
  auto y = model.predict(keras::Tensor::full({1, 3}, 1.0f));
  EXPECT_NEAR(y[0].at(0), 3.0 / std::sqrt(1.0 + 1e-3), 1e-5);
}

TEST(Dialects, VeryOldSequentialAndCurrentConfigsUnchanged) {
  Json bare = Json::parse(R"({"class_name": "Sequential", "config": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "name": "in"}},
      {"class_name": "Dense", "config": {"name": "d", "units": 1}}]})");
  keras::Model model = keras::model_from_json(bare.dump());
  EXPECT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(keras::shape_to_string(model.inputs()[0].shape()), "(None, 2)");
  // A 3.16 config passes through untouched.
  KerasFile current = read_keras(fixture_file("nested_models"));
  EXPECT_EQ(saving::normalize_config_dialect(current.config), current.config);
}

TEST(Dialects, Keras2NodeReferencingTheInternalNodeIsAnError) {
  Json config = as_keras2_model(
      read_keras(keras_test::data_path("format-examples") / "ex8_nested_functional_dict_outputs.keras").config,
      {.legacy_h5 = true});
  config["config"]["layers"][2]["inbound_nodes"] = Json::parse(R"([[["inner", 0, 0, {}]]])");
  EXPECT_THROW(keras::model_from_json(config.dump()), keras::FormatError);
}

}  // namespace
