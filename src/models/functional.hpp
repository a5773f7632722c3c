// The Functional model: a graph of operation calls from inputs to outputs.
// functional.cpp maps the graph, functional_execution.cpp runs it and
// functional_config.cpp writes and rebuilds its config.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "keras/models.hpp"
#include "models/mask_erasure.hpp"

namespace keras::detail {

struct ExecutionPlan;

// How inputs or outputs were given: one tensor, a list, or a dict (whose
// flattened order is sorted by key, as Keras does).
struct TensorStructure {
  enum class Kind { single, list, dict } kind = Kind::list;
  std::vector<std::string> keys;  // dict only, in the user's order
};

// Outputs of a model call together with the Keras masks they carry at run
// time (an undefined tensor: no mask).
struct MaskedRun {
  std::vector<Tensor> outputs;
  std::vector<Tensor> masks;
};

// Models as layers: a call that also takes the `mask` kwarg into the inner
// graph and hands the masks of the outputs back, as Keras' eager masks do.
class MaskedCallable {
 public:
  virtual ~MaskedCallable() = default;
  virtual MaskedRun call_masked(const CallArgs& args) = 0;
  // The same call with its backward pass: `pullback` maps the outputs'
  // gradients to those of args.tensors and of the trainable variables.
  virtual MaskedRun call_masked_vjp(const CallArgs& args, Pullback* pullback) = 0;
};

// Activity regularization (Layer.activity_regularizer) in recorded runs. The
// training code installs a hook for a train or test step; the tape calls it
// with the outputs of each layer call (in nested models too). For a layer
// with an activity regularizer the hook returns d(penalty)/d(output) for each
// output (undefined: none), which backward() adds to what reaches the output;
// for the others nullopt. While a hook is installed, nested models run on the
// tape even when nothing in them needs a gradient, so that their layers'
// penalties are counted.
using ActivityHook =
    std::function<std::optional<std::vector<Tensor>>(const Layer& layer, const std::vector<Tensor>& outputs)>;
class ActivityHookScope {
 public:
  explicit ActivityHookScope(ActivityHook hook);
  ~ActivityHookScope();
  ActivityHookScope(const ActivityHookScope&) = delete;
  ActivityHookScope& operator=(const ActivityHookScope&) = delete;

 private:
  ActivityHook hook_;
  const ActivityHook* previous_;
};

// The backward pass of a graph run (functional_vjp.cpp): record_graph
// records, per node whose outputs need a gradient, the pullback of its
// call_vjp(); backward() sweeps them in reverse, summing the gradients of
// tensors used twice and of variables shared by several calls.
class GraphTape {
 public:
  using Key = std::pair<const Node*, int>;
  // A source value whose gradient is wanted (a nested model's float inputs).
  void mark_needs_gradient(const KerasTensor& t) { needs_gradient_.insert(key_of(t)); }
  // Runs one node: call_vjp() when an input needs a gradient or the
  // operation has trainable variables, a plain call() otherwise.
  std::vector<Tensor> call(const std::shared_ptr<Node>& node, const CallArgs& args, std::vector<Tensor>* output_masks);
  // Gradients of `sources` (undefined: none) and of the variables, given
  // those of `wanted` (undefined: zero).
  Gradients backward(const std::vector<KerasTensor>& sources, const std::vector<KerasTensor>& wanted,
                     const std::vector<Tensor>& wanted_grads) const;

 private:
  static Key key_of(const KerasTensor& t) { return {t.node().get(), t.index()}; }
  struct Entry {
    std::shared_ptr<Node> node;
    std::size_t outputs;
    Pullback pullback;
    // A nested model whose layers regularized activities: its pullback runs
    // even when no gradient reaches its outputs.
    bool inner_activity = false;
  };
  std::vector<Entry> entries_;
  std::set<Key> needs_gradient_;
  // d(activity penalty)/d(output) of regularized layers' outputs.
  std::map<Key, Tensor> activity_grads_;
};

class FunctionalImpl : public ModelImpl, public MaskedCallable {
 public:
  FunctionalImpl(std::vector<KerasTensor> inputs, TensorStructure input_structure, std::vector<KerasTensor> outputs,
                 TensorStructure output_structure, const std::string& name, bool trainable = true);

  std::string class_name() const override { return "Functional"; }
  std::string module() const override { return "keras.src.models.functional"; }
  std::optional<std::string> registered_name() const override { return "Functional"; }
  Json get_config() const override;
  std::optional<Json> build_config() const override { return Json{{"input_shape", nullptr}}; }
  void build_from_config(const Json& /*build_config*/) override {}
  // Functional.__call__ converts each input itself, so Keras records the
  // auto-populated mask even for list or dict inputs.
  bool converts_input_args() const override { return false; }

  std::vector<KerasTensor> inputs() const override { return inputs_; }
  std::vector<KerasTensor> outputs() const override { return outputs_; }
  std::vector<std::string> input_names() const override;
  std::vector<std::string> output_names() const override;
  const TensorStructure& input_structure() const { return input_structure_; }
  const TensorStructure& output_structure() const { return output_structure_; }

  std::vector<Tensor> run(const std::vector<Tensor>& inputs, bool training) override;
  // Runs with masks on some inputs (undefined = none).
  // With `pullback`, also the backward pass (gradients of `inputs`, then of
  // the masks' placeholders, and of the trainable variables).
  MaskedRun run_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& input_masks, bool training,
                       Pullback* pullback = nullptr);
  MaskedRun call_masked(const CallArgs& args) override;
  MaskedRun call_masked_vjp(const CallArgs& args, Pullback* pullback) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  VjpResult call_vjp(const CallArgs& args) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override;
  const std::vector<OperationPtr>& operations() const { return operations_; }
  // Whether `node` is one of this model's own nodes.
  bool owns_node(const Node* node) const { return own_nodes_.count(node) != 0; }
  // The plan of execution_order_, built on first use and shared by every caller (public for
  // the tests that check which steps fuse).
  std::shared_ptr<const ExecutionPlan> execution_plan();

 private:
  void map_graph();
  void plan_execution();
  std::vector<Tensor> inputs_from_call(const CallArgs& args) const;
  std::vector<Tensor> masks_from_call(const CallArgs& args) const;
  // The same graph traced again on inputs that carry masks, so that every
  // layer computes its mask as Keras would at run time (cached per pattern).
  std::shared_ptr<FunctionalImpl> masked_variant(const std::vector<Tensor>& input_masks);

  std::vector<KerasTensor> inputs_;
  std::vector<KerasTensor> outputs_;
  TensorStructure input_structure_;
  TensorStructure output_structure_;
  std::vector<OperationPtr> operations_;                // Keras' model.operations order
  std::vector<std::shared_ptr<Node>> execution_order_;  // nodes, inputs first
  // What MultiHeadAttention's run-time mask erasure hides, at inference and in training
  // (null: nothing), from the graph's nodes in Keras' order.
  std::shared_ptr<const MaskErasure> erasure_[2];
  std::set<const Node*> own_nodes_;
  std::vector<KerasTensor> output_masks_;  // symbolic masks of the outputs (undefined: none)
  std::map<std::string, std::shared_ptr<FunctionalImpl>> masked_variants_;
  std::mutex plan_mutex_;
  std::shared_ptr<const ExecutionPlan> plan_;
};

// Whether `node` is the source node of an InputLayer.
bool is_input_node(const Node& node);
// A dict structure's keys in the flat (sorted) order.
std::vector<std::string> sorted_keys(const TensorStructure& s);

// Rebuilds a Functional model from its config (spec §3.9; functional_config.cpp).
std::shared_ptr<FunctionalImpl> functional_from_config(const Json& config);

// Runs `nodes` in order on `tape` given values for some tensors (functional_execution.cpp),
// keeping every value for the backward pass; returns the values of `wanted` and, when
// `wanted_masks` is given, their run-time masks. Layers whose call takes `mask` and whose
// node records none get the run-time mask of their single tensor argument, as Keras'
// Layer.__call__ does eagerly. Inference runs the execution plan instead.
std::vector<Tensor> record_graph(const std::vector<std::shared_ptr<Node>>& nodes,
                                 const std::vector<KerasTensor>& sources, const std::vector<Tensor>& source_values,
                                 const std::vector<KerasTensor>& wanted, bool training,
                                 const std::vector<Tensor>& source_masks, std::vector<Tensor>* wanted_masks,
                                 GraphTape& tape, const MaskErasure* erasure = nullptr);

// A model call's pullback in terms of args.tensors: `inner` gives the
// gradients of the model's flat inputs, which came from the call's tensors
// at `input_indices` (CallArgs::tensors positions).
Pullback call_pullback(Pullback inner, std::vector<std::size_t> input_indices, std::size_t call_tensors);
// The CallArgs::tensors positions of a call's first argument, flattened as
// the model's inputs are (dict keys sorted).
std::vector<std::size_t> input_indices_of(const CallArgs& args, const TensorStructure& structure);

// The keyword arguments of a layer node that Keras' __call__ fills with
// input masks at call time (Layer::call_time_masks; none for raw ops).
std::vector<Layer::CallMask> call_time_masks_of(const Node& node);
// The node inputs (indices) whose masks a fill's structure reads.
std::vector<std::size_t> mask_leaves(const Json& structure);
// A fill's structure with each leaf replaced by `resolve(input index)`
// (a tensor template or null).
Json fill_mask_structure(const Json& structure, const std::function<Json(std::size_t)>& resolve);

// Checks and converts a concrete input against a symbolic input's spec.
Tensor conform_input(const Tensor& value, const TensorSpec& spec, const std::string& input_name);

}  // namespace keras::detail
