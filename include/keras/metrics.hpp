// keras.metrics: stateful metrics with Keras 3.16's names, configs, state
// variables and arithmetic (keras/src/metrics/). A metric accumulates over
// update_state() calls and reports result() until reset_state().
//
//   auto auc = keras::metrics::get("AUC");
//   auc->update_state(y_true, y_pred);
//   float value = auc->result().item();
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/json.hpp"
#include "keras/losses.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras {

// keras.metrics.Metric: the base of every metric. Subclass it for a custom
// metric (override class_name(), update_state() and result(); create state
// with add_variable()).
class Metric {
 public:
  virtual ~Metric();
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // The dtype name as written in configs ("float32", "int32" for the IoU family).
  const std::string& dtype() const { return dtype_; }
  virtual std::string class_name() const = 0;
  virtual std::string module() const { return "keras.metrics"; }
  virtual std::optional<std::string> registered_name() const { return std::nullopt; }
  // {"name": ..., "dtype": ...} then the class's own keys, as Keras writes them.
  virtual Json get_config() const;
  Json serialize() const;

  // Accumulates one batch. `sample_weight` is optional (undefined = none).
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) = 0;
  virtual Tensor result() const = 0;
  // Zeros every state variable.
  virtual void reset_state();
  // The state variables, in creation order (never saved in .keras files).
  const std::vector<VariablePtr>& variables() const { return variables_; }
  // "up" when larger is better, "down" when smaller is, "" when unknown
  // (what callbacks' mode="auto" uses).
  virtual std::string direction() const { return ""; }

 protected:
  Metric(std::string name, std::string dtype = "float32");
  VariablePtr add_variable(const std::string& name, const Shape& shape, DType dtype = DType::float32);

 private:
  std::string name_;
  std::string dtype_;
  std::vector<VariablePtr> variables_;
};

using MetricPtr = std::shared_ptr<Metric>;

namespace metrics {

// keras.metrics.Mean / Sum: running weighted mean / sum of values.
class Mean : public Metric {
 public:
  explicit Mean(const std::string& name = "mean", const std::string& dtype = "float32");
  std::string class_name() const override { return "Mean"; }
  // Mean.update_state(values, sample_weight); `mask` is the values' Keras mask.
  void update_values(const Tensor& values, const Tensor& sample_weight = {}, const Tensor& mask = {});
  // As a compile() metric, y_pred holds the values (y_true is ignored).
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) override;
  Tensor result() const override;

 private:
  VariablePtr total_, count_;
};

class Sum : public Metric {
 public:
  explicit Sum(const std::string& name = "sum", const std::string& dtype = "float32");
  std::string class_name() const override { return "Sum"; }
  void update_values(const Tensor& values, const Tensor& sample_weight = {}, const Tensor& mask = {});
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) override;
  Tensor result() const override;

 private:
  VariablePtr total_;
};

// The metric functions (keras.metrics.<name>): per-sample values.
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k = 5);
Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k = 5,
                                         bool from_sorted_ids = false);
Tensor pearson_correlation(const Tensor& y_true, const Tensor& y_pred, int axis = -1);
Tensor concordance_correlation(const Tensor& y_true, const Tensor& y_pred, int axis = -1);

// A metric function as MeanMetricWrapper calls it: values and their mask.
using MetricFunction = std::function<LossValues(const Tensor& y_true, const Tensor& y_pred, const Json& kwargs)>;
// The metric or loss function named `name` (Keras' names and aliases).
std::optional<MetricFunction> find_function(const std::string& name);

// keras.metrics.MeanMetricWrapper: the mean of a function's values. The
// function is a Keras metric or loss function by name, or a custom one.
MetricPtr MeanMetricWrapper(const std::string& fn_name, const std::string& name = "", Json kwargs = Json::object());
MetricPtr MeanMetricWrapper(MetricFunction fn, const std::string& fn_name, const std::string& name = "",
                            Json kwargs = Json::object());

// Every other built-in metric is created from its Keras config (the
// envelope's "config"; missing keys take Keras' defaults), e.g.
// from_config("AUC", {{"curve", "PR"}}). UnknownObjectError for an unknown
// class, ValueError for arguments Keras refuses.
MetricPtr from_config(const std::string& class_name, const Json& config = Json::object());
// The class names from_config() knows (keras.metrics' ALL_OBJECTS).
std::vector<std::string> builtin_class_names();

// keras.metrics.deserialize / get (names: class names, their snake_case
// forms and the aliases "mse", "bce", ...).
MetricPtr deserialize(const Json& envelope);
MetricPtr get(const Json& identifier);

// Registers a custom metric class for deserialize() under `registered_name`.
void register_metric(const std::string& registered_name, std::function<MetricPtr(const Json& config)> from_config);

}  // namespace metrics

}  // namespace keras
