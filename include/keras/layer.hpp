// keras.layers.Layer: the base of every layer, built-in or custom, and
// LayerRef, the cheap handle through which C++ code calls layers on symbolic
// tensors (`keras::layers::Dense(5)(x)`).
//
// A layer knows its config, its variables in Keras' order, its output shape
// and its forward pass; it knows nothing about files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/json.hpp"
#include "keras/operation.hpp"
#include "keras/quantizers.hpp"
#include "keras/variable.hpp"

namespace keras {

// keras.DTypePolicy: variable dtype and compute dtype ("mixed_float16" keeps
// float32 variables and computes in float16), or one of Keras' quantized
// policies, named "<mode>_from_<source policy>" as Keras names them:
// QuantizedDTypePolicy ("int8_from_float32"), Int4DTypePolicy
// ("int4/128_from_float32": groups of 128 inputs, "int4/-1_...": per channel)
// and QuantizedFloat8DTypePolicy ("float8_from_float32"). A quantized policy
// computes and keeps its float variables in its source policy's dtypes.
class DTypePolicy {
 public:
  DTypePolicy() = default;
  explicit DTypePolicy(std::string name);
  const std::string& name() const { return name_; }
  DType variable_dtype() const;
  DType compute_dtype() const;

  // "int8", "int4" or "float8"; empty for a float policy.
  const std::string& quantization_mode() const { return mode_; }
  bool quantized() const { return !mode_.empty(); }
  // The float policy a quantized one was made from (its own name otherwise).
  const std::string& source_name() const { return source_; }
  // Int4DTypePolicy's block size (-1: per channel); nullopt for every other
  // class, including a legacy QuantizedDTypePolicy of mode "int4" (per channel).
  std::optional<std::int64_t> int4_block_size() const;
  // QuantizedFloat8DTypePolicy's amax_history_length (1024 by default and for
  // every other class).
  std::int64_t amax_history_length() const { return amax_history_length_; }
  // QuantizedFloat8DTypePolicy(mode, source_name, amax_history_length).
  static DTypePolicy float8(const std::string& source_name, std::int64_t amax_history_length);

  // {"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}, "registered_name": null},
  // or the quantized policy's envelope (module "keras.dtype_policies").
  Json serialize() const;
  // Accepts a plain string, a DTypePolicy / FloatDTypePolicy envelope, a legacy
  // {"class_name": "Policy"}, and the quantized policies above.
  static DTypePolicy from_json(const Json& value);

 private:
  enum class Kind : std::uint8_t { plain, quantized, int4, float8 };
  void set_quantized(Kind kind, std::string mode, std::string source);
  std::string name_ = "float32";
  std::string source_ = "float32";
  std::string mode_;
  Kind kind_ = Kind::plain;
  std::int64_t block_size_ = -1;
  std::int64_t amax_history_length_ = 1024;
};

// The variables a layer's backward pass reads, as keras::ad values: the
// ones in `trainable` (a layer's trainable_variables(): none for a frozen
// layer) are leaves whose gradient the pullback reports; the others are
// constants. One per backward pass, shared by a layer and its sublayers.
class TapeVariables {
 public:
  TapeVariables() = default;
  explicit TapeVariables(std::vector<VariablePtr> trainable) : trainable_(std::move(trainable)) {}
  ad::Var operator()(const VariablePtr& variable);
  // The leaves created, in first-use order.
  const std::vector<std::pair<VariablePtr, ad::Var>>& leaves() const { return leaves_; }

 private:
  std::vector<VariablePtr> trainable_;
  std::vector<std::pair<VariablePtr, ad::Var>> leaves_;
  std::vector<std::pair<const Variable*, ad::Var>> constants_;
};

// call_tape() helpers: the value of positional argument i (a tensor), of a
// list argument, and of a keyword tensor argument (undefined when absent).
const ad::Var& tape_arg(const CallArgs& args, const std::vector<ad::Var>& tensors, std::size_t i = 0);
std::vector<ad::Var> tape_arg_list(const CallArgs& args, const std::vector<ad::Var>& tensors, std::size_t i = 0);
ad::Var tape_kwarg(const CallArgs& args, const std::vector<ad::Var>& tensors, const std::string& key);

// Keras' enable_lora() keyword arguments (Dense, EinsumDense, Embedding,
// Conv1D/2D/3D): the delta (lora_alpha / rank) * (a @ b) is added to the
// kernel; lora_alpha defaults to the rank.
struct LoraOptions {
  std::optional<double> lora_alpha;
  initializers::Initializer a_initializer = "he_uniform";
  initializers::Initializer b_initializer = "zeros";
};

// Keyword arguments every layer accepts.
struct LayerBaseOptions {
  std::string name;                  // empty: an auto name such as "dense_1"
  std::optional<std::string> dtype;  // policy name; empty: float32
  bool trainable = true;
};

class Layer : public Operation {
 public:
  // `auto_name_prefix` is the snake-case class name used for auto names.
  Layer(const LayerBaseOptions& base, const std::string& auto_name_prefix);

  bool is_layer() const override { return true; }
  std::string module() const override { return "keras.layers"; }
  // The Python class name, which names the layer's group in weight files
  // (differs from class_name() only for GroupQueryAttention).
  virtual std::string python_class_name() const { return class_name(); }

  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable) { trainable_ = trainable; }
  const DTypePolicy& dtype_policy() const { return dtype_policy_; }
  DType compute_dtype() const { return dtype_policy_.compute_dtype(); }
  DType variable_dtype() const { return dtype_policy_.variable_dtype(); }

  // Config: base_config() gives name, trainable, dtype (and
  // activity_regularizer when set); subclasses append their own keys.
  Json get_config() const override;
  Json base_config() const;
  // Reads name/trainable/dtype/activity_regularizer from a config. A
  // quantized dtype policy is refused unless the layer is `quantizable`.
  static LayerBaseOptions base_options_from_config(const Json& config, bool quantizable = false);

  // Building: creates the variables for the given input shapes. Layers whose
  // Keras class overrides build() write a build_config.
  bool built() const { return built_; }
  void build_for(const std::vector<Shape>& input_shapes, bool list_input = false);
  virtual bool writes_build_config() const { return true; }
  std::optional<Json> build_config() const override;
  void build_from_config(const Json& build_config) override;
  const std::vector<Shape>& build_input_shapes() const { return build_shapes_; }

  // Variables: own variables in Keras' save order (trainable, then
  // non-trainable, each in creation order; quantized layers follow their
  // mode's serialization spec instead).
  virtual std::vector<VariablePtr> own_variables() const;
  // Own variables the optimizer updates (a frozen one, such as a LoRA kernel, excluded).
  std::vector<VariablePtr> own_trainable_variables() const;
  const std::vector<VariablePtr>& own_non_trainable_variables() const { return non_trainable_vars_; }
  // Keras' layer.trainable_variables / non_trainable_variables / weights,
  // recursing into sublayers in tracking (creation) order.
  std::vector<VariablePtr> trainable_variables() const;
  std::vector<VariablePtr> non_trainable_variables() const;
  std::vector<VariablePtr> weights() const;
  std::int64_t count_params() const;

  // Sublayers held as attributes, e.g. an RNN's "cell" or MHA's "query_dense".
  struct Child {
    std::string attribute;
    std::shared_ptr<Layer> layer;
  };
  // In creation order (the order of trainable_variables).
  const std::vector<Child>& tracked_sublayers() const { return sublayers_; }
  // In Keras' saving-walk order (attribute names sorted, private ones last).
  virtual std::vector<Child> walk_children() const;
  // Layers that are models (and Pipeline, StackedRNNCells) expose their layer
  // list, walked first as the container named layer_list_attribute().
  virtual std::vector<std::shared_ptr<Layer>> layer_list() const { return {}; }
  virtual std::string layer_list_attribute() const { return "layers"; }

  // Keras' layer.quantize(mode, config): resolves the config (the mode's
  // defaults when absent), checks that the layer is built and not quantized
  // yet, then quantizes its weights in place and switches its dtype policy to
  // "<mode>_from_<policy>". Layers without a quantized variant throw
  // NotImplementedError (Model::quantize skips them).
  void quantize(const std::string& mode, const std::optional<quantizers::QuantizationConfig>& config = std::nullopt);

  // Keras' layer.enable_lora(rank, lora_alpha, a_initializer, b_initializer)
  // on a built Dense, EinsumDense, Embedding or Conv1D/2D/3D: adds the
  // trainable float32 variables lora_kernel_a / lora_kernel_b
  // (lora_embeddings_a / _b for Embedding) and freezes the kernel; the layer
  // then computes with kernel + (lora_alpha / rank) * (a @ b), saves that
  // merged kernel in the kernel's place (not a and b) and, on loading,
  // reads the merged kernel and sets a and b to zeros. Throws ValueError
  // (not built, already enabled, a kernel constraint) as Keras does, and
  // NotImplementedError on other classes.
  virtual void enable_lora(std::int64_t rank, const LoraOptions& options = {});
  virtual bool lora_enabled() const { return false; }

  // Saving hooks: the variables a weights file holds for this layer, in
  // order (own_variables() unless the stored values differ from the
  // variables, as a LoRA layer's merged kernel does), and what a layer does
  // after own_variables() were read from a file (LoRA: reset a and b).
  virtual std::vector<VariablePtr> variables_to_save() const { return own_variables(); }
  virtual void own_variables_loaded() {}

  // Masking, as Keras' Layer.__call__ does it. call_accepts_mask(): call()
  // takes `mask`. supports_masking(): __call__ sets compute_mask()'s result
  // on the first output; otherwise (the default, as for Keras layers that
  // neither set it nor override compute_mask) the outputs carry no mask.
  // Each class states its rule beside these overrides.
  virtual bool call_accepts_mask() const { return false; }
  virtual bool supports_masking() const { return false; }
  // Run-time mask effects Keras has because a mask is an attribute of the
  // tensor object itself. call_erases_masks_of(): the call() parameters whose
  // tensors' masks the call removes (MultiHeadAttention: query, value, key),
  // hiding them from every layer Keras runs afterwards on those tensors.
  // returns_its_input(): the call returns its input tensor object itself, so
  // that the output shares the input's mask (Dropout at inference, Identity).
  virtual std::vector<std::string> call_erases_masks_of() const { return {}; }
  virtual bool returns_its_input(bool /*training*/) const { return false; }
  // Keras' input_dtype (what __call__ converts inputs to) and whether
  // __call__ converts them at all (false for Functional). Together they
  // decide whether an auto-populated mask is recorded in the node.
  virtual DType input_dtype() const { return compute_dtype(); }
  virtual bool converts_input_args() const { return true; }
  // The mask of the first output of a symbolic call (Keras compute_mask,
  // called only when supports_masking()); `inputs` are the first argument's
  // tensors. Default: Keras' previous_mask, the node's `mask` argument if it
  // has one, else the first input's mask.
  virtual std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node);
  // The names of call()'s parameters in order (positional arguments bind to
  // them); __call__ fills `mask` or `<name>_mask` from them (call_time_masks).
  virtual std::vector<std::string> call_parameter_names() const;
  // Layer.__call__ step 6, for a recorded node: the keyword arguments filled
  // with input masks at call time. `structure` is a template whose tensor
  // leaves ({"__tensor__": i}) stand for the mask of the node's input i.
  struct CallMask {
    std::string kwarg;
    Json structure;
  };
  virtual std::vector<CallMask> call_time_masks(const Json& args, const Json& kwargs) const;

  // Single-tensor convenience used by most layers: override these two instead
  // of compute_output_spec()/call().
  virtual Shape compute_output_shape(const Shape& input_shape);
  virtual Tensor forward(const Tensor& input, bool training);
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  // Layer.__call__'s mask handling around the recorded node: an input's mask
  // goes to `mask` when the call takes one, and compute_mask() sets the masks
  // of the outputs.
  std::vector<KerasTensor> symbolic_call(Json args, Json kwargs, std::vector<KerasTensor> inputs) override;

  // Backward passes: a layer writes its call with keras::ad operations and
  // gets call_vjp() from the tape. Single-tensor layers override
  // forward_tape(), the others call_tape() (`tensors` are the call's
  // CallArgs::tensors as values; non-float ones carry no gradient). Either
  // must compute what call() computes. differentiability() says which
  // layers have one (default: unsupported).
  virtual ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training);
  virtual std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                         TapeVariables& variables);
  VjpResult call_vjp(const CallArgs& args) override;

 protected:
  // Creates the variables; called once with the shapes of the first call argument.
  virtual void build(const std::vector<Shape>& input_shapes);
  VariablePtr add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& initializer,
                         bool trainable = true, std::optional<DType> dtype = std::nullopt);
  void track(const std::string& attribute, std::shared_ptr<Layer> sublayer);
  // Adds an existing variable (e.g. a wrapped layer's kernel) to this layer's
  // own variables, as assigning it to an attribute does in Keras; the
  // variable lists below list it once.
  void track_variable(const VariablePtr& variable);
  void before_symbolic_call(const SpecArgs& args) override;
  void set_built(bool built) { built_ = built; }
  // The layer's own quantize() after the checks; the default has none.
  virtual void quantize_weights(const quantizers::QuantizationConfig& config);
  // Drops a variable (Keras' `del self._kernel` before a quantized rebuild).
  void remove_weight(const VariablePtr& variable);
  // Keras' `variable.trainable = False` on an own variable: it keeps its place
  // in weights() and leaves trainable_variables() for non_trainable_variables().
  void freeze_weight(const VariablePtr& variable);
  // Replaces the policy (Keras' layer.dtype_policy = ...: quantize(), or a
  // float8 policy whose amax_history_length the name does not carry).
  void set_dtype_policy(DTypePolicy policy);

  std::optional<Json> activity_regularizer_;

 private:
  bool trainable_ = true;
  DTypePolicy dtype_policy_;
  bool built_ = false;
  bool build_from_list_ = false;
  std::vector<Shape> build_shapes_;
  std::vector<VariablePtr> trainable_vars_;
  std::vector<VariablePtr> non_trainable_vars_;
  std::vector<Child> sublayers_;
};

using LayerPtr = std::shared_ptr<Layer>;

// Cheap-to-copy handle to a layer. Copies refer to the same layer, so calling
// a copy on another input shares the weights (one layer, several nodes).
class LayerRef {
 public:
  LayerRef() = default;
  explicit LayerRef(LayerPtr layer) : layer_(std::move(layer)) {}

  Layer* operator->() const { return layer_.get(); }
  Layer& operator*() const { return *layer_; }
  const LayerPtr& ptr() const { return layer_; }
  explicit operator bool() const { return layer_ != nullptr; }

  // layer(x)
  KerasTensor operator()(const KerasTensor& x) const;
  // layer([a, b]): one list argument, as merge layers take it.
  KerasTensor operator()(const std::vector<KerasTensor>& xs) const;
  // The general form: positional and keyword arguments; every output.
  std::vector<KerasTensor> call(const std::vector<SymbolicArg>& args, const SymbolicKwargs& kwargs = {}) const;

 protected:
  LayerPtr layer_;
};

// Creates a custom layer and wraps it in a handle.
template <typename T, typename... Args>
LayerRef make_layer(Args&&... args) {
  return LayerRef(std::make_shared<T>(std::forward<Args>(args)...));
}

}  // namespace keras
