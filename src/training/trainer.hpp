// The training state compile() creates and fit / evaluate use: Keras'
// CompileLoss and CompileMetrics (keras/src/trainers/compile_utils.py), built
// on the first batch from the shapes of y_true and y_pred, and the loss
// tracker. Internal to src/training.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keras/callbacks.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/models.hpp"

namespace keras::training {

// compile_utils.CompileLoss: one loss per output (or none), with weights.
class CompileLoss {
 public:
  CompileLoss(Json loss, Json loss_weights, std::vector<std::string> output_names);
  // The weighted sum of the outputs' losses (differentiable in y_pred).
  // Builds on the first call; records each output's unweighted loss in its
  // tracker when there are several.
  ad::Var operator()(const std::vector<Tensor>& y_true, const std::vector<ad::Var>& y_pred,
                     const std::vector<Tensor>& sample_weight, const std::vector<Tensor>& masks);
  // The "<output>_loss" trackers (only when more than one loss).
  const std::vector<std::shared_ptr<metrics::Mean>>& trackers() const { return trackers_; }
  bool built() const { return built_; }

 private:
  struct Entry {
    std::size_t output;
    LossPtr loss;
    std::optional<double> weight;
    std::string name;
  };
  void build(const std::vector<Tensor>& y_true, const std::vector<ad::Var>& y_pred);
  Json loss_;
  Json loss_weights_;
  std::vector<std::string> output_names_;
  bool built_ = false;
  std::vector<Entry> entries_;
  std::vector<std::shared_ptr<metrics::Mean>> trackers_;
};

// compile_utils.CompileMetrics: metrics and weighted metrics per output.
class CompileMetrics {
 public:
  CompileMetrics(Json metrics, Json weighted_metrics, std::vector<std::string> output_names);
  void update_state(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred,
                    const std::vector<Tensor>& sample_weight);
  void reset_state();
  // Results under Keras' names ("accuracy", "out_accuracy", "weighted_...").
  std::vector<std::pair<std::string, Tensor>> result() const;
  // Every metric object, in order.
  std::vector<MetricPtr> metrics() const;
  bool built() const { return built_; }

 private:
  struct Group {  // Keras' MetricsList: the metrics of one output
    std::vector<MetricPtr> metrics;
    std::optional<std::string> output_name;
  };
  std::vector<std::optional<Group>> build_set(const Json& metrics, const std::vector<Tensor>& y_true,
                                              const std::vector<Tensor>& y_pred);
  void build(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred);
  Json metrics_;
  Json weighted_metrics_;
  std::vector<std::string> output_names_;
  bool built_ = false;
  std::vector<std::optional<Group>> flat_metrics_;
  std::vector<std::optional<Group>> flat_weighted_metrics_;
};

// compile_utils.get_metric / get_loss for one output: "accuracy" and
// "crossentropy" resolve by the shapes of y_true and y_pred.
MetricPtr resolve_metric(const Json& identifier, const Tensor& y_true, const Tensor& y_pred);
LossPtr resolve_loss(const Json& identifier, const Tensor& y_true, const ad::Var& y_pred);

// What compile() leaves on a model for fit / evaluate.
struct TrainerState {
  std::unique_ptr<CompileLoss> loss;  // null when compiled without a loss
  std::unique_ptr<CompileMetrics> metrics;
  metrics::Mean loss_tracker{"loss"};
  bool stop_training = false;
  void reset_metrics();
  // get_metrics_result(): loss, compiled metrics, then the per-output losses.
  Logs results() const;
};

// The model's trainer state; ValueError naming `what` when it was not compiled.
TrainerState& trainer_state(const Model& model, const char* what);
// Creates the state from the compile options (called by compile()).
void set_trainer_state(ModelImpl& model, const Json& loss, const Json& loss_weights, const Json& metrics,
                       const Json& weighted_metrics);

// "up", "down" or "" for a metric name of the compiled model (callbacks' mode="auto").
std::string metric_direction(const Model& model, const std::string& name);

// A metric result as a log value (the mean of a non-scalar result).
double log_value(const Tensor& result);

}  // namespace keras::training
