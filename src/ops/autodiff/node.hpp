// The record behind keras::ad::Var: one node per differentiable value.
// Internal to src/ops/autodiff.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "keras/autodiff.hpp"

namespace keras::ad::detail {

struct Node {
  Shape shape;
  DType dtype = DType::float32;
  // Inputs that require a gradient (nullptr for those that do not).
  std::vector<std::shared_ptr<Node>> parents;
  // Empty for leaves. Receives one gradient per output (one for ordinary
  // nodes, output_count for the joint node of a multi-output operation).
  MultiPullback pullback;
  std::size_t output_count = 0;
  // Set on the outputs of a multi-output operation: the slot of the joint
  // node (parents[0]) this output's gradient belongs to.
  std::optional<std::size_t> output_slot;
};

}  // namespace keras::ad::detail
