// The Functional model: a graph of operation calls from inputs to outputs.
// functional.cpp maps the graph, functional_execution.cpp runs it and
// functional_config.cpp writes and rebuilds its config.
#pragma once

#include <map>
#include <set>
#include <unordered_map>

#include "keras/models.hpp"

namespace keras::detail {

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
  MaskedRun run_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& input_masks, bool training);
  MaskedRun call_masked(const CallArgs& args) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override;
  const std::vector<OperationPtr>& operations() const { return operations_; }
  // Whether `node` is one of this model's own nodes.
  bool owns_node(const Node* node) const { return own_nodes_.count(node) != 0; }

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
  std::set<const Node*> own_nodes_;
  std::vector<KerasTensor> output_masks_;  // symbolic masks of the outputs (undefined: none)
  std::map<std::string, std::shared_ptr<FunctionalImpl>> masked_variants_;
};

// Whether `node` is the source node of an InputLayer.
bool is_input_node(const Node& node);
// A dict structure's keys in the flat (sorted) order.
std::vector<std::string> sorted_keys(const TensorStructure& s);

// Rebuilds a Functional model from its config (spec §3.9; functional_config.cpp).
std::shared_ptr<FunctionalImpl> functional_from_config(const Json& config);

// Runs `nodes` in order given values (functional_execution.cpp) for some tensors; returns values of
// `wanted` and, when `wanted_masks` is given, their run-time masks. Layers
// whose call takes `mask` and whose node records none get the run-time mask
// of their single tensor argument, as Keras' Layer.__call__ does eagerly.
std::vector<Tensor> execute_graph(const std::vector<std::shared_ptr<Node>>& nodes,
                                  const std::vector<KerasTensor>& sources, const std::vector<Tensor>& source_values,
                                  const std::vector<KerasTensor>& wanted, bool training,
                                  const std::vector<Tensor>& source_masks = {},
                                  std::vector<Tensor>* wanted_masks = nullptr);

// The single tensor argument of a layer node that Keras would fill `mask`
// from at call time (its `mask` kwarg absent or None), if any.
std::optional<KerasTensor> mask_source_of(const Node& node);

// Checks and converts a concrete input against a symbolic input's spec.
Tensor conform_input(const Tensor& value, const TensorSpec& spec, const std::string& input_name);

}  // namespace keras::detail
