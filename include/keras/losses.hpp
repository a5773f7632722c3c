// keras.losses: loss functions and Loss objects with Keras 3.16's names,
// configs, defaults and reductions (keras/src/losses/). Values are computed
// in float32 in Keras' operation order; every loss is differentiable through
// keras::ad, so the same object serves for reporting and for training.
//
//   auto bce = keras::losses::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.1});
//   keras::Tensor value = (*bce)(y_true, y_pred);              // a scalar
//   keras::Tensor per_sample = keras::losses::mean_squared_error(y_true, y_pred).value();
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/json.hpp"
#include "keras/tensor.hpp"

namespace keras {

// Loss.reduction: "sum_over_batch_size" (the default), "sum", "mean",
// "mean_with_sample_weight", "none", or nullopt (Python's None: no reduction).
using Reduction = std::optional<std::string>;
inline const Reduction kSumOverBatchSize = std::string("sum_over_batch_size");

// What Loss::call returns: unreduced losses, and the mask Keras attaches to
// them (ignore_class, Circle) when there is one.
struct LossValues {
  ad::Var values;
  Tensor mask;  // bool, shaped like values; undefined when absent
};

// keras.losses.Loss: the base of every loss object. Subclass it for a custom
// loss (override class_name(), call(), and get_config() when it has options).
class Loss {
 public:
  virtual ~Loss();
  Loss(const Loss&) = delete;
  Loss& operator=(const Loss&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const Reduction& reduction() const { return reduction_; }
  virtual std::string class_name() const = 0;
  // "keras.losses" for the built-ins; custom losses override this and
  // registered_name() ("package>ClassName").
  virtual std::string module() const { return "keras.losses"; }
  virtual std::optional<std::string> registered_name() const { return std::nullopt; }
  // {"name": ..., "reduction": ...} then the class's own keys, as Keras writes them.
  virtual Json get_config() const;
  // The {"module", "class_name", "config", "registered_name"} envelope.
  Json serialize() const;

  // Loss.__call__: call(), then the mask of y_pred (`mask`) and of the
  // values merged into sample_weight, then the reduction.
  ad::Var compute(const ad::Var& y_true, const ad::Var& y_pred, const Tensor& sample_weight = {},
                  const Tensor& mask = {}) const;
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) const;

  // The unreduced losses (one per sample, or per element for some losses).
  virtual LossValues call(const ad::Var& y_true, const ad::Var& y_pred) const = 0;

 protected:
  // Throws ValueError for a reduction Keras does not accept.
  Loss(std::string name, Reduction reduction);

 private:
  std::string name_;
  Reduction reduction_;
};

using LossPtr = std::shared_ptr<Loss>;

namespace losses {

// keras.losses.loss.reduce_weighted_values: applies `mask` and
// `sample_weight` (squeezed or expanded to the values' rank) and reduces.
ad::Var reduce_weighted_values(const ad::Var& values, const Tensor& sample_weight, const Tensor& mask,
                               const Reduction& reduction);
// keras.losses.loss.squeeze_or_expand_to_same_rank.
std::pair<ad::Var, ad::Var> squeeze_or_expand_to_same_rank(const ad::Var& x1, const ad::Var& x2,
                                                           bool expand_rank_1 = true);

// ---------------------------------------------------------------- functions
// keras.losses.<name>(y_true, y_pred, ...): per-sample values, differentiable
// in y_pred.
ad::Var mean_squared_error(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var mean_absolute_error(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var mean_absolute_percentage_error(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var mean_squared_logarithmic_error(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var cosine_similarity(const ad::Var& y_true, const ad::Var& y_pred, int axis = -1);
ad::Var huber(const ad::Var& y_true, const ad::Var& y_pred, double delta = 1.0);
ad::Var log_cosh(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var hinge(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var squared_hinge(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var categorical_hinge(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var kl_divergence(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var poisson(const ad::Var& y_true, const ad::Var& y_pred);
ad::Var binary_crossentropy(const ad::Var& y_true, const ad::Var& y_pred, bool from_logits = false,
                            double label_smoothing = 0.0, int axis = -1);
ad::Var binary_focal_crossentropy(const ad::Var& y_true, const ad::Var& y_pred, bool apply_class_balancing = false,
                                  double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                  double label_smoothing = 0.0, int axis = -1);
ad::Var categorical_crossentropy(const ad::Var& y_true, const ad::Var& y_pred, bool from_logits = false,
                                 double label_smoothing = 0.0, int axis = -1);
ad::Var categorical_focal_crossentropy(const ad::Var& y_true, const ad::Var& y_pred, double alpha = 0.25,
                                       double gamma = 2.0, bool from_logits = false, double label_smoothing = 0.0,
                                       int axis = -1);
// With ignore_class, the values are 0 at ignored positions and `mask` marks the others.
LossValues sparse_categorical_crossentropy(const ad::Var& y_true, const ad::Var& y_pred, bool from_logits = false,
                                           std::optional<std::int64_t> ignore_class = std::nullopt, int axis = -1);
ad::Var dice(const ad::Var& y_true, const ad::Var& y_pred, const std::optional<std::vector<int>>& axis = std::nullopt);
ad::Var tversky(const ad::Var& y_true, const ad::Var& y_pred, double alpha = 0.5, double beta = 0.5,
                const std::optional<std::vector<int>>& axis = std::nullopt);
LossValues circle(const ad::Var& y_true, const ad::Var& y_pred, double gamma = 80.0, double margin = 0.4,
                  bool remove_diagonal = true);
ad::Var categorical_generalized_cross_entropy(const ad::Var& y_true, const ad::Var& y_pred, double q);

// ------------------------------------------------------------------ classes
// Each options struct lists Keras' constructor arguments with Keras' defaults.
#define KERAS_LOSS_COMMON(default_name)    \
  Reduction reduction = kSumOverBatchSize; \
  std::string name = default_name;

struct MeanSquaredErrorOptions {
  KERAS_LOSS_COMMON("mean_squared_error")
};
struct MeanAbsoluteErrorOptions {
  KERAS_LOSS_COMMON("mean_absolute_error")
};
struct MeanAbsolutePercentageErrorOptions {
  KERAS_LOSS_COMMON("mean_absolute_percentage_error")
};
struct MeanSquaredLogarithmicErrorOptions {
  KERAS_LOSS_COMMON("mean_squared_logarithmic_error")
};
struct CosineSimilarityOptions {
  int axis = -1;
  KERAS_LOSS_COMMON("cosine_similarity")
};
struct HuberOptions {
  double delta = 1.0;
  KERAS_LOSS_COMMON("huber_loss")
};
struct LogCoshOptions {
  KERAS_LOSS_COMMON("log_cosh")
};
struct HingeOptions {
  KERAS_LOSS_COMMON("hinge")
};
struct SquaredHingeOptions {
  KERAS_LOSS_COMMON("squared_hinge")
};
struct CategoricalHingeOptions {
  KERAS_LOSS_COMMON("categorical_hinge")
};
struct KLDivergenceOptions {
  KERAS_LOSS_COMMON("kl_divergence")
};
struct PoissonOptions {
  KERAS_LOSS_COMMON("poisson")
};
struct BinaryCrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  KERAS_LOSS_COMMON("binary_crossentropy")
};
struct BinaryFocalCrossentropyOptions {
  bool apply_class_balancing = false;
  double alpha = 0.25;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  KERAS_LOSS_COMMON("binary_focal_crossentropy")
};
struct CategoricalCrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  KERAS_LOSS_COMMON("categorical_crossentropy")
};
struct CategoricalFocalCrossentropyOptions {
  double alpha = 0.25;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  KERAS_LOSS_COMMON("categorical_focal_crossentropy")
};
struct SparseCategoricalCrossentropyOptions {
  bool from_logits = false;
  std::optional<std::int64_t> ignore_class;
  int axis = -1;
  KERAS_LOSS_COMMON("sparse_categorical_crossentropy")
};
struct DiceOptions {
  std::optional<std::vector<int>> axis;
  KERAS_LOSS_COMMON("dice")
};
struct TverskyOptions {
  double alpha = 0.5;
  double beta = 0.5;
  std::optional<std::vector<int>> axis;
  KERAS_LOSS_COMMON("tversky")
};
struct CircleOptions {
  double gamma = 80.0;
  double margin = 0.4;
  bool remove_diagonal = true;
  KERAS_LOSS_COMMON("circle")
};
struct CategoricalGeneralizedCrossEntropyOptions {
  double q = 0.5;
  KERAS_LOSS_COMMON("categorical_generalized_cross_entropy")
};
#undef KERAS_LOSS_COMMON

LossPtr MeanSquaredError(const MeanSquaredErrorOptions& options = {});
LossPtr MeanAbsoluteError(const MeanAbsoluteErrorOptions& options = {});
LossPtr MeanAbsolutePercentageError(const MeanAbsolutePercentageErrorOptions& options = {});
LossPtr MeanSquaredLogarithmicError(const MeanSquaredLogarithmicErrorOptions& options = {});
LossPtr CosineSimilarity(const CosineSimilarityOptions& options = {});
LossPtr Huber(const HuberOptions& options = {});
LossPtr LogCosh(const LogCoshOptions& options = {});
LossPtr Hinge(const HingeOptions& options = {});
LossPtr SquaredHinge(const SquaredHingeOptions& options = {});
LossPtr CategoricalHinge(const CategoricalHingeOptions& options = {});
LossPtr KLDivergence(const KLDivergenceOptions& options = {});
LossPtr Poisson(const PoissonOptions& options = {});
LossPtr BinaryCrossentropy(const BinaryCrossentropyOptions& options = {});
LossPtr BinaryFocalCrossentropy(const BinaryFocalCrossentropyOptions& options = {});
LossPtr CategoricalCrossentropy(const CategoricalCrossentropyOptions& options = {});
LossPtr CategoricalFocalCrossentropy(const CategoricalFocalCrossentropyOptions& options = {});
LossPtr SparseCategoricalCrossentropy(const SparseCategoricalCrossentropyOptions& options = {});
LossPtr Dice(const DiceOptions& options = {});
LossPtr Tversky(const TverskyOptions& options = {});
LossPtr Circle(const CircleOptions& options = {});
LossPtr CategoricalGeneralizedCrossEntropy(const CategoricalGeneralizedCrossEntropyOptions& options = {});

// keras.losses.LossFunctionWrapper: a loss function (by its Keras name, or
// a custom function) as a Loss; what compile() makes of a string such as
// "mse". The function's keyword arguments are kept as JSON.
using LossFunction = std::function<LossValues(const ad::Var& y_true, const ad::Var& y_pred, const Json& kwargs)>;
LossPtr LossFunctionWrapper(const std::string& fn_name, Reduction reduction = kSumOverBatchSize,
                            const std::string& name = "", Json kwargs = Json::object());
LossPtr LossFunctionWrapper(LossFunction fn, const std::string& fn_name, Reduction reduction = kSumOverBatchSize,
                            const std::string& name = "", Json kwargs = Json::object());

// The built-in loss function named `name` (Keras' names and the aliases
// "mse", "MAE", "bce", ...); nullopt for other names.
std::optional<LossFunction> find_function(const std::string& name);
// The canonical function name of an alias ("mse" -> "mean_squared_error").
std::string canonical_function_name(const std::string& name);

// keras.losses.deserialize: a loss object from its envelope (a class, or a
// {"class_name": "function", ...} envelope, which gives a LossFunctionWrapper).
// UnknownObjectError for classes nobody registered.
LossPtr deserialize(const Json& envelope);
// keras.losses.get: a name (class or function) or an envelope.
LossPtr get(const Json& identifier);

// Registers a custom loss class for deserialize() under `registered_name`
// ("package>ClassName", as register_keras_serializable writes it).
void register_loss(const std::string& registered_name, std::function<LossPtr(const Json& config)> from_config);

}  // namespace losses

}  // namespace keras
