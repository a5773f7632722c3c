// keras.Model (Functional) and keras.Sequential.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "keras/layer.hpp"
#include "keras/layers/core.hpp"  // keras::Input
#include "keras/logs.hpp"

namespace keras {

class ModelImpl;
class Optimizer;
class Callback;
namespace callbacks {
class History;
}
namespace training {
struct TrainerState;
}

// What compile() accepts as an optimizer: an optimizer object, a name or a
// config envelope (keras.optimizers.get semantics; resolved by the training
// code, keras/optimizers.hpp).
class OptimizerIdentifier {
 public:
  OptimizerIdentifier(const char* name) : name_(name) {}                  // NOLINT(google-explicit-constructor)
  OptimizerIdentifier(std::string name) : name_(std::move(name)) {}       // NOLINT(google-explicit-constructor)
  OptimizerIdentifier(Json envelope) : envelope_(std::move(envelope)) {}  // NOLINT(google-explicit-constructor)
  template <typename T, typename = std::enable_if_t<std::is_base_of_v<Optimizer, T>>>
  OptimizerIdentifier(std::shared_ptr<T> optimizer)  // NOLINT(google-explicit-constructor)
      : optimizer_(std::move(optimizer)) {}
  // The optimizer object (a new one for names and envelopes).
  std::shared_ptr<Optimizer> resolve() const;

 private:
  std::shared_ptr<Optimizer> optimizer_;
  std::optional<std::string> name_;
  Json envelope_;
};

// keras.Model.compile's arguments. Losses and metrics are kept as Keras
// identifiers (compile_config records them as given): names such as
// "categorical_crossentropy" or "accuracy", envelopes of keras.losses /
// keras.metrics classes, or lists / dicts of these.
struct CompileOptions {
  OptimizerIdentifier optimizer = "rmsprop";  // an object, a name or a config envelope
  Json loss = nullptr;
  Json loss_weights = nullptr;
  Json metrics = nullptr;
  Json weighted_metrics = nullptr;
  bool run_eagerly = false;
  std::int64_t steps_per_execution = 1;
  // nullopt is Keras' "auto", resolved as the jax and numpy backends do: true
  // unless run_eagerly or a layer does not support XLA.
  std::optional<bool> jit_compile;
  // Wraps the optimizer in a LossScaleOptimizer under a mixed_float16 model policy.
  bool auto_scale_loss = true;
};

// A Python dict of symbolic tensors, in insertion order: {{"a", a}, {"b", b}}.
// Model.summary()'s arguments (keras.utils.print_summary's).
struct SummaryOptions {
  // Total width of the table. Default: 88, or 108 when the table has a
  // Connected to column, 12 more with show_trainable; at most the terminal
  // width - 4, as in Keras.
  std::optional<int> line_length;
  // The terminal width for the default line_length; nullopt: $COLUMNS, else
  // the width of the terminal on stdout, else 80 (Python's
  // shutil.get_terminal_size).
  std::optional<int> terminal_width;
  bool expand_nested = false;  // rows for the layers of nested models
  bool show_trainable = false;
};

// One row of the summary table.
struct SummaryRow {
  int nesting = 0;  // 0: a layer of the model; 1, 2, ...: inside nested models (expand_nested)
  std::string name;
  std::string class_name;
  std::string output_shape;  // "(None, 10, 10, 8)"; "?" when unknown
  bool is_layer = true;      // false for raw operations (keras.ops calls)
  bool built = true;
  std::int64_t params = 0;
  std::vector<std::string> connected_to;  // "conv2d_5[0][0]", ...; only when !sequential_like
  std::string trainable;                  // "Y", "N", or "-" for a layer without weights
};

struct ParamCount {
  std::int64_t count = 0;
  double bytes = 0;
};

// What model.summary() shows, as data.
struct ModelSummary {
  std::string name;
  bool sequential_like = true;  // false: a graph, shown with a Connected to column
  std::vector<SummaryRow> rows;
  ParamCount total;
  ParamCount trainable;
  ParamCount non_trainable;
  std::optional<ParamCount> optimizer;  // a built optimizer's variables
};

// Keras' readable_memory_size: "80.00 B", "3.67 KB".
std::string readable_param_size(double bytes);

using TensorDict = std::vector<std::pair<std::string, KerasTensor>>;

// The base of Functional and Sequential models as layers.
class ModelImpl : public Layer {
 public:
  using Layer::Layer;
  virtual std::vector<KerasTensor> inputs() const = 0;
  virtual std::vector<KerasTensor> outputs() const = 0;
  // Input and output names; dict models use their keys, sorted.
  virtual std::vector<std::string> input_names() const;
  virtual std::vector<std::string> output_names() const;
  // Runs the model on concrete inputs (in model.inputs order).
  virtual std::vector<Tensor> run(const std::vector<Tensor>& inputs, bool training) = 0;
  bool call_accepts_mask() const override { return true; }
  std::vector<Child> walk_children() const override;

  Json compile_config = Json::object();
  std::shared_ptr<Optimizer> optimizer;
  // The optimizer compile() received (compile_config records it; `optimizer`
  // may wrap it in an automatic LossScaleOptimizer).
  std::shared_ptr<Optimizer> compiled_optimizer;
  // Keras' get_compile_config(): {} when uncompiled, else compile_config with
  // the optimizer serialized as it is now.
  Json get_compile_config() const;
  // Every model envelope carries its compile_config ({} when uncompiled).
  std::optional<Json> envelope_compile_config() const override { return get_compile_config(); }
  // The compiled losses and metrics (set by compile()).
  std::shared_ptr<training::TrainerState> trainer;
};

// Data for fit / evaluate: the inputs in model.inputs order, the targets in
// model.outputs order, and optional sample weights (one tensor for every
// output, or one per output).
struct TrainingData {
  std::vector<Tensor> x;
  std::vector<Tensor> y;
  std::vector<Tensor> sample_weight;
};

// keras.Model.fit's arguments that make sense in C++, with Keras' defaults.
struct FitOptions {
  std::optional<std::int64_t> batch_size;  // 32 unless steps_per_epoch says otherwise
  std::int64_t epochs = 1;
  // 0 silent, 1 progress bar (redrawn on a terminal), 2 one line per epoch.
  int verbose = 1;
  std::vector<std::shared_ptr<Callback>> callbacks;
  // The last fraction of the samples (before shuffling) held out for validation.
  double validation_split = 0.0;
  std::optional<TrainingData> validation_data;
  bool shuffle = true;
  // Seeds the per-epoch shuffles; nullopt draws from the process-wide generator.
  std::optional<std::uint64_t> seed;
  // Class index -> weight, turned into sample weights (single-output models).
  std::map<std::int64_t, double> class_weight;
  std::vector<Tensor> sample_weight;
  std::int64_t initial_epoch = 0;
  std::optional<std::int64_t> steps_per_epoch;
  std::optional<std::int64_t> validation_steps;
  std::optional<std::int64_t> validation_batch_size;
  std::int64_t validation_freq = 1;
};

struct EvaluateOptions {
  std::optional<std::int64_t> batch_size;  // 32
  int verbose = 1;
  std::vector<Tensor> sample_weight;
  std::optional<std::int64_t> steps;
  std::vector<std::shared_ptr<Callback>> callbacks;
};

// What Model::quantize did: the layers quantized and those skipped (with
// Keras' reason), by name.
struct QuantizationReport {
  std::string mode;
  std::vector<std::string> quantized;
  std::vector<std::pair<std::string, std::string>> skipped;
};

// keras.Model: a handle to a Functional or Sequential model.
class Model : public LayerRef {
 public:
  Model() = default;
  explicit Model(std::shared_ptr<ModelImpl> impl);
  // keras.Model(inputs, outputs): a Functional model.
  Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, const std::string& name = "");
  Model(const KerasTensor& input, const KerasTensor& output, const std::string& name = "");
  // A list of inputs and one (unlisted) output, as keras.Model([a, b], y).
  Model(const std::vector<KerasTensor>& inputs, const KerasTensor& output, const std::string& name = "");
  // Dict inputs and/or outputs. The config keeps the given key order; the
  // flat order of inputs, outputs and predictions is the sorted key order, as
  // in Keras.
  Model(const TensorDict& inputs, const TensorDict& outputs, const std::string& name = "");
  Model(const TensorDict& inputs, const std::vector<KerasTensor>& outputs, const std::string& name = "");
  Model(const TensorDict& inputs, const KerasTensor& output, const std::string& name = "");
  Model(const std::vector<KerasTensor>& inputs, const TensorDict& outputs, const std::string& name = "");
  Model(const KerasTensor& input, const TensorDict& outputs, const std::string& name = "");

  ModelImpl& impl() const;
  std::shared_ptr<ModelImpl> impl_ptr() const;
  const std::string& name() const;

  // Predictions in batches of `batch_size`, outputs in model order.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs, std::int64_t batch_size = 32) const;
  std::vector<Tensor> predict(const Tensor& input, std::int64_t batch_size = 32) const;
  // Inputs and outputs by name (dict models).
  std::map<std::string, Tensor> predict_named(const std::map<std::string, Tensor>& inputs,
                                              std::int64_t batch_size = 32) const;

  std::vector<KerasTensor> inputs() const;
  std::vector<KerasTensor> outputs() const;
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // model.layers (no InputLayer in a Sequential), get_layer, weights.
  std::vector<LayerRef> layers() const;
  LayerRef get_layer(const std::string& name) const;
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& weights) const;
  std::int64_t count_params() const;
  // Keras' model.trainable_variables (the order optimizers use).
  std::vector<VariablePtr> trainable_variables() const;

  // keras.Model.quantize(mode, config): quantizes every Dense, EinsumDense
  // and Embedding layer it holds (nested models' layers and layers' sublayers
  // included) in place, as Keras does; layers without a quantized variant
  // and layers already quantized are skipped. The model must be built.
  // Modes "int8", "int4" and "float8"; ValueError for an unknown mode,
  // NotImplementedError for "ternary", "gptq" and "awq".
  QuantizationReport quantize(const std::string& mode,
                              const std::optional<quantizers::QuantizationConfig>& config = std::nullopt) const;

  // keras.Model.compile. ValueError for unknown loss or metric names.
  void compile(const CompileOptions& options = {}) const;
  bool compiled() const;
  // The optimizer set by compile() (nullptr when uncompiled).
  std::shared_ptr<Optimizer> optimizer() const;

  // keras.Model.fit: trains for `epochs` epochs; returns the History.
  std::shared_ptr<callbacks::History> fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                                          const FitOptions& options = {}) const;
  std::shared_ptr<callbacks::History> fit(const Tensor& x, const Tensor& y, const FitOptions& options = {}) const;
  // keras.Model.evaluate(..., return_dict=True): the loss and the compiled metrics.
  Logs evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const EvaluateOptions& options = {}) const;
  Logs evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {}) const;
  // One gradient step / one evaluation on a single batch (metrics reset first).
  Logs train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                      const std::vector<Tensor>& sample_weight = {},
                      const std::map<std::int64_t, double>& class_weight = {}) const;
  Logs test_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                     const std::vector<Tensor>& sample_weight = {}) const;

  // Keras 3's model.summary() table, line for line; print_summary() writes it to stdout.
  std::string summary(const SummaryOptions& options = {}) const;
  void print_summary(const SummaryOptions& options = {}) const;
  // The same content as data (options.expand_nested decides the rows).
  ModelSummary summarize(const SummaryOptions& options = {}) const;
};

using SequentialEntry = std::variant<LayerRef, KerasTensor>;

struct SequentialOptions {
  std::string name;
  bool trainable = true;
};

// keras.Sequential: a linear stack. An Input() entry (or a first layer built
// with add()) fixes the input shape.
class Sequential : public Model {
 public:
  explicit Sequential(const std::vector<SequentialEntry>& layers = {}, const SequentialOptions& options = {});
  explicit Sequential(std::shared_ptr<ModelImpl> impl);
  void add(const SequentialEntry& entry) const;
  void pop() const;
  // Builds the model for the given input shape (batch dim included, -1 = None).
  void build(const Shape& batch_input_shape) const;
};

// Threads predict() may use (OpenMP, the pool oneDNN runs on): set_num_threads(n), else the
// KERAS_CPP_NUM_THREADS environment variable, else OpenMP's default (OMP_NUM_THREADS or the
// cores). Batches smaller than 4 samples run on one thread; larger ones are split by rows,
// a slice per thread (unless the model holds raw operations, Lambda or custom layers, which may
// mix samples: then threads share each primitive). Results are identical from run to run for a
// given thread count.
void set_num_threads(int threads);
int get_num_threads();

}  // namespace keras
