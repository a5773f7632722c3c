#include "saving/dialects.hpp"

#include <map>
#include <set>

#include "keras/error.hpp"

namespace keras::saving {

namespace {

// ------------------------------------------------ the legacy JSON encoder

// json_utils.decode of Keras 2 / legacy HDF5 JSON: tuples and TensorShapes
// are lists; ellipsis and bytes take their Keras 3 envelope form.
Json decode_legacy_json(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(decode_legacy_json(item));
    return out;
  }
  if (!value.is_object()) return value;
  if (auto cls = value.find("class_name"); cls != value.end() && cls->is_string() && !value.contains("config")) {
    const auto& name = cls->get_ref<const std::string&>();
    if ((name == "__tuple__" || name == "TensorShape") && value.contains("items")) {
      const Json& items = value.at("items");
      return items.is_null() ? Json(nullptr) : decode_legacy_json(items);
    }
    if (name == "__ellipsis__") return Json{{"class_name", "__ellipsis__"}, {"config", Json::object()}};
    if (name == "__bytes__" && value.contains("value"))
      return Json{{"class_name", "__bytes__"}, {"config", {{"value", value.at("value")}}}};
  }
  Json out = Json::object();
  for (const auto& [key, item] : value.items()) out[key] = decode_legacy_json(item);
  return out;
}

// ------------------------------------------------ dialect detection

bool is_keras2_module(const Json& module) {
  if (!module.is_string()) return false;
  const auto& m = module.get_ref<const std::string&>();
  return m.starts_with("keras.engine") || m.starts_with("keras.src.engine");
}

// Whether the tree was written by Keras 2: list-form inbound nodes or the
// keras(.src).engine modules of Keras 2.12-2.15 `.keras` files.
bool looks_like_keras2(const Json& value) {
  if (value.is_array()) {
    for (const auto& item : value)
      if (looks_like_keras2(item)) return true;
    return false;
  }
  if (!value.is_object()) return false;
  if (auto it = value.find("module"); it != value.end() && is_keras2_module(*it)) return true;
  if (auto it = value.find("inbound_nodes"); it != value.end() && it->is_array()) {
    for (const auto& node : *it)
      if (node.is_array()) return true;
  }
  for (const auto& [key, item] : value.items())
    if (looks_like_keras2(item)) return true;
  return false;
}

// ------------------------------------------------ layer entries

struct Context {
  bool keras2 = false;
};

Json normalize_entry(const Json& entry, const Context& ctx);

bool is_class(const Json& entry, const char* name) {
  return entry.is_object() && entry.value("class_name", std::string()) == name;
}

// A nested model that Keras 2 gave an internal node 0: a Functional, or a
// Sequential whose config starts with an InputLayer.
bool is_keras2_graph_model(const Json& entry) {
  if (!entry.is_object() || !entry.contains("config") || !entry.at("config").is_object()) return false;
  const Json& config = entry.at("config");
  if (is_class(entry, "Sequential")) {
    auto it = config.find("layers");
    return it != config.end() && it->is_array() && !it->empty() && is_class(it->front(), "InputLayer");
  }
  return config.contains("layers") && config.contains("input_layers");
}

// The batch shape a Sequential's first layer asks for through Keras 1/2
// keyword arguments (batch_input_shape, input_shape, input_dim), or null.
Json requested_batch_shape(const Json& layer_config) {
  if (!layer_config.is_object()) return nullptr;
  if (auto it = layer_config.find("batch_input_shape"); it != layer_config.end() && it->is_array()) return *it;
  if (auto it = layer_config.find("input_shape"); it != layer_config.end() && it->is_array()) {
    Json shape = Json::array({nullptr});
    for (const auto& d : *it) shape.push_back(d);
    return shape;
  }
  if (auto it = layer_config.find("input_dim"); it != layer_config.end() && it->is_number_integer())
    return Json::array({nullptr, *it});
  return nullptr;
}

void normalize_sequential(Json& config, const Context& ctx) {
  auto it = config.find("layers");
  if (it == config.end() || !it->is_array()) return;
  Json& layers = *it;
  for (auto& layer : layers) layer = normalize_entry(layer, ctx);
  if (layers.empty() || is_class(layers.front(), "InputLayer")) return;
  const Json& first = layers.front();
  if (!first.is_object() || !first.contains("config")) return;
  Json batch_shape = requested_batch_shape(first.at("config"));
  if (batch_shape.is_null()) return;
  // What Keras 2 meant (and recorded itself when the model was built): an
  // Input of that batch shape ahead of the first layer.
  Json dtype = first.at("config").value("dtype", Json("float32"));
  if (!dtype.is_string()) dtype = "float32";
  Json input{{"class_name", "InputLayer"}, {"config", {{"batch_shape", batch_shape}, {"dtype", dtype}}}};
  if (first.contains("module")) {
    input = Json{{"module", "keras.layers"},
                 {"class_name", "InputLayer"},
                 {"config", input.at("config")},
                 {"registered_name", nullptr}};
  }
  layers.insert(layers.begin(), input);
}

// One Keras 2 reference [layer_name, node_index, tensor_index] as a
// Keras 3 __keras_tensor__, the node offset of nested graph models removed.
Json keras_tensor_ref(const Json& ref, const std::set<std::string>& graph_models, const std::string& model) {
  std::string name = ref[0].get<std::string>();
  std::int64_t node_index = ref[1].get<std::int64_t>();
  if (graph_models.count(name) != 0) --node_index;
  if (node_index < 0)
    throw FormatError("Functional model '" + model + "': the inbound node reference " + ref.dump() +
                      " points at the internal node of the nested model '" + name + "'");
  return Json{{"class_name", "__keras_tensor__"},
              {"config", {{"keras_history", Json::array({name, node_index, ref[2]})}}}};
}

bool is_reference(const Json& v, const std::set<std::string>& names) {
  return v.is_array() && (v.size() == 3 || v.size() == 4) && v[0].is_string() && v[1].is_number_integer() &&
         v[2].is_number_integer() && names.count(v[0].get<std::string>()) != 0;
}

// Call kwargs of a Keras 2 node: tensors appear as [layer_name, node, tensor].
Json convert_kwargs(const Json& value, const std::set<std::string>& layer_names,
                    const std::set<std::string>& graph_models, const std::string& model) {
  if (is_reference(value, layer_names)) return keras_tensor_ref(value, graph_models, model);
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(convert_kwargs(item, layer_names, graph_models, model));
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) out[key] = convert_kwargs(item, layer_names, graph_models, model);
    return out;
  }
  return value;
}

// [[name, node, tensor, kwargs], ...] -> {"args": [...], "kwargs": {...}}.
Json convert_list_node(const Json& node, const std::set<std::string>& layer_names,
                       const std::set<std::string>& graph_models, const std::string& model) {
  Json tensors = Json::array();
  Json kwargs = Json::object();
  for (const auto& entry : node) {
    if (!entry.is_array() || entry.size() < 3 || entry.size() > 4 || !entry[0].is_string())
      throw FormatError("Functional model '" + model + "': invalid inbound node entry " + entry.dump());
    if (entry[0] == "_CONSTANT_VALUE") {
      tensors.push_back(entry[2]);
    } else {
      if (!entry[1].is_number_integer() || !entry[2].is_number_integer())
        throw FormatError("Functional model '" + model + "': invalid inbound node entry " + entry.dump());
      tensors.push_back(keras_tensor_ref(entry, graph_models, model));
    }
    // Keras keeps the kwargs of the last entry.
    if (entry.size() == 4 && entry[3].is_object()) kwargs = convert_kwargs(entry[3], layer_names, graph_models, model);
  }
  Json args = Json::array();
  args.push_back(tensors.size() == 1 ? tensors[0] : tensors);
  return Json{{"args", args}, {"kwargs", kwargs}};
}

// input_layers / output_layers leaves of Keras 2 Sequential graph models
// carry node + 1 (the Functional loader removes it for Functionals only).
Json fix_io_structure(const Json& value, const std::set<std::string>& sequentials) {
  auto is_leaf = [](const Json& v) { return v.is_array() && v.size() == 3 && v[0].is_string(); };
  if (is_leaf(value)) {
    Json out = value;
    if (sequentials.count(value[0].get<std::string>()) != 0 && value[1].is_number_integer() &&
        value[1].get<std::int64_t>() > 0)
      out[1] = value[1].get<std::int64_t>() - 1;
    return out;
  }
  if (value.is_array() || value.is_object()) {
    Json out = value;
    for (auto& item : out) item = fix_io_structure(item, sequentials);
    return out;
  }
  return value;
}

void normalize_functional(Json& config, const Context& ctx) {
  Json& layers = config["layers"];
  if (!layers.is_array()) return;
  const std::string model = config.value("name", std::string("functional"));
  std::set<std::string> layer_names;
  std::set<std::string> graph_models;
  std::set<std::string> graph_sequentials;
  bool list_nodes = false;
  for (auto& entry : layers) {
    entry = normalize_entry(entry, ctx);
    if (!entry.is_object()) continue;
    std::string name = entry.value("name", std::string());
    if (name.empty() && entry.contains("config") && entry.at("config").is_object())
      name = entry.at("config").value("name", std::string());
    layer_names.insert(name);
    if (is_keras2_graph_model(entry)) {
      graph_models.insert(name);
      if (is_class(entry, "Sequential")) graph_sequentials.insert(name);
    }
    if (auto it = entry.find("inbound_nodes"); it != entry.end() && it->is_array()) {
      for (const auto& node : *it) list_nodes = list_nodes || node.is_array();
    }
  }
  if (!list_nodes) return;
  for (auto& entry : layers) {
    if (!entry.is_object()) continue;
    auto it = entry.find("inbound_nodes");
    if (it == entry.end() || !it->is_array()) continue;
    for (auto& node : *it) {
      if (node.is_array()) node = convert_list_node(node, layer_names, graph_models, model);
    }
  }
  for (const char* key : {"input_layers", "output_layers"}) {
    if (auto it = config.find(key); it != config.end()) *it = fix_io_structure(*it, graph_sequentials);
  }
}

Json normalize_entry(const Json& input, const Context& ctx) {
  if (!input.is_object() || !input.contains("class_name")) return input;
  Json entry = input;
  const bool legacy = !entry.contains("module") || ctx.keras2;
  const std::string class_name = entry.value("class_name", std::string());
  if (class_name == "Sequential" && entry.contains("config") && entry.at("config").is_array()) {
    // Very old Sequential configs: a bare list of layers.
    entry["config"] = Json{{"name", "sequential"}, {"layers", entry.at("config")}};
  }
  auto cit = entry.find("config");
  if (cit == entry.end() || !cit->is_object()) return entry;
  Json& config = *cit;
  if (legacy) {
    // Keras' legacy model_from_config, applied to every layer entry.
    if (auto axis = config.find("axis"); axis != config.end()) {
      if (axis->is_array() && axis->size() == 1 && axis->front().is_number())
        *axis = axis->front().get<std::int64_t>();
      else if (axis->is_number_float())
        *axis = axis->get<std::int64_t>();
    }
    if (class_name == "InputLayer") {
      if (auto shape = config.find("batch_input_shape"); shape != config.end()) {
        if (!config.contains("batch_shape")) config["batch_shape"] = *shape;
        config.erase("batch_input_shape");
      }
    }
  }
  if (class_name == "Sequential") {
    normalize_sequential(config, ctx);
  } else if (config.contains("layers") && config.contains("input_layers")) {
    normalize_functional(config, ctx);
  }
  // Layers held by wrappers and RNNs.
  for (const char* key : {"layer", "backward_layer", "forward_layer", "cell"}) {
    if (auto it = config.find(key); it != config.end() && it->is_object()) *it = normalize_entry(*it, ctx);
  }
  if (auto it = config.find("cells"); it != config.end() && it->is_array()) {
    for (auto& cell : *it) cell = normalize_entry(cell, ctx);
  }
  return entry;
}

// ------------------------------------------------ Keras 2.12-2.14 weight paths

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

std::string next_name(std::map<std::string, int>& used, const std::string& base) {
  auto [it, fresh] = used.emplace(base, 0);
  return fresh ? base : base + "_" + std::to_string(++it->second);
}

// Keras 2's _layer_checkpoint_dependencies lists every layer with weights
// twice ("layer_with_weights-i", then "layer-j"); the container walk numbers
// both entries and writes the first.
void map_container(const Layer& owner, const std::string& keras3, const std::string& keras2,
                   std::set<const Layer*>& seen, std::vector<std::pair<std::string, std::string>>& out) {
  std::map<std::string, int> used3;
  std::map<std::string, int> used2;
  for (const auto& item : owner.layer_list()) {
    const std::string base = to_snake_case(item->python_class_name());
    const std::string name3 = next_name(used3, base);
    const std::string name2 = next_name(used2, base);
    if (!item->weights().empty()) next_name(used2, base);
    if (!seen.insert(item.get()).second) continue;
    const std::string path3 = join(keras3, owner.layer_list_attribute() + "/" + name3);
    const std::string path2 = join(keras2, "_layer_checkpoint_dependencies/" + name2);
    out.emplace_back(path3, path2);
    if (!item->layer_list().empty() || dynamic_cast<const ModelImpl*>(item.get()) != nullptr)
      map_container(*item, path3, path2, seen, out);
  }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

Json normalize_config_dialect(const Json& envelope) {
  Json decoded = decode_legacy_json(envelope);
  Context ctx;
  ctx.keras2 = looks_like_keras2(decoded);
  return normalize_entry(decoded, ctx);
}

std::vector<std::pair<std::string, std::string>> checkpoint_dependency_paths(const ModelImpl& model) {
  std::vector<std::pair<std::string, std::string>> containers;
  std::set<const Layer*> seen{&model};
  map_container(model, "", "", seen, containers);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : walk_model(model)) {
    // The longest container item that is this path or one of its ancestors.
    const std::pair<std::string, std::string>* best = nullptr;
    for (const auto& c : containers) {
      const bool covers = entry.path == c.first || entry.path.starts_with(c.first + "/");
      if (covers && (best == nullptr || c.first.size() > best->first.size())) best = &c;
    }
    out.emplace_back(entry.path, best == nullptr ? entry.path : best->second + entry.path.substr(best->first.size()));
  }
  return out;
}

VarsGroupLookup vars_group_lookup(const ModelImpl& model, const H5Group& root) {
  std::map<std::string, std::string> keras2_paths;
  const bool has_dependencies = root.has_group("_layer_checkpoint_dependencies");
  if (has_dependencies) {
    for (auto& [path3, path2] : checkpoint_dependency_paths(model)) keras2_paths.emplace(path3, path2);
  }
  return [&root, has_dependencies, keras2_paths = std::move(keras2_paths)](const std::string& path) {
    std::vector<H5Group> groups;
    auto try_path = [&](const std::string& p) {
      if (groups.empty() && has_vars_group(root, p)) groups.push_back(open_vars_group(root, p));
    };
    try_path(path);
    if (has_dependencies && !path.empty()) {
      if (auto it = keras2_paths.find(path); it != keras2_paths.end()) try_path(it->second);
      try_path(replace_all(path, "layers", "_layer_checkpoint_dependencies"));  // Keras 3's own fallback
    }
    return groups;
  };
}

}  // namespace keras::saving
