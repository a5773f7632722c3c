// A Functional model's config both ways (spec §3.9): writing the layer
// entries with their inbound nodes, and rebuilding the graph from them.
#include <algorithm>
#include <functional>
#include <map>

#include "graph/registry.hpp"
#include "layers/core/input_layer.hpp"
#include "models/functional.hpp"

namespace keras::detail {

namespace {

// Index of `node` among the calls of its operation that belong to `owner`.
int own_node_index(const Node* node, const FunctionalImpl& owner) {
  const auto& calls = node->operation->inbound_nodes();
  int index = 0;
  for (const auto& weak : calls) {
    auto call = weak.lock();
    if (call.get() == node) return index;
    if (call && owner.owns_node(call.get())) ++index;
  }
  throw ValueError("Internal error: node of '" + node->operation->name() + "' not found among its calls");
}

}  // namespace

Json FunctionalImpl::get_config() const {
  Json config{{"name", name()}, {"trainable", trainable()}};
  // Node indices as saved: only this model's calls count, and a nested
  // Functional's first call is numbered 1 in input_layers/output_layers.
  std::map<const Node*, int> reindexed;
  for (const auto& op : operations_) {
    int kept = dynamic_cast<const FunctionalImpl*>(op.get()) != nullptr ? 1 : 0;
    for (const auto& weak : op->inbound_nodes()) {
      auto node = weak.lock();
      if (node && owns_node(node.get())) reindexed[node.get()] = kept++;
    }
  }
  std::function<Json(const Json&, const Node&)> serialize_template = [&](const Json& value, const Node& node) -> Json {
    if (CallArgs::is_ref(value)) {
      const KerasTensor& t = node.inputs.at(value.at("__tensor__").get<std::size_t>());
      return Json{{"class_name", "__keras_tensor__"},
                  {"config",
                   {{"shape", shape_to_json(t.shape())},
                    {"dtype", dtype_name(t.dtype())},
                    {"keras_history",
                     Json::array({t.node()->operation->name(), own_node_index(t.node().get(), *this), t.index()})}}}};
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (const auto& item : value) out.push_back(serialize_template(item, node));
      return out;
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [key, item] : value.items()) out[key] = serialize_template(item, node);
      return out;
    }
    return value;
  };
  Json layers = Json::array();
  for (const auto& op : operations_) {
    Json entry = envelope_of(*op);
    Json inbound = Json::array();
    for (const auto& weak : op->inbound_nodes()) {
      auto node = weak.lock();
      if (!node || !owns_node(node.get()) || node->inputs.empty()) continue;
      inbound.push_back(
          Json{{"args", serialize_template(node->args, *node)}, {"kwargs", serialize_template(node->kwargs, *node)}});
    }
    entry["name"] = op->name();
    entry["inbound_nodes"] = inbound;
    layers.push_back(entry);
  }
  config["layers"] = layers;
  auto triple = [&](const KerasTensor& t) {
    return Json::array({t.node()->operation->name(), reindexed.at(t.node().get()), t.index()});
  };
  auto structure = [&](const std::vector<KerasTensor>& tensors, const TensorStructure& s) -> Json {
    if (s.kind == TensorStructure::Kind::single) return triple(tensors.at(0));
    if (s.kind == TensorStructure::Kind::list) {
      Json out = Json::array();
      for (const auto& t : tensors) out.push_back(triple(t));
      return out;
    }
    Json out = Json::object();
    auto sorted = sorted_keys(s);
    for (const auto& key : s.keys) {
      auto pos = std::find(sorted.begin(), sorted.end(), key) - sorted.begin();
      out[key] = triple(tensors.at(static_cast<std::size_t>(pos)));
    }
    return out;
  };
  config["input_layers"] = structure(inputs_, input_structure_);
  config["output_layers"] = structure(outputs_, output_structure_);
  return config;
}

// ------------------------------------------------------------- from config

namespace {

bool is_triple(const Json& v) {
  return v.is_array() && v.size() == 3 && v[0].is_string() && v[1].is_number_integer() && v[2].is_number_integer();
}

struct Rebuilder {
  std::map<std::string, OperationPtr> created;
  std::map<std::string, std::vector<std::vector<KerasTensor>>> calls;
  std::string model_name;

  // Resolves a keras_history reference; nullopt while its call does not exist yet.
  std::optional<KerasTensor> resolve(const std::string& op_name, std::size_t node_index, std::size_t tensor_index) {
    auto it = calls.find(op_name);
    if (created.count(op_name) == 0)
      throw FormatError("Functional model '" + model_name + "' refers to an unknown layer '" + op_name + "'");
    if (it == calls.end() || node_index >= it->second.size()) return std::nullopt;
    const auto& outputs = it->second[node_index];
    if (tensor_index >= outputs.size())
      throw FormatError("Functional model '" + model_name + "': layer '" + op_name + "' has no output " +
                        std::to_string(tensor_index));
    return outputs[tensor_index];
  }

  // Replaces __keras_tensor__ entries by {"__tensor__": i}; false if unresolved.
  static std::string class_name_of(const Json& value) {
    if (!value.is_object()) return "";
    auto it = value.find("class_name");
    return it != value.end() && it->is_string() ? it->get<std::string>() : "";
  }

  bool to_template(const Json& value, Json& out, std::vector<KerasTensor>& inputs) {
    if (class_name_of(value) == "__keras_tensor__") {
      auto config = value.find("config");
      if (config == value.end() || !config->is_object() || !config->contains("keras_history"))
        throw FormatError("A __keras_tensor__ in model '" + model_name + "' has no keras_history: " + value.dump());
      const Json& history = config->at("keras_history");
      if (!is_triple(history))
        throw FormatError("Invalid keras_history in model '" + model_name + "': " + history.dump());
      auto t = resolve(history[0].get<std::string>(), history[1].get<std::size_t>(), history[2].get<std::size_t>());
      if (!t) return false;
      inputs.push_back(*t);
      out = Json{{"__tensor__", inputs.size() - 1}};
      return true;
    }
    if (class_name_of(value) == "__lambda__")
      throw UnsafeContentError("Requested the deserialization of a Python lambda in model '" + model_name +
                               "'. keras-cpp never executes Python code.");
    if (value.is_array()) {
      out = Json::array();
      for (const auto& item : value) {
        Json converted;
        if (!to_template(item, converted, inputs)) return false;
        out.push_back(converted);
      }
      return true;
    }
    if (value.is_object()) {
      out = Json::object();
      for (const auto& [key, item] : value.items()) {
        Json converted;
        if (!to_template(item, converted, inputs)) return false;
        out[key] = converted;
      }
      return true;
    }
    out = value;
    return true;
  }

  // Keras 2's list form [[name, node, tensor, kwargs], ...] to the dict form.
  static Json modernize_node(const Json& node) {
    if (node.is_object()) return node;
    if (!node.is_array()) throw FormatError("Invalid inbound node: " + node.dump());
    Json tensors = Json::array();
    Json kwargs = Json::object();
    for (const auto& entry : node) {
      if (!entry.is_array() || entry.size() < 3) throw FormatError("Invalid inbound node entry: " + entry.dump());
      tensors.push_back(Json{{"class_name", "__keras_tensor__"},
                             {"config", {{"keras_history", Json::array({entry[0], entry[1], entry[2]})}}}});
      if (entry.size() > 3 && entry[3].is_object()) kwargs = entry[3];
    }
    Json args = Json::array();
    args.push_back(tensors.size() == 1 ? tensors[0] : tensors);
    return Json{{"args", args}, {"kwargs", kwargs}};
  }
};

}  // namespace

namespace {

std::shared_ptr<FunctionalImpl> rebuild_functional(const Json& config) {
  if (!config.is_object() || !config.contains("layers") || !config.at("layers").is_array())
    throw FormatError("A Functional model config needs a 'layers' list");
  for (const char* key : {"input_layers", "output_layers"}) {
    if (!config.contains(key)) throw FormatError(std::string("A Functional model config needs '") + key + "'");
  }
  Rebuilder rb;
  rb.model_name = config.contains("name") && config.at("name").is_string() ? config.at("name").get<std::string>()
                                                                           : std::string("functional");
  struct Pending {
    OperationPtr op;
    std::vector<Json> nodes;
    std::size_t next = 0;
  };
  std::vector<Pending> pending;
  for (const auto& entry : config.at("layers")) {
    OperationPtr op = operation_from_envelope(entry);
    std::string name =
        entry.contains("name") && entry.at("name").is_string() ? entry.at("name").get<std::string>() : op->name();
    if (rb.created.count(name) != 0)
      throw FormatError("Functional model '" + rb.model_name + "' has two layers named '" + name + "'");
    rb.created[name] = op;
    if (auto* input = dynamic_cast<InputLayerImpl*>(op.get())) {
      rb.calls[name].push_back({input->output()});
      continue;
    }
    Pending p{op, {}, 0};
    if (auto it = entry.find("inbound_nodes"); it != entry.end() && it->is_array()) {
      for (const auto& node : *it) p.nodes.push_back(Rebuilder::modernize_node(node));
    }
    pending.push_back(std::move(p));
  }
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& p : pending) {
      while (p.next < p.nodes.size()) {
        const Json& node = p.nodes[p.next];
        std::vector<KerasTensor> inputs;
        Json args;
        Json kwargs;
        Json node_args = node.contains("args") ? node.at("args") : Json::array();
        Json node_kwargs = node.contains("kwargs") ? node.at("kwargs") : Json::object();
        if (!node_args.is_array() || !node_kwargs.is_object())
          throw FormatError("Functional model '" + rb.model_name + "': an inbound node of '" + p.op->name() +
                            "' needs an 'args' list and a 'kwargs' object");
        if (!rb.to_template(node_args, args, inputs)) break;
        if (!rb.to_template(node_kwargs, kwargs, inputs)) break;
        auto outputs = call_operation_templates(p.op, args, kwargs, inputs);
        rb.calls[p.op->name()].push_back(outputs);
        ++p.next;
        progress = true;
      }
    }
  }
  std::string unresolved;
  for (const auto& p : pending) {
    if (p.next < p.nodes.size()) unresolved += (unresolved.empty() ? "" : ", ") + p.op->name();
  }
  if (!unresolved.empty())
    throw FormatError(
        "Invalid Functional model configuration. The graph of the Functional model either has loops or "
        "disconnected nodes. The following nodes failed to be resolved: " +
        unresolved);

  auto resolve_leaf = [&](const Json& leaf) {
    if (!is_triple(leaf))
      throw FormatError("Invalid input/output entry in model '" + rb.model_name + "': " + leaf.dump());
    std::string name = leaf[0].get<std::string>();
    auto node_index = leaf[1].get<std::int64_t>();
    if (auto it = rb.created.find(name); it != rb.created.end() && dynamic_cast<FunctionalImpl*>(it->second.get()))
      node_index -= 1;  // nested Functional offset (spec §3.9)
    if (node_index < 0) throw FormatError("Invalid node index in model '" + rb.model_name + "': " + leaf.dump());
    auto t = rb.resolve(name, static_cast<std::size_t>(node_index), leaf[2].get<std::size_t>());
    if (!t) throw FormatError("Model '" + rb.model_name + "' refers to a missing call: " + leaf.dump());
    return *t;
  };
  auto read_structure = [&](const Json& value, TensorStructure& s) {
    std::vector<KerasTensor> tensors;
    if (is_triple(value)) {
      s.kind = TensorStructure::Kind::single;
      tensors.push_back(resolve_leaf(value));
    } else if (value.is_array()) {
      s.kind = TensorStructure::Kind::list;
      for (const auto& leaf : value) {
        if (!is_triple(leaf)) throw FormatError("Invalid input/output entry in model '" + rb.model_name + "'");
        tensors.push_back(resolve_leaf(leaf));
      }
    } else if (value.is_object()) {
      s.kind = TensorStructure::Kind::dict;
      for (const auto& [key, leaf] : value.items()) s.keys.push_back(key);
      for (const auto& key : sorted_keys(s)) tensors.push_back(resolve_leaf(value.at(key)));
    } else {
      throw FormatError("Invalid input_layers/output_layers in model '" + rb.model_name + "'");
    }
    return tensors;
  };
  TensorStructure in_s;
  TensorStructure out_s;
  auto inputs = read_structure(config.at("input_layers"), in_s);
  auto outputs = read_structure(config.at("output_layers"), out_s);
  bool trainable =
      !config.contains("trainable") || !config.at("trainable").is_boolean() || config.at("trainable").get<bool>();
  return std::make_shared<FunctionalImpl>(inputs, in_s, outputs, out_s, rb.model_name, trainable);
}

}  // namespace

std::shared_ptr<FunctionalImpl> functional_from_config(const Json& config) {
  try {
    return rebuild_functional(config);
  } catch (const nlohmann::ordered_json::exception& e) {
    // A value of the wrong JSON type somewhere in the graph description.
    throw FormatError(std::string("Invalid Functional model configuration: ") + e.what());
  }
}

}  // namespace keras::detail
