// The Functional model: a graph of operation calls from inputs to outputs.
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

class FunctionalImpl : public ModelImpl {
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
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override;
  const std::vector<OperationPtr>& operations() const { return operations_; }
  // Whether `node` is one of this model's own nodes.
  bool owns_node(const Node* node) const { return own_nodes_.count(node) != 0; }

 private:
  void map_graph();
  std::vector<Tensor> inputs_from_call(const CallArgs& args) const;

  std::vector<KerasTensor> inputs_;
  std::vector<KerasTensor> outputs_;
  TensorStructure input_structure_;
  TensorStructure output_structure_;
  std::vector<OperationPtr> operations_;              // Keras' model.operations order
  std::vector<std::shared_ptr<Node>> execution_order_;  // nodes, inputs first
  std::set<const Node*> own_nodes_;
};

// Rebuilds a Functional model from its config (spec §3.9).
std::shared_ptr<FunctionalImpl> functional_from_config(const Json& config);

// Runs `nodes` in order given values for some tensors; returns values of `wanted`.
std::vector<Tensor> execute_graph(const std::vector<std::shared_ptr<Node>>& nodes,
                                  const std::vector<KerasTensor>& sources, const std::vector<Tensor>& source_values,
                                  const std::vector<KerasTensor>& wanted, bool training);

// Checks and converts a concrete input against a symbolic input's spec.
Tensor conform_input(const Tensor& value, const TensorSpec& spec, const std::string& input_name);

}  // namespace keras::detail
