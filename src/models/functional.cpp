// Functional models: graph mapping in Keras' order, execution, and config
// both ways (keras/src/models/functional.py, keras/src/ops/function.py).
#include "models/functional.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "graph/registry.hpp"
#include "layers/core/input_layer.hpp"

namespace keras::detail {

namespace {

bool is_input_node(const Node& node) {
  return node.inputs.empty() && dynamic_cast<const InputLayerImpl*>(node.operation.get()) != nullptr;
}

std::vector<std::string> sorted_keys(const TensorStructure& s) {
  std::vector<std::string> keys = s.keys;
  std::sort(keys.begin(), keys.end());
  return keys;
}

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

FunctionalImpl::FunctionalImpl(std::vector<KerasTensor> inputs, TensorStructure input_structure,
                               std::vector<KerasTensor> outputs, TensorStructure output_structure,
                               const std::string& name, bool trainable)
    : ModelImpl(LayerBaseOptions{name, std::nullopt, trainable}, "functional"),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      input_structure_(std::move(input_structure)),
      output_structure_(std::move(output_structure)) {
  if (outputs_.empty()) throw ValueError("A Functional model needs at least one output");
  for (const auto& t : inputs_) {
    if (!t.defined()) throw ValueError("Functional model '" + this->name() + "' has an undefined input");
  }
  map_graph();
  std::vector<Shape> shapes;
  for (const auto& t : inputs_) shapes.push_back(t.shape());
  build_for(shapes, inputs_.size() > 1);
}

void FunctionalImpl::map_graph() {
  std::vector<std::shared_ptr<Node>> ordered;  // inputs -> outputs (DFS post-order)
  std::set<const Node*> finished;
  std::set<const Node*> in_progress;
  std::map<const Operation*, int> operation_indices;
  std::map<const Operation*, OperationPtr> operation_ptrs;

  auto is_declared_input = [&](const KerasTensor& t) {
    return std::find(inputs_.begin(), inputs_.end(), t) != inputs_.end();
  };
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& tensor) {
    const auto& node = tensor.node();
    if (finished.count(node.get()) != 0) return;
    if (!is_input_node(*node) && is_declared_input(tensor)) {
      finished.insert(node.get());
      return;
    }
    if (in_progress.count(node.get()) != 0)
      throw ValueError("Tensor from operation '" + node->operation->name() + "' is part of a cycle.");
    const Operation* op = node->operation.get();
    if (operation_indices.count(op) == 0) {
      operation_indices[op] = static_cast<int>(operation_indices.size());
      operation_ptrs[op] = node->operation;
    }
    in_progress.insert(node.get());
    if (!is_input_node(*node)) {
      for (const auto& input : node->inputs) visit(input);
    }
    finished.insert(node.get());
    in_progress.erase(node.get());
    ordered.push_back(node);
  };
  for (const auto& out : outputs_) visit(out);

  std::set<const Node*> in_graph;
  for (const auto& n : ordered) in_graph.insert(n.get());

  std::map<const Node*, int> node_depths;
  std::map<const Operation*, int> op_depths;
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
    const Node* node = it->get();
    int depth = node_depths.emplace(node, 0).first->second;
    depth = std::max(depth, op_depths.count(node->operation.get()) ? op_depths[node->operation.get()] : 0);
    op_depths[node->operation.get()] = depth;
    node_depths[node] = depth;
    for (const auto& input : node->inputs) {
      const Node* parent = input.node().get();
      if (in_graph.count(parent) == 0) continue;
      int previous = node_depths.count(parent) ? node_depths[parent] : 0;
      node_depths[parent] = std::max(depth + 1, previous);
    }
  }
  // Inputs not connected to any output still belong to the model.
  for (const auto& input : inputs_) {
    const auto& node = input.node();
    if (op_depths.count(node->operation.get()) == 0 && is_input_node(*node)) {
      op_depths[node->operation.get()] = 0;
      operation_indices[node->operation.get()] = -1;
      operation_ptrs[node->operation.get()] = node->operation;
      node_depths[node.get()] = 0;
      ordered.insert(ordered.begin(), node);
    }
  }

  std::vector<const Operation*> ops;
  for (const auto& [op, depth] : op_depths) ops.push_back(op);
  std::sort(ops.begin(), ops.end(), [&](const Operation* a, const Operation* b) {
    if (op_depths[a] != op_depths[b]) return op_depths[a] > op_depths[b];
    return operation_indices[a] < operation_indices[b];
  });
  operations_.clear();
  for (const Operation* op : ops) operations_.push_back(operation_ptrs[op]);

  // Keras requires unique operation names: configs refer to operations by name.
  std::set<std::string> names;
  for (const auto& op : operations_) {
    if (!names.insert(op->name()).second)
      throw ValueError("The name \"" + op->name() +
                       "\" is used more than once in the model. "
                       "All operation names should be unique.");
  }
  // Every input a node needs must be computable from the model inputs.
  std::set<std::pair<const Node*, int>> computable;
  for (const auto& t : inputs_) computable.insert({t.node().get(), t.index()});
  execution_order_.clear();
  std::vector<std::shared_ptr<Node>> by_depth = ordered;
  std::stable_sort(by_depth.begin(), by_depth.end(),
                   [&](const auto& a, const auto& b) { return node_depths[a.get()] > node_depths[b.get()]; });
  for (const auto& node : by_depth) {
    if (!is_input_node(*node) || computable.count({node.get(), 0}) == 0) {
      for (const auto& x : node->inputs) {
        if (computable.count({x.node().get(), x.index()}) == 0)
          throw ValueError("Graph disconnected: cannot find parent for a tensor at operation '" +
                           node->operation->name() + "'");
      }
    }
    for (int i = 0; i < static_cast<int>(node->output_specs.size()); ++i) computable.insert({node.get(), i});
    own_nodes_.insert(node.get());
  }
  plan_execution();
}

// The nodes to run, in dependency order: the graph itself plus the nodes
// that compute masks Keras hands to layers at call time without recording
// them in the graph, and the masks of the outputs (needed when this model is
// a layer of another one). Those extra nodes are not part of the config.
void FunctionalImpl::plan_execution() {
  std::set<std::pair<const Node*, int>> declared;
  for (const auto& t : inputs_) declared.insert({t.node().get(), t.index()});
  std::map<const Node*, bool> computable;
  std::function<bool(const KerasTensor&)> can_compute = [&](const KerasTensor& t) -> bool {
    if (declared.count({t.node().get(), t.index()}) != 0) return true;
    const Node* node = t.node().get();
    if (auto it = computable.find(node); it != computable.end()) return it->second;
    computable[node] = false;  // also stops cycles
    if (is_input_node(*node)) return false;
    for (const auto& x : node->inputs) {
      if (!can_compute(x)) return false;
    }
    computable[node] = true;
    return true;
  };
  execution_order_.clear();
  std::set<const Node*> visited;
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& t) {
    if (declared.count({t.node().get(), t.index()}) != 0) return;
    const auto& node = t.node();
    if (!visited.insert(node.get()).second) return;
    for (const auto& x : node->inputs) visit(x);
    if (auto source = mask_source_of(*node)) {
      if (auto mask = source->keras_mask(); mask && can_compute(*mask)) visit(*mask);
    }
    execution_order_.push_back(node);
  };
  for (const auto& out : outputs_) visit(out);
  output_masks_.clear();
  for (const auto& out : outputs_) {
    auto mask = out.keras_mask();
    if (mask && can_compute(*mask)) {
      visit(*mask);
      output_masks_.push_back(*mask);
    } else {
      output_masks_.emplace_back();
    }
  }
}

std::vector<std::shared_ptr<Layer>> FunctionalImpl::layer_list() const {
  std::vector<std::shared_ptr<Layer>> out;
  for (const auto& op : operations_) {
    if (op->is_layer()) out.push_back(std::static_pointer_cast<Layer>(op));
  }
  return out;
}

std::vector<std::string> FunctionalImpl::input_names() const {
  if (input_structure_.kind == TensorStructure::Kind::dict) return sorted_keys(input_structure_);
  std::vector<std::string> names;
  for (const auto& t : inputs_) names.push_back(t.node()->operation->name());
  return names;
}

std::vector<std::string> FunctionalImpl::output_names() const {
  if (output_structure_.kind == TensorStructure::Kind::dict) return sorted_keys(output_structure_);
  std::vector<std::string> names;
  for (const auto& t : outputs_) names.push_back(t.node()->operation->name());
  return names;
}

Tensor conform_input(const Tensor& value, const TensorSpec& spec, const std::string& input_name) {
  if (!value.defined()) throw ValueError("Input '" + input_name + "' has no data");
  bool ok = value.rank() == static_cast<int>(spec.shape.size());
  for (std::size_t i = 0; ok && i < spec.shape.size(); ++i) {
    if (spec.shape[i] >= 0 && spec.shape[i] != value.shape()[i]) ok = false;
  }
  if (!ok)
    throw ShapeMismatchError("Input '" + input_name + "' is incompatible with the layer: expected shape=" +
                             shape_to_string(spec.shape) + ", found shape=" + shape_to_string(value.shape()));
  if (value.dtype() == spec.dtype) return value;
  if (is_floating(value.dtype()) && !is_floating(spec.dtype) && spec.dtype != DType::bool_)
    throw ValueError("Input '" + input_name + "' expects dtype " + dtype_name(spec.dtype) + ", got " +
                     dtype_name(value.dtype()) + " (float data for an integer input)");
  return value.astype(spec.dtype);
}

std::optional<KerasTensor> mask_source_of(const Node& node) {
  if (!node.operation->is_layer() || !static_cast<const Layer&>(*node.operation).call_accepts_mask())
    return std::nullopt;
  if (auto it = node.kwargs.find("mask"); it != node.kwargs.end() && !it->is_null()) return std::nullopt;
  const Json* only = nullptr;
  int count = 0;
  for (const auto& a : node.args) {
    if (is_tensor_argument(a)) {
      ++count;
      only = &a;
    }
  }
  for (const auto& [key, a] : node.kwargs.items()) {
    if (is_tensor_argument(a)) {
      ++count;
      only = &a;
    }
  }
  if (count != 1 || !CallArgs::is_ref(*only)) return std::nullopt;
  return node.inputs.at(only->at("__tensor__").get<std::size_t>());
}

std::vector<Tensor> execute_graph(const std::vector<std::shared_ptr<Node>>& nodes,
                                  const std::vector<KerasTensor>& sources, const std::vector<Tensor>& source_values,
                                  const std::vector<KerasTensor>& wanted, bool training,
                                  const std::vector<Tensor>& source_masks, std::vector<Tensor>* wanted_masks) {
  using Key = std::pair<const Node*, int>;
  auto key_of = [](const KerasTensor& t) { return Key{t.node().get(), t.index()}; };
  std::map<Key, Tensor> values;
  // Masks known only at run time: given with the inputs, returned by nested
  // models, or passed on by layers that support masking.
  std::map<Key, Tensor> runtime_masks;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    values[key_of(sources[i])] = source_values[i];
    if (i < source_masks.size() && source_masks[i].defined()) runtime_masks[key_of(sources[i])] = source_masks[i];
  }
  auto mask_of = [&](const KerasTensor& t) -> Tensor {
    if (auto it = runtime_masks.find(key_of(t)); it != runtime_masks.end()) return it->second;
    if (auto mask = t.keras_mask()) {
      if (auto it = values.find(key_of(*mask)); it != values.end()) return it->second;
    }
    return {};
  };
  for (const auto& node : nodes) {
    if (values.count({node.get(), 0}) != 0) continue;  // a source
    CallArgs args;
    args.args = node->args;
    args.kwargs = node->kwargs;
    args.training = training;
    args.tensors.reserve(node->inputs.size() + 1);
    for (const auto& input : node->inputs) {
      auto it = values.find(key_of(input));
      if (it == values.end())
        throw ValueError("Missing a value for an input of operation '" + node->operation->name() + "'");
      args.tensors.push_back(it->second);
    }
    if (auto source = mask_source_of(*node)) {
      if (Tensor mask = mask_of(*source); mask.defined()) {
        args.tensors.push_back(mask);
        args.kwargs["mask"] = Json{{"__tensor__", args.tensors.size() - 1}};
      }
    }
    std::vector<Tensor> outputs;
    std::vector<Tensor> output_masks;
    if (auto* model = dynamic_cast<MaskedCallable*>(node->operation.get())) {
      auto result = model->call_masked(args);
      outputs = std::move(result.outputs);
      output_masks = std::move(result.masks);
    } else {
      outputs = node->operation->call(args);
    }
    if (outputs.size() != node->output_specs.size())
      throw ValueError("Operation '" + node->operation->name() + "' returned " + std::to_string(outputs.size()) +
                       " outputs, expected " + std::to_string(node->output_specs.size()));
    const auto* layer = node->operation->is_layer() ? static_cast<const Layer*>(node->operation.get()) : nullptr;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      Key out{node.get(), static_cast<int>(i)};
      values[out] = std::move(outputs[i]);
      if (i < output_masks.size() && output_masks[i].defined()) {
        runtime_masks[out] = output_masks[i];
      } else if (layer != nullptr && layer->supports_masking() &&
                 !KerasTensor(node, static_cast<int>(i)).keras_mask() && !node->args.empty() &&
                 CallArgs::is_ref(node->args[0])) {
        // A run-time mask the graph never saw (from a nested model) goes
        // through layers that support masking, as compute_mask's default does.
        auto first = key_of(node->inputs.at(node->args[0].at("__tensor__").get<std::size_t>()));
        if (auto it = runtime_masks.find(first); it != runtime_masks.end()) runtime_masks[out] = it->second;
      }
    }
  }
  std::vector<Tensor> out;
  for (const auto& t : wanted) {
    auto it = values.find(key_of(t));
    if (it == values.end()) throw ValueError("Graph output was not computed");
    out.push_back(it->second);
    if (wanted_masks != nullptr) wanted_masks->push_back(mask_of(t));
  }
  return out;
}

std::vector<Tensor> FunctionalImpl::run(const std::vector<Tensor>& inputs, bool training) {
  return run_masked(inputs, {}, training).outputs;
}

MaskedRun FunctionalImpl::run_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& input_masks,
                                     bool training) {
  if (inputs.size() != inputs_.size())
    throw ValueError("Model '" + name() + "' expects " + std::to_string(inputs_.size()) +
                     " input(s), but it received " + std::to_string(inputs.size()) + " input tensors");
  std::vector<Tensor> conformed;
  auto names = input_names();
  for (std::size_t i = 0; i < inputs.size(); ++i)
    conformed.push_back(conform_input(inputs[i], inputs_[i].spec(), names[i]));
  bool masked = std::any_of(input_masks.begin(), input_masks.end(), [](const Tensor& m) { return m.defined(); });
  if (masked) {
    auto variant = masked_variant(input_masks);
    std::vector<Tensor> variant_inputs = conformed;
    for (std::size_t i = 0; i < input_masks.size() && i < inputs_.size(); ++i) {
      if (input_masks[i].defined()) variant_inputs.push_back(input_masks[i]);
    }
    return variant->run_masked(variant_inputs, {}, training);
  }
  MaskedRun result;
  result.outputs = execute_graph(execution_order_, inputs_, conformed, outputs_, training, {}, &result.masks);
  return result;
}

std::vector<Tensor> FunctionalImpl::masks_from_call(const CallArgs& args) const {
  const Json* mask = args.kwarg("mask");
  if (mask == nullptr || mask->is_null()) return {};
  std::vector<Tensor> masks;
  // Keras flattens the mask structure (dict keys sorted) and pairs it with the inputs.
  std::function<void(const Json&)> flatten = [&](const Json& value) {
    if (CallArgs::is_ref(value)) {
      masks.push_back(args.ref(value));
    } else if (value.is_null()) {
      masks.emplace_back();
    } else if (value.is_array()) {
      for (const auto& item : value) flatten(item);
    } else if (value.is_object()) {
      std::vector<std::string> keys;
      for (const auto& [key, item] : value.items()) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      for (const auto& key : keys) flatten(value.at(key));
    } else {
      throw ValueError("Model '" + name() + "': invalid mask argument " + value.dump());
    }
  };
  flatten(*mask);
  return masks;
}

std::shared_ptr<FunctionalImpl> FunctionalImpl::masked_variant(const std::vector<Tensor>& input_masks) {
  std::string key;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    if (i < input_masks.size() && input_masks[i].defined()) {
      const Shape& shape = input_masks[i].shape();
      key += dtype_name(input_masks[i].dtype()) +
             shape_to_string(Shape(shape.begin() + (shape.empty() ? 0 : 1), shape.end()));
    }
    key += ";";
  }
  if (auto it = masked_variants_.find(key); it != masked_variants_.end()) return it->second;

  using Key = std::pair<const Node*, int>;
  std::map<Key, KerasTensor> remap;
  std::vector<KerasTensor> variant_inputs;
  std::vector<KerasTensor> mask_inputs;
  auto placeholder = [](const Shape& batch_shape, DType dtype, const std::string& name) {
    layers::InputLayerOptions options;
    options.batch_shape = batch_shape;
    options.dtype = dtype_name(dtype);
    options.name = name;  // explicit, so no auto-name counter moves
    return std::make_shared<InputLayerImpl>(options)->output();
  };
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const TensorSpec& spec = inputs_[i].spec();
    KerasTensor input = placeholder(spec.shape, spec.dtype, inputs_[i].node()->operation->name());
    if (i < input_masks.size() && input_masks[i].defined()) {
      Shape mask_shape = input_masks[i].shape();
      if (!mask_shape.empty()) mask_shape[0] = kUnknownDim;
      KerasTensor mask =
          placeholder(mask_shape, input_masks[i].dtype(), inputs_[i].node()->operation->name() + "_mask");
      input.set_keras_mask(mask);
      mask_inputs.push_back(mask);
    }
    remap[{inputs_[i].node().get(), inputs_[i].index()}] = input;
    variant_inputs.push_back(input);
  }
  // Trace the graph again in dependency order. A recorded `mask: None` is
  // dropped so that Keras' call-time rule fills it from the new masks.
  std::vector<std::shared_ptr<Node>> order;
  std::set<const Node*> seen;
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& t) {
    if (remap.count({t.node().get(), t.index()}) != 0) return;
    const auto& node = t.node();
    if (!seen.insert(node.get()).second) return;
    if (is_input_node(*node))
      throw ValueError("Model '" + name() + "': cannot trace the graph again, it uses an undeclared input");
    for (const auto& x : node->inputs) visit(x);
    order.push_back(node);
  };
  for (const auto& out : outputs_) visit(out);
  for (const auto& node : order) {
    std::vector<KerasTensor> node_inputs;
    for (const auto& x : node->inputs) node_inputs.push_back(remap.at({x.node().get(), x.index()}));
    Json kwargs = node->kwargs;
    if (node->operation->is_layer()) {
      if (auto it = kwargs.find("mask"); it != kwargs.end() && it->is_null()) kwargs.erase(it);
    }
    auto outs = call_operation_templates(node->operation, node->args, kwargs, node_inputs);
    for (std::size_t i = 0; i < outs.size(); ++i) remap[{node.get(), static_cast<int>(i)}] = outs[i];
  }
  std::vector<KerasTensor> variant_outputs;
  for (const auto& out : outputs_) variant_outputs.push_back(remap.at({out.node().get(), out.index()}));
  variant_inputs.insert(variant_inputs.end(), mask_inputs.begin(), mask_inputs.end());
  TensorStructure list{TensorStructure::Kind::list, {}};
  auto variant = std::make_shared<FunctionalImpl>(variant_inputs, list, variant_outputs, list, name(), trainable());
  masked_variants_[key] = variant;
  return variant;
}

std::vector<Tensor> FunctionalImpl::inputs_from_call(const CallArgs& args) const {
  const Json& first = args.args.at(0);
  if (input_structure_.kind == TensorStructure::Kind::dict && first.is_object() && !CallArgs::is_ref(first)) {
    std::vector<Tensor> out;
    for (const auto& key : sorted_keys(input_structure_)) out.push_back(args.ref(first.at(key)));
    return out;
  }
  return args.tensor_list(0);
}

std::vector<Tensor> FunctionalImpl::call(const CallArgs& args) { return call_masked(args).outputs; }

MaskedRun FunctionalImpl::call_masked(const CallArgs& args) {
  return run_masked(inputs_from_call(args), masks_from_call(args), args.training);
}

std::vector<TensorSpec> FunctionalImpl::compute_output_spec(const SpecArgs& args) {
  std::int64_t batch = kUnknownDim;
  if (!args.tensors.empty() && !args.tensors.front().shape.empty()) batch = args.tensors.front().shape.front();
  std::vector<TensorSpec> specs;
  for (const auto& out : outputs_) {
    TensorSpec spec = out.spec();
    if (!spec.shape.empty()) spec.shape.front() = batch;
    specs.push_back(spec);
  }
  return specs;
}

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
