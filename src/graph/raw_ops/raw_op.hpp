// Raw operations as graph nodes: the keras.src.ops.* classes that appear in
// a Functional config when ops are used on symbolic tensors. One generic
// Operation class driven by a table of definitions (class name, module,
// constructor parameters in signature order, shape/dtype inference, kernel).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/operation.hpp"

namespace keras::detail {

class RawOp;

struct RawOpDef {
  using SpecFn = std::function<std::vector<TensorSpec>(const RawOp&, const SpecArgs&)>;
  using RunFn = std::function<std::vector<Tensor>(const RawOp&, const CallArgs&)>;
  std::string class_name;  // "Mean"
  std::string module;      // "keras.src.ops.numpy"
  // Constructor parameters (without `name`) in signature order; nullopt
  // marks a required one. Keras' auto config records all of them.
  std::vector<std::pair<std::string, std::optional<Json>>> params;
  SpecFn spec;
  RunFn run;
};

// Every raw operation keras-cpp implements.
const std::vector<RawOpDef>& raw_op_defs();
const RawOpDef* find_raw_op(const std::string& class_name);

class RawOp final : public Operation {
 public:
  // `params`: constructor arguments (missing ones take their defaults);
  // an empty name gets an auto name from the snake-case class name.
  RawOp(const RawOpDef& def, const Json& params, const std::string& name);
  static std::shared_ptr<RawOp> create(const std::string& class_name, const Json& params, const std::string& name = "");
  static std::shared_ptr<RawOp> from_config(const RawOpDef& def, const Json& config);

  std::string class_name() const override { return def_->class_name; }
  std::string module() const override { return def_->module; }
  std::optional<std::string> registered_name() const override { return def_->class_name; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;

  const Json& param(const std::string& key) const;
  // Error context: "Mean 'mean_1'".
  std::string describe() const;

 private:
  const RawOpDef* def_;
  Json params_;
};

}  // namespace keras::detail
