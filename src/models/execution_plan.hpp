// An execution plan for a graph of nodes: built once, immutable, shared by every thread that
// runs the graph. It fixes the order, gives every tensor a slot, resolves which slots each node
// reads (its inputs and the mask Keras hands it at call time) and when each slot is read for the
// last time, so that a run frees every intermediate right after its last use instead of keeping
// the whole graph's activations alive until the end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/operation.hpp"

namespace keras::detail {

class MaskedCallable;
class FusedStep;
class ArenaCache;

struct PlanStep {
  std::shared_ptr<Node> node;
  MaskedCallable* masked = nullptr;  // the node's operation as a model (masks in and out), if it is one
  bool is_layer = false;
  bool supports_masking = false;
  std::vector<int> inputs;  // slot of each node->inputs entry (-1: never computed)
  // The keyword arguments Keras fills with input masks at call time (Layer::call_time_masks):
  // per leaf of `structure` ({"__tensor__": k}), the slot of the input and that of its
  // symbolic mask (-1: none).
  struct MaskFill {
    std::string kwarg;
    Json structure;
    std::vector<std::pair<int, int>> leaves;
    // Per leaf, whether Keras' run would find that mask erased (MaskErasure): bit 0 at
    // inference, bit 1 in training.
    std::vector<std::uint8_t> erased;
  };
  std::vector<MaskFill> mask_fills;
  std::vector<int> outputs;  // one slot per output
  // Per output: the slot whose run-time mask passes through (the first argument, for layers
  // that support masking and record no symbolic mask), -1 otherwise.
  std::vector<int> mask_passthrough;
  std::vector<int> release;  // slots read here for the last time (and outputs nobody reads)
  // Inference only: this step runs a fused chain (itself and the absorbed steps after it)
  // writing `fused_output`; an absorbed step only releases its slots.
  std::shared_ptr<const FusedStep> fused;
  int fused_output = -1;
  bool absorbed = false;
};

struct ExecutionPlan {
  int num_slots = 0;
  std::vector<int> sources;  // slot per source
  std::vector<PlanStep> steps;
  std::vector<int> wanted;                       // slot per wanted tensor
  std::vector<int> wanted_mask_symbolic;         // slot of each wanted tensor's symbolic mask (-1: none)
  std::vector<std::uint8_t> wanted_mask_erased;  // as MaskFill::erased
  // The buffers of runs per input signature (tensor/arena.hpp); synchronized on its own, so
  // that the plan stays shareable.
  std::shared_ptr<ArenaCache> arenas;
};

// Plans the run of `nodes` (in dependency order) from `sources` to `wanted`.
// `erasure` (at inference, in training; either may be null) says which masks Keras' run
// would find erased.
struct MaskErasure;
std::shared_ptr<const ExecutionPlan> build_execution_plan(const std::vector<std::shared_ptr<Node>>& nodes,
                                                          const std::vector<KerasTensor>& sources,
                                                          const std::vector<KerasTensor>& wanted,
                                                          const MaskErasure* inference_erasure = nullptr,
                                                          const MaskErasure* training_erasure = nullptr);

// Runs a plan; returns the values of its wanted tensors and, when `wanted_masks` is given,
// their run-time masks.
std::vector<Tensor> run_execution_plan(const ExecutionPlan& plan, const std::vector<Tensor>& source_values,
                                       bool training, const std::vector<Tensor>& source_masks,
                                       std::vector<Tensor>* wanted_masks);

}  // namespace keras::detail
