// keras.optimizers: the optimizer catalog of Keras 3.16 with Keras' update
// rules (float32 arithmetic in Keras' operation order), Keras' variables
// (names, order, dtypes: what optimizer/vars holds in a weights file) and
// Keras' configs; and keras.optimizers.schedules.
//
//   auto adam = std::make_shared<keras::optimizers::Adam>(keras::optimizers::AdamOptions{.learning_rate = 1e-2});
//   adam->apply_gradients(grads, model->trainable_variables());
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/json.hpp"
#include "keras/models.hpp"  // OptimizerIdentifier
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras {

namespace optimizers::schedules {

// keras.optimizers.schedules.LearningRateSchedule: the learning rate as a
// function of the optimizer's iteration count. Subclass it for a custom
// schedule (it then serializes with module null and its class name).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual std::string class_name() const = 0;
  virtual std::string module() const { return "keras.optimizers.schedules"; }
  // Constructor arguments in Keras' order, with the values as given.
  virtual Json get_config() const = 0;
  // The rate at `step`, computed in float32 as Keras does.
  virtual float operator()(std::int64_t step) const = 0;
  // {"module", "class_name", "config", "registered_name"}.
  Json serialize() const;
};
using Schedule = std::shared_ptr<const LearningRateSchedule>;

struct ExponentialDecayOptions {
  bool staircase = false;
  std::string name = "ExponentialDecay";
};
Schedule ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                          const ExponentialDecayOptions& options = {});

struct PiecewiseConstantDecayOptions {
  std::string name = "PiecewiseConstant";
};
// values.size() must be boundaries.size() + 1 (ValueError otherwise).
Schedule PiecewiseConstantDecay(const std::vector<std::int64_t>& boundaries, const std::vector<double>& values,
                                const PiecewiseConstantDecayOptions& options = {});

struct PolynomialDecayOptions {
  double end_learning_rate = 0.0001;
  double power = 1.0;
  bool cycle = false;
  std::string name = "PolynomialDecay";
};
Schedule PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps,
                         const PolynomialDecayOptions& options = {});

struct InverseTimeDecayOptions {
  bool staircase = false;
  std::string name = "InverseTimeDecay";
};
Schedule InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                          const InverseTimeDecayOptions& options = {});

struct CosineDecayOptions {
  double alpha = 0.0;
  std::string name = "CosineDecay";
  // Set: a linear warmup from initial_learning_rate to warmup_target over
  // warmup_steps, then the cosine decay from warmup_target.
  std::optional<double> warmup_target;
  std::int64_t warmup_steps = 0;
};
Schedule CosineDecay(double initial_learning_rate, std::int64_t decay_steps, const CosineDecayOptions& options = {});

struct CosineDecayRestartsOptions {
  double t_mul = 2.0;
  double m_mul = 1.0;
  double alpha = 0.0;
  std::string name = "SGDRDecay";
};
Schedule CosineDecayRestarts(double initial_learning_rate, std::int64_t first_decay_steps,
                             const CosineDecayRestartsOptions& options = {});

// keras.optimizers.schedules.deserialize: a built-in schedule from its
// envelope. UnknownObjectError for other classes, ValueError for bad configs.
Schedule deserialize(const Json& envelope);

}  // namespace optimizers::schedules

namespace optimizers {

// A learning rate: a number (stored in a float32 variable) or a schedule.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}                                   // NOLINT(google-explicit-constructor)
  LearningRate(schedules::Schedule schedule) : schedule_(std::move(schedule)) {}  // NOLINT(google-explicit-constructor)
  template <typename T, typename = std::enable_if_t<std::is_base_of_v<schedules::LearningRateSchedule, T>>>
  LearningRate(std::shared_ptr<T> schedule)  // NOLINT(google-explicit-constructor)
      : schedule_(std::move(schedule)) {}
  double value() const { return value_; }
  const schedules::Schedule& schedule() const { return schedule_; }

 private:
  double value_ = 0.0;
  schedules::Schedule schedule_;
};

}  // namespace optimizers

// keras.optimizers.Optimizer: the base of every optimizer.
class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual std::string class_name() const = 0;
  // Identity as written in configs: a custom optimizer returns "" (null) and
  // its registered name ("package>Name", see keras::saving::register_keras_serializable).
  virtual std::string module() const { return "keras.optimizers"; }
  virtual std::optional<std::string> registered_name() const { return std::nullopt; }
  const std::string& name() const { return name_; }

  // get_config(): name, learning_rate, weight_decay, clipnorm,
  // global_clipnorm, clipvalue, use_ema, ema_momentum,
  // ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps,
  // then the class's own keys. learning_rate is the float32 variable's value
  // widened to double, or the schedule's envelope.
  virtual Json get_config() const;
  // The {"module": "keras.optimizers", ...} envelope.
  Json serialize() const;

  // Creates the slot variables for `variables` (normally the model's
  // trainable_variables()). A no-op once built.
  virtual void build(const std::vector<VariablePtr>& variables);
  bool built() const { return built_; }
  // Keras' optimizer.variables, which is what optimizer/vars holds: iteration
  // (int32), learning_rate (float32; absent with a schedule), EMA averages and
  // gradient accumulators when enabled, then the class's slots.
  virtual std::vector<VariablePtr> variables() const;
  // The variables the optimizer was built for.
  const std::vector<VariablePtr>& built_variables() const { return trainable_variables_; }

  // One training step: builds on first use, then clips, decays and updates
  // every variable with its gradient (same order, same shapes), applies EMA
  // and gradient accumulation as configured, and counts the iteration.
  // Gradients may be undefined Tensors for variables that got none.
  virtual void apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables);
  // The same for the variables the optimizer was built with.
  void apply(const std::vector<Tensor>& grads);

  // Keras' optimizer.iterations: update steps taken (divided by
  // gradient_accumulation_steps when accumulating).
  virtual std::int64_t iterations() const;
  // The learning rate at the current iteration (float32).
  virtual float learning_rate() const;
  // Replaces a numeric learning rate; ValueError when it is a schedule.
  virtual void set_learning_rate(double value);
  const optimizers::schedules::Schedule& learning_rate_schedule() const { return schedule_; }
  // With use_ema: replaces the variables' values by their moving averages.
  virtual void finalize_variable_values(const std::vector<VariablePtr>& variables);
  // Sets every optimizer variable (shapes must match; built optimizers only).
  void set_weights(const std::vector<Tensor>& weights);
  // Keras' exclude_from_weight_decay: these variables, and those whose name
  // matches one of the regular expressions, get no weight decay.
  void exclude_from_weight_decay(const std::vector<VariablePtr>& variables = {},
                                 const std::vector<std::string>& variable_names = {});

  // Keyword arguments shared by every optimizer, in Keras' representation
  // (values as given, nulls for unset options).
  struct BaseConfig {
    std::string name;  // empty: an auto name from the class name ("adam", "adam_1", ...)
    optimizers::LearningRate learning_rate = 0.001;
    Json weight_decay = nullptr;
    Json clipnorm = nullptr;
    Json global_clipnorm = nullptr;
    Json clipvalue = nullptr;
    Json use_ema = false;
    Json ema_momentum = 0.99;
    Json ema_overwrite_frequency = nullptr;
    Json loss_scale_factor = nullptr;
    Json gradient_accumulation_steps = nullptr;
  };
  // For a custom optimizer's from_config: the shared keyword arguments read
  // from a Keras config as the built-ins read them. `own_keys` are the
  // class's other keys (its from_config reads them); ValueError for any key
  // that is neither.
  static BaseConfig base_config_from(const std::string& class_name, const Json& config,
                                     const std::vector<std::string>& own_keys = {},
                                     double default_learning_rate = 0.001);
  // Sub-optimizers saved under their attribute name (LossScaleOptimizer's
  // "inner_optimizer"), in Keras' saving-walk order.
  virtual std::vector<std::pair<std::string, std::shared_ptr<Optimizer>>> walk_children() const { return {}; }

 protected:
  Optimizer(const std::string& python_class_name, BaseConfig base);

  // The class's keys for get_config(), in Keras' order.
  virtual Json class_config() const = 0;
  // Creates the class's slots (after the base's EMA averages and accumulators).
  virtual void build_slots(const std::vector<VariablePtr>& variables) = 0;
  // Keras' update_step for the variable at `index` in built_variables().
  virtual void update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) = 0;
  // Keras' _backend_update_step: update_step for each pair (Nadam adds to it).
  virtual void backend_update_step(const std::vector<Tensor>& grads, const std::vector<std::size_t>& indices,
                                   float learning_rate);

  VariablePtr add_variable(const std::string& name, const Shape& shape, DType dtype,
                           const initializers::Initializer& initializer);
  // A zero- (or `fill`-) initialized slot shaped like `reference`, named
  // "<reference path with / as _>_<name>".
  VariablePtr add_variable_from_reference(const Variable& reference, const std::string& name, double fill = 0.0);
  // One slot per variable for each name, created interleaved (m_0, v_0, m_1, ...).
  std::vector<std::vector<VariablePtr>> add_optimizer_variables(const std::vector<VariablePtr>& variables,
                                                                const std::vector<std::string>& names,
                                                                const std::vector<double>& fills = {});
  std::int64_t raw_iterations() const;
  const BaseConfig& base() const { return base_; }

 private:
  void backend_apply_gradients(std::vector<Tensor> grads, const std::vector<std::size_t>& indices);
  std::vector<Tensor> clip_gradients(std::vector<Tensor> grads) const;
  void apply_weight_decay(const std::vector<std::size_t>& indices);
  bool uses_weight_decay(const Variable& variable) const;
  void update_moving_averages();

  std::string name_;
  BaseConfig base_;
  bool built_ = false;
  optimizers::schedules::Schedule schedule_;
  VariablePtr iterations_;
  VariablePtr learning_rate_;
  std::vector<VariablePtr> variables_;  // every variable created, in creation order
  std::vector<VariablePtr> trainable_variables_;
  std::vector<VariablePtr> averages_;
  std::vector<VariablePtr> accumulators_;
  // Typed copies of the common options.
  std::optional<double> weight_decay_, clipnorm_, global_clipnorm_, clipvalue_, loss_scale_factor_;
  bool use_ema_ = false;
  double ema_momentum_ = 0.99;
  std::int64_t ema_overwrite_frequency_ = 0;
  std::int64_t accumulation_steps_ = 0;
  std::vector<const Variable*> decay_excluded_;
  std::string decay_excluded_pattern_;
};

namespace optimizers {

// Each options struct lists Keras' constructor arguments in Keras' order,
// with Keras' defaults, followed by the arguments common to all optimizers.
#define KERAS_OPTIMIZER_COMMON_OPTIONS_AFTER_WEIGHT_DECAY  \
  std::optional<double> clipnorm;                          \
  std::optional<double> clipvalue;                         \
  std::optional<double> global_clipnorm;                   \
  bool use_ema = false;                                    \
  double ema_momentum = 0.99;                              \
  std::optional<std::int64_t> ema_overwrite_frequency;     \
  std::optional<double> loss_scale_factor;                 \
  std::optional<std::int64_t> gradient_accumulation_steps; \
  std::string name; /* empty: an auto name such as "adam" */

#define KERAS_OPTIMIZER_COMMON_OPTIONS \
  std::optional<double> weight_decay;  \
  KERAS_OPTIMIZER_COMMON_OPTIONS_AFTER_WEIGHT_DECAY

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct AdamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  KERAS_OPTIMIZER_COMMON_OPTIONS_AFTER_WEIGHT_DECAY
};
struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct AdamaxOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct LionOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.99;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct AdadeltaOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.95;
  double epsilon = 1e-7;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};
struct FtrlOptions {
  LearningRate learning_rate = 0.001;
  double learning_rate_power = -0.5;
  double initial_accumulator_value = 0.1;
  double l1_regularization_strength = 0.0;
  double l2_regularization_strength = 0.0;
  double l2_shrinkage_regularization_strength = 0.0;
  double beta = 0.0;
  KERAS_OPTIMIZER_COMMON_OPTIONS
};

#undef KERAS_OPTIMIZER_COMMON_OPTIONS
#undef KERAS_OPTIMIZER_COMMON_OPTIONS_AFTER_WEIGHT_DECAY

// The concrete optimizers. Each has a constructor from its options and one
// from a Keras config (the envelope's "config"), used by deserialize().
#define KERAS_DECLARE_OPTIMIZER(Class)                                                                             \
  class Class final : public Optimizer {                                                                           \
   public:                                                                                                         \
    explicit Class(const Class##Options& options = {});                                                            \
    static std::shared_ptr<Class> from_config(const Json& config);                                                 \
    std::string class_name() const override { return #Class; }                                                     \
                                                                                                                   \
   protected:                                                                                                      \
    Json class_config() const override;                                                                            \
    void build_slots(const std::vector<VariablePtr>& variables) override;                                          \
    void update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) override; \
                                                                                                                   \
   private:                                                                                                        \
    Class(BaseConfig base, Json hyper);                                                                            \
    Json hyper_;                                                                                                   \
    std::vector<std::vector<VariablePtr>> slots_;                                                                  \
    struct Hyper; /* the typed hyperparameters */                                                                  \
    std::shared_ptr<const Hyper> typed_;                                                                           \
  };

KERAS_DECLARE_OPTIMIZER(SGD)
KERAS_DECLARE_OPTIMIZER(Adam)
KERAS_DECLARE_OPTIMIZER(AdamW)
KERAS_DECLARE_OPTIMIZER(RMSprop)
KERAS_DECLARE_OPTIMIZER(Adagrad)
KERAS_DECLARE_OPTIMIZER(Adamax)
KERAS_DECLARE_OPTIMIZER(Lion)
KERAS_DECLARE_OPTIMIZER(Adadelta)
KERAS_DECLARE_OPTIMIZER(Ftrl)
#undef KERAS_DECLARE_OPTIMIZER

// Nadam keeps one more variable, u_product, updated once per step.
class Nadam final : public Optimizer {
 public:
  explicit Nadam(const NadamOptions& options = {});
  static std::shared_ptr<Nadam> from_config(const Json& config);
  std::string class_name() const override { return "Nadam"; }

 protected:
  Json class_config() const override;
  void build_slots(const std::vector<VariablePtr>& variables) override;
  void update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) override;
  void backend_update_step(const std::vector<Tensor>& grads, const std::vector<std::size_t>& indices,
                           float learning_rate) override;

 private:
  Nadam(BaseConfig base, Json hyper);
  Json hyper_;
  double beta_1_, beta_2_, epsilon_;
  std::vector<std::vector<VariablePtr>> slots_;
  VariablePtr u_product_;
};

struct LossScaleOptimizerOptions {
  double initial_scale = 32768.0;  // 2**15
  std::int64_t dynamic_growth_steps = 2000;
  std::string name;
};

// keras.optimizers.LossScaleOptimizer: dynamic loss scaling around an inner
// optimizer (what compile() adds under a mixed_float16 model policy). Its
// variables are iteration, learning_rate, step_counter, dynamic_scale, then
// the inner optimizer's.
class LossScaleOptimizer final : public Optimizer {
 public:
  explicit LossScaleOptimizer(std::shared_ptr<Optimizer> inner_optimizer,
                              const LossScaleOptimizerOptions& options = {});
  static std::shared_ptr<LossScaleOptimizer> from_config(const Json& config);
  std::string class_name() const override { return "LossScaleOptimizer"; }
  const std::shared_ptr<Optimizer>& inner_optimizer() const { return inner_; }

  Json get_config() const override;
  void build(const std::vector<VariablePtr>& variables) override;
  std::vector<VariablePtr> variables() const override;
  // Skips the step (and halves the scale) when a gradient is not finite;
  // otherwise unscales the gradients and lets the inner optimizer apply them.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables) override;
  std::int64_t iterations() const override { return inner_->iterations(); }
  float learning_rate() const override { return inner_->learning_rate(); }
  void set_learning_rate(double value) override { inner_->set_learning_rate(value); }
  void finalize_variable_values(const std::vector<VariablePtr>& variables) override {
    inner_->finalize_variable_values(variables);
  }
  float dynamic_scale() const;
  std::vector<std::pair<std::string, std::shared_ptr<Optimizer>>> walk_children() const override {
    return {{"inner_optimizer", inner_}};
  }

 protected:
  Json class_config() const override { return Json::object(); }
  void build_slots(const std::vector<VariablePtr>& /*variables*/) override {}
  void update_step(const Tensor&, Variable&, std::size_t, float) override {}

 private:
  std::shared_ptr<Optimizer> inner_;
  Json initial_scale_;
  Json dynamic_growth_steps_;
  VariablePtr step_counter_;
  VariablePtr dynamic_scale_;
};

// keras.optimizers.deserialize: an optimizer from its envelope (class names
// are matched case-insensitively, as Keras does). UnknownObjectError for an
// unknown class, NotImplementedError for Keras optimizers keras-cpp lacks.
std::shared_ptr<Optimizer> deserialize(const Json& envelope);
// keras.optimizers.get: a name ("adam", "sgd", "rmsprop", ...) with default
// options, or a config envelope.
std::shared_ptr<Optimizer> get(const std::string& identifier);
std::shared_ptr<Optimizer> get(const char* identifier);
std::shared_ptr<Optimizer> get(const Json& identifier);

}  // namespace optimizers

}  // namespace keras
