// RootMeanSquaredError and R2Score (keras/src/metrics/regression_metrics.py);
// the other regression metrics are MeanMetricWrappers (accuracy.cpp).
#include <cmath>
#include <iostream>

#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "training/metrics/registrations.hpp"

namespace keras::metrics::detail {

namespace k = keras::kernels;

namespace {

class RootMeanSquaredError final : public ConfiguredMetric {
 public:
  explicit RootMeanSquaredError(Config config)
      : ConfiguredMetric("RootMeanSquaredError", std::move(config)), mean_(name(), dtype()) {}
  void update_state(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight) override {
    auto [t, p] = losses::squeeze_or_expand_to_same_rank(ad::Var(f32(y_true_in)), ad::Var(f32(y_pred_in)));
    mean_.update_values(k::square(k::subtract(p.value(), t.value())), sample_weight);
  }
  Tensor result() const override { return k::sqrt(mean_.result()); }
  void reset_state() override { mean_.reset_state(); }
  std::string direction() const override { return "down"; }

 private:
  Mean mean_;
};

class R2Score final : public ConfiguredMetric {
 public:
  explicit R2Score(Config config) : ConfiguredMetric("R2Score", std::move(config)) {
    const Json& aggregation = this->config().at("class_aggregation");
    if (!(aggregation.is_null() || aggregation == "uniform_average" || aggregation == "variance_weighted_average"))
      throw ValueError(
          "Invalid value for argument `class_aggregation`. Expected one of (None, 'uniform_average', "
          "'variance_weighted_average'). Received: class_aggregation=" +
          aggregation.dump());
    aggregation_ = aggregation.is_null() ? "" : aggregation.get<std::string>();
    num_regressors_ = this->config().integer("num_regressors");
    if (num_regressors_ < 0)
      throw ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors=" +
                       std::to_string(num_regressors_));
    num_samples_ = add_variable("num_samples", {});
  }

  void update_state(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in) override {
    auto [tv, pv] = losses::squeeze_or_expand_to_same_rank(ad::Var(f32(y_true_in)), ad::Var(f32(y_pred_in)));
    const Tensor y_true = tv.value();
    const Tensor y_pred = pv.value();
    if (!squared_sum_) build(y_true.shape(), y_pred.shape());
    Tensor sample_weight = sample_weight_in.defined() ? f32(sample_weight_in) : Tensor::scalar(1.0F);
    if (sample_weight.rank() == 1) sample_weight = k::expand_dims(sample_weight, 1);
    sample_weight = k::broadcast_to(sample_weight, y_true.shape());
    Tensor weighted = k::multiply(y_true, sample_weight);
    assign_add(*sum_, k::sum(weighted, {0}));
    assign_add(*squared_sum_, k::sum(k::multiply(y_true, weighted), {0}));
    assign_add(*total_mse_, k::sum(k::multiply(k::square(k::subtract(y_true, y_pred)), sample_weight), {0}));
    assign_add(*count_, k::sum(sample_weight, {0}));
    Tensor nonzero = k::any(k::not_equal(sample_weight, Tensor::scalar(0.0F)), {-1});
    assign_add(*num_samples_, k::sum(nonzero.astype(DType::float32)));
  }

  Tensor result() const override {
    if (!squared_sum_) throw ValueError("R2Score: result() before any update_state()");
    Tensor mean = k::divide(sum_->value(), count_->value());
    Tensor total = k::subtract(squared_sum_->value(), k::multiply(sum_->value(), mean));
    Tensor raw = k::subtract(Tensor::scalar(1.0F), k::divide(total_mse_->value(), total));
    float* r = raw.data<float>();
    for (std::int64_t i = 0; i < raw.size(); ++i)
      if (std::isinf(r[i])) r[i] = 0.0F;
    Tensor score;
    if (aggregation_ == "uniform_average") {
      score = k::mean(raw);
    } else if (aggregation_ == "variance_weighted_average") {
      score = k::divide(k::sum(k::multiply(total, raw)), k::sum(total));
    } else {
      score = raw;
    }
    if (num_regressors_ != 0) {
      const float n = num_samples_->value().item();
      const auto p = static_cast<float>(num_regressors_);
      if (p > n - 1.0F) {
        std::cerr << "WARNING: More independent predictors than datapoints in adjusted R2 score. Falling back to "
                     "standard R2 score.\n";
      } else if (p == n - 1.0F) {
        std::cerr << "WARNING: Division by zero in Adjusted R2 score. Falling back to standard R2 score.\n";
      } else {
        Tensor num = k::multiply(k::subtract(Tensor::scalar(1.0F), score), Tensor::scalar(n - 1.0F));
        score = k::subtract(Tensor::scalar(1.0F), k::divide(num, Tensor::scalar(n - p - 1.0F)));
      }
    }
    return score;
  }

  std::string direction() const override { return "up"; }

 private:
  void build(const Shape& y_true_shape, const Shape& y_pred_shape) {
    if (y_pred_shape.size() != 2 || y_true_shape.size() != 2)
      throw ValueError(
          "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape=" +
          shape_to_string(y_pred_shape) + " and y_true.shape=" + shape_to_string(y_true_shape) + ".");
    const std::int64_t classes = y_pred_shape.back();
    squared_sum_ = add_variable("squared_sum", {classes});
    sum_ = add_variable("sum", {classes});
    total_mse_ = add_variable("residual", {classes});
    count_ = add_variable("count", {classes});
  }

  std::string aggregation_;
  std::int64_t num_regressors_ = 0;
  VariablePtr num_samples_, squared_sum_, sum_, total_mse_, count_;
};

}  // namespace

void register_regression_metrics() {
  register_builtin("RootMeanSquaredError", [](const Json& given) {
    return std::make_shared<RootMeanSquaredError>(
        Config("RootMeanSquaredError", {{"name", "root_mean_squared_error"}, {"dtype", nullptr}}, given));
  });
  register_builtin("R2Score", [](const Json& given) {
    return std::make_shared<R2Score>(Config(
        "R2Score",
        {{"name", "r2_score"}, {"dtype", nullptr}, {"class_aggregation", "uniform_average"}, {"num_regressors", 0}},
        given));
  });
}

}  // namespace keras::metrics::detail
