// Functional models: the graph of operation calls from inputs to outputs,
// mapped in Keras' order (keras/src/models/functional.py, keras/src/ops/
// function.py). Running it is in functional_execution.cpp, its config both
// ways in functional_config.cpp.
#include "models/functional.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "layers/core/input_layer.hpp"

namespace keras::detail {

bool is_input_node(const Node& node) {
  return node.inputs.empty() && dynamic_cast<const InputLayerImpl*>(node.operation.get()) != nullptr;
}

std::vector<std::string> sorted_keys(const TensorStructure& s) {
  std::vector<std::string> keys = s.keys;
  std::sort(keys.begin(), keys.end());
  return keys;
}

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
  // Keras runs the nodes of one depth in the order map_graph's depth dict first saw them (as a
  // node or as a parent); run-time mask erasure (MultiHeadAttention) depends on that order.
  std::map<const Node*, int> first_seen;
  const auto see = [&](const Node* node) { first_seen.emplace(node, static_cast<int>(first_seen.size())); };
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
    const Node* node = it->get();
    see(node);
    int depth = node_depths.emplace(node, 0).first->second;
    depth = std::max(depth, op_depths.count(node->operation.get()) ? op_depths[node->operation.get()] : 0);
    op_depths[node->operation.get()] = depth;
    node_depths[node] = depth;
    for (const auto& input : node->inputs) {
      const Node* parent = input.node().get();
      if (in_graph.count(parent) == 0) continue;
      see(parent);
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
      see(node.get());
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
  std::sort(by_depth.begin(), by_depth.end(), [&](const auto& a, const auto& b) {
    if (node_depths[a.get()] != node_depths[b.get()]) return node_depths[a.get()] > node_depths[b.get()];
    return first_seen[a.get()] < first_seen[b.get()];
  });
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
  erasure_[0] = simulate_mask_erasure(by_depth, false);
  erasure_[1] = simulate_mask_erasure(by_depth, true);
  plan_execution();
}

// The nodes to run, in dependency order: the graph itself plus the nodes
// that compute masks Keras hands to layers at call time without recording
// them in the graph, and the masks of the outputs (needed when this model is
// a layer of another one). Those extra nodes are not part of the config.
void FunctionalImpl::plan_execution() {
  plan_.reset();
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
    for (const auto& fill : call_time_masks_of(*node)) {
      for (std::size_t i : mask_leaves(fill.structure)) {
        if (auto mask = node->inputs.at(i).keras_mask(); mask && can_compute(*mask)) visit(*mask);
      }
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

}  // namespace keras::detail
