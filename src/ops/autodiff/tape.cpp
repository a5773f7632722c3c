// The record of differentiable computations and the reverse sweep over it.
#include <algorithm>
#include <unordered_map>

#include "keras/autodiff.hpp"
#include "ops/autodiff/node.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::ad {

Var leaf(Tensor value) {
  Var v(std::move(value));
  v.node_ = std::make_shared<detail::Node>();
  v.node_->shape = v.value_.shape();
  v.node_->dtype = v.value_.dtype();
  return v;
}

Var scalar(float value) { return Var(Tensor::scalar(value)); }

Var Recorder::record(Tensor value, const std::vector<Var>& inputs, Pullback pullback) {
  Var out(std::move(value));
  bool any = false;
  for (const auto& in : inputs) any = any || in.requires_grad();
  if (!any) return out;
  auto node = std::make_shared<detail::Node>();
  node->shape = out.value_.shape();
  node->dtype = out.value_.dtype();
  node->parents.reserve(inputs.size());
  for (const auto& in : inputs) node->parents.push_back(in.node_);
  node->pullback = [p = std::move(pullback)](const std::vector<Tensor>& grads, const std::vector<bool>& needs) {
    return p(grads.front(), needs);
  };
  out.node_ = std::move(node);
  return out;
}

Var Recorder::attach(Var v, std::shared_ptr<detail::Node> node) {
  v.node_ = std::move(node);
  return v;
}

std::vector<Var> record_multi(std::vector<Tensor> values, const std::vector<Var>& inputs, MultiPullback pullback) {
  std::vector<Var> outs;
  outs.reserve(values.size());
  bool any = false;
  for (const auto& in : inputs) any = any || in.requires_grad();
  if (!any) {
    for (auto& v : values) outs.emplace_back(std::move(v));
    return outs;
  }
  // A hidden joint node runs the pullback; each output is a selector node
  // whose gradient lands in its slot of the joint node's gradient list.
  auto joint = std::make_shared<detail::Node>();
  joint->parents.reserve(inputs.size());
  for (const auto& in : inputs) joint->parents.push_back(in.node());
  joint->output_count = values.size();
  joint->pullback = std::move(pullback);
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto node = std::make_shared<detail::Node>();
    node->shape = values[i].shape();
    node->dtype = values[i].dtype();
    node->parents = {joint};
    node->output_slot = i;
    outs.push_back(Recorder::attach(Var(std::move(values[i])), std::move(node)));
  }
  return outs;
}

Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int g_rank = grad.rank();
  const int s_rank = static_cast<int>(shape.size());
  std::vector<int> axes;
  for (int i = 0; i < g_rank; ++i) {
    const int j = i - (g_rank - s_rank);
    if (j < 0 || (shape[static_cast<std::size_t>(j)] == 1 && grad.shape()[static_cast<std::size_t>(i)] != 1))
      axes.push_back(i);
  }
  Tensor reduced = axes.empty() ? grad : kernels::sum(grad, axes, true);
  return reduced.reshape(shape);
}

namespace {

void accumulate(Tensor& slot, const Tensor& grad) {
  if (!grad.defined()) return;
  slot = slot.defined() ? kernels::add(slot, grad) : grad;
}

}  // namespace

std::vector<Tensor> gradients(const std::vector<Var>& outputs, const std::vector<Tensor>& seeds,
                              const std::vector<Var>& wrt) {
  using detail::Node;
  // Topological order of every node reachable from the outputs (iterative DFS).
  std::vector<Node*> order;
  std::unordered_map<Node*, int> state;  // 1 visiting, 2 done
  for (const auto& out : outputs) {
    if (!out.requires_grad()) continue;
    std::vector<std::pair<Node*, std::size_t>> stack{{out.node().get(), 0}};
    if (state[out.node().get()] != 0) continue;
    state[out.node().get()] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->parents.size()) {
        Node* parent = node->parents[next++].get();
        if (parent != nullptr && state[parent] == 0) {
          state[parent] = 1;
          stack.emplace_back(parent, 0);
        }
        continue;
      }
      state[node] = 2;
      order.push_back(node);
      stack.pop_back();
    }
  }
  // Gradients per node; a joint (multi-output) node collects one per slot.
  std::unordered_map<Node*, std::vector<Tensor>> grads;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].requires_grad()) continue;
    Node* node = outputs[i].node().get();
    Tensor seed = i < seeds.size() && seeds[i].defined() ? seeds[i] : Tensor::full(node->shape, 1.0F);
    auto& slot = grads[node];
    slot.resize(1);
    accumulate(slot[0], seed);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    auto found = grads.find(node);
    if (found == grads.end()) continue;
    std::vector<Tensor> node_grads = std::move(found->second);
    if (node->output_slot) {  // a selector: forward its gradient to the joint node's slot
      Node* joint = node->parents.front().get();
      auto& slots = grads[joint];
      slots.resize(joint->output_count);
      accumulate(slots[*node->output_slot], node_grads.empty() ? Tensor() : node_grads[0]);
      continue;
    }
    if (!node->pullback) {  // a leaf: keep its gradient
      grads[node] = std::move(node_grads);
      continue;
    }
    bool any_grad = false;
    for (const auto& g : node_grads) any_grad = any_grad || g.defined();
    if (!any_grad) continue;
    std::vector<bool> needs(node->parents.size());
    for (std::size_t p = 0; p < needs.size(); ++p) needs[p] = node->parents[p] != nullptr;
    if (node->output_count == 0) node_grads.resize(1);
    std::vector<Tensor> parent_grads = node->pullback(node_grads, needs);
    for (std::size_t p = 0; p < node->parents.size() && p < parent_grads.size(); ++p) {
      Node* parent = node->parents[p].get();
      if (parent == nullptr || !parent_grads[p].defined()) continue;
      auto& slot = grads[parent];
      slot.resize(std::max<std::size_t>(slot.size(), 1));
      Tensor g = parent_grads[p];
      if (g.shape() != parent->shape) g = reduce_to_shape(g, parent->shape);
      accumulate(slot[0], g);
    }
    grads.erase(node);  // free intermediate gradients early
  }
  std::vector<Tensor> out;
  out.reserve(wrt.size());
  for (const auto& w : wrt) {
    Tensor g;
    if (w.requires_grad()) {
      auto found = grads.find(w.node().get());
      if (found != grads.end() && !found->second.empty()) g = found->second[0];
    }
    out.push_back(g.defined() ? g : Tensor::zeros(w.shape()));
  }
  return out;
}

std::vector<Tensor> gradients(const Var& output, const std::vector<Var>& wrt, const Tensor& seed) {
  return gradients(std::vector<Var>{output}, std::vector<Tensor>{seed}, wrt);
}

}  // namespace keras::ad
