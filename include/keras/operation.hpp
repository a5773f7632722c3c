// Operations and symbolic tensors: the graph machinery under Functional
// models. An Operation is anything that can be a node of a Keras graph: a
// layer, a model, or a raw op such as keras.ops.add.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "keras/json.hpp"
#include "keras/tensor.hpp"

namespace keras {

class Operation;
class Variable;
struct Node;

// Shape and dtype of a value, known before any data exists.
struct TensorSpec {
  Shape shape;
  DType dtype = DType::float32;
};

// A symbolic tensor: output `index` of a node. Cheap to copy.
class KerasTensor {
 public:
  KerasTensor() = default;
  KerasTensor(std::shared_ptr<Node> node, int index) : node_(std::move(node)), index_(index) {}

  bool defined() const { return node_ != nullptr; }
  const TensorSpec& spec() const;
  const Shape& shape() const { return spec().shape; }
  DType dtype() const { return spec().dtype; }
  const std::shared_ptr<Node>& node() const { return node_; }
  int index() const { return index_; }
  // The mask Keras attaches to this tensor (a symbolic bool tensor), if any.
  std::optional<KerasTensor> keras_mask() const;
  void set_keras_mask(const KerasTensor& mask) const;
  bool operator==(const KerasTensor& other) const { return node_ == other.node_ && index_ == other.index_; }

 private:
  std::shared_ptr<Node> node_;
  int index_ = 0;
};

// Arguments of one call, as Keras records them in `inbound_nodes`: positional
// `args` and keyword `kwargs` are JSON templates in which every tensor is the
// placeholder {"__tensor__": i} referring to `tensors[i]`. T is Tensor when
// running and TensorSpec when computing output shapes.
template <typename T>
struct CallArgsT {
  Json args = Json::array();
  Json kwargs = Json::object();
  std::vector<T> tensors;
  bool training = false;

  static bool is_ref(const Json& value) { return value.is_object() && value.contains("__tensor__"); }
  const T& ref(const Json& value) const { return tensors.at(value.at("__tensor__").template get<std::size_t>()); }

  std::size_t num_args() const { return args.size(); }
  // args[i] as a single tensor; throws ValueError if it is something else.
  const T& tensor(std::size_t i = 0) const;
  // args[i] as a list of tensors (a single tensor gives a one-element list).
  std::vector<T> tensor_list(std::size_t i = 0) const;
  bool arg_is_tensor(std::size_t i) const { return i < args.size() && is_ref(args[i]); }
  // A keyword tensor argument (e.g. "mask"); nullopt when absent or null.
  std::optional<T> kwarg_tensor(const std::string& key) const;
  // A non-tensor keyword argument or nullptr.
  const Json* kwarg(const std::string& key) const;
};
using CallArgs = CallArgsT<Tensor>;
using SpecArgs = CallArgsT<TensorSpec>;

// One call of an operation inside a graph.
struct Node {
  std::shared_ptr<Operation> operation;
  Json args;  // templates with {"__tensor__": i}
  Json kwargs;
  std::vector<KerasTensor> inputs;  // tensors referenced by the templates, in order
  std::vector<TensorSpec> output_specs;
  mutable std::map<int, KerasTensor> output_masks;  // Keras' _keras_mask per output
};

// Reverse mode through one call (as JAX's vjp): what a training-mode call
// returns besides its outputs, a pullback from the gradients of the outputs
// (undefined: zero) to the gradients of the call's tensors (CallArgs::tensors
// order; undefined: none) and of the trainable variables the call read.
struct Gradients {
  std::vector<Tensor> inputs;
  std::vector<std::pair<std::shared_ptr<Variable>, Tensor>> variables;
};
using Pullback = std::function<Gradients(const std::vector<Tensor>& output_grads)>;
struct VjpResult {
  std::vector<Tensor> outputs;
  Pullback pullback;
};

// How gradients pass through an operation.
enum class Differentiability {
  differentiable,  // call_vjp() gives the gradients
  constant,        // outputs that carry no gradient (integer or boolean results, shapes)
  unsupported,     // no backward pass: training through it is refused
};

class Operation : public std::enable_shared_from_this<Operation> {
 public:
  explicit Operation(std::string name) : name_(std::move(name)) {}
  virtual ~Operation() = default;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Identity as written in configs (spec §3.2).
  virtual std::string class_name() const = 0;
  virtual std::string module() const = 0;
  // null for public Keras classes; the class name for raw ops and internal classes.
  virtual std::optional<std::string> registered_name() const { return std::nullopt; }
  virtual bool is_layer() const { return false; }
  virtual Json get_config() const = 0;
  // The other parts of an envelope (spec §3.2), for the classes that have
  // them: build_config (layers that create variables from input shapes) and
  // compile_config (models).
  virtual std::optional<Json> build_config() const { return std::nullopt; }
  virtual void build_from_config(const Json& /*build_config*/) {}
  virtual std::optional<Json> envelope_compile_config() const { return std::nullopt; }

  virtual std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) = 0;
  virtual std::vector<Tensor> call(const CallArgs& args) = 0;

  // The backward pass. call_vjp() runs the call (in training mode when
  // args.training) keeping what its pullback needs; the default throws
  // NotImplementedError naming the class.
  virtual Differentiability differentiability() const { return Differentiability::unsupported; }
  virtual VjpResult call_vjp(const CallArgs& args);

  // Keras' __call__ on symbolic tensors, as call_operation() uses it: records
  // the node (call_symbolic). Layers add Keras' mask handling around it.
  virtual std::vector<KerasTensor> symbolic_call(Json args, Json kwargs, std::vector<KerasTensor> inputs);
  // Records a node. args/kwargs hold KerasTensors as {"__tensor__": i}
  // referring to `inputs`.
  std::vector<KerasTensor> call_symbolic(Json args, Json kwargs, std::vector<KerasTensor> inputs);

  // Nodes created by symbolic calls of this operation, in call order.
  const std::vector<std::weak_ptr<Node>>& inbound_nodes() const { return inbound_nodes_; }

 protected:
  // Hook for layers: build from the input specs before the first call.
  virtual void before_symbolic_call(const SpecArgs& /*args*/) {}

 private:
  std::string name_;
  std::vector<std::weak_ptr<Node>> inbound_nodes_;
};

using OperationPtr = std::shared_ptr<Operation>;

// A call argument that Keras' CallSpec counts as a tensor argument: a tensor
// ({"__tensor__": i}), or a non-empty list or dict whose leaves are all
// tensors or None.
bool is_tensor_argument(const Json& value);

// A value passed to a symbolic call: a tensor, a list of tensors, or a
// constant (a number, a string, null, ...).
class SymbolicArg {
 public:
  SymbolicArg(const KerasTensor& tensor) : value_(tensor) {}                 // NOLINT(google-explicit-constructor)
  SymbolicArg(const std::vector<KerasTensor>& tensors) : value_(tensors) {}  // NOLINT(google-explicit-constructor)
  SymbolicArg(Json constant) : value_(std::move(constant)) {}                // NOLINT(google-explicit-constructor)
  SymbolicArg(double constant) : value_(Json(constant)) {}                   // NOLINT(google-explicit-constructor)
  // Appends this argument to a node template, adding tensors to `inputs`.
  Json to_template(std::vector<KerasTensor>& inputs) const;

 private:
  std::variant<KerasTensor, std::vector<KerasTensor>, Json> value_;
};
using SymbolicKwargs = std::vector<std::pair<std::string, SymbolicArg>>;

// Records a call of `op` on symbolic arguments, applying Keras' mask
// propagation (a layer whose call takes `mask` receives its input's mask).
std::vector<KerasTensor> call_operation(const OperationPtr& op, const std::vector<SymbolicArg>& args,
                                        const SymbolicKwargs& kwargs = {});
// The same with ready-made templates ({"__tensor__": i} refers to inputs[i]).
std::vector<KerasTensor> call_operation_templates(const OperationPtr& op, Json args, Json kwargs,
                                                  std::vector<KerasTensor> inputs);

// Keras-style auto names: "dense", "dense_1", ... from a per-process counter
// per prefix. clear_session() resets every counter.
std::string unique_object_name(const std::string& prefix);
void clear_session();
// Keras' to_snake_case (spec §4.3): "Conv2DTranspose" -> "conv2d_transpose".
std::string to_snake_case(const std::string& name);

}  // namespace keras
