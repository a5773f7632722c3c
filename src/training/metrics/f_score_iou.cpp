// FBetaScore / F1Score (keras/src/metrics/f_score_metrics.py) and the IoU
// family (iou_metrics.py).
#include <algorithm>
#include <iostream>

#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "training/metrics/registrations.hpp"

namespace keras::metrics::detail {

namespace k = keras::kernels;

namespace {

class FBetaScore final : public ConfiguredMetric {
 public:
  FBetaScore(const std::string& cls, Config config) : ConfiguredMetric(cls, std::move(config)) {
    const Config& c = this->config();
    const Json& average = c.at("average");
    if (!(average.is_null() || average == "micro" || average == "macro" || average == "weighted"))
      throw ValueError(
          "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', 'weighted'}. Received: "
          "average=" +
          average.dump());
    average_ = average.is_null() ? "" : average.get<std::string>();
    const Json& beta = c.at("beta");
    if (!beta.is_number_float())
      throw ValueError("Invalid `beta` argument value. It should be a Python float. Received: beta=" + beta.dump());
    beta_ = beta.get<double>();
    if (beta_ <= 0.0)
      throw ValueError("Invalid `beta` argument value. It should be > 0. Received: beta=" + beta.dump());
    const Json& threshold = c.at("threshold");
    if (!threshold.is_null()) {
      if (!threshold.is_number_float())
        throw ValueError("Invalid `threshold` argument value. It should be a Python float. Received: threshold=" +
                         threshold.dump());
      threshold_ = threshold.get<double>();
      if (*threshold_ > 1.0 || *threshold_ <= 0.0)
        throw ValueError(
            "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold=" +
            threshold.dump());
    }
  }

  void update_state(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in) override {
    Tensor y_true = f32(y_true_in);
    Tensor y_pred = f32(y_pred_in);
    if (!tp_) build(y_true.shape(), y_pred.shape());
    if (!threshold_) {
      Tensor row_max = k::max(y_pred, {-1}, true);
      y_pred = k::logical_and(k::greater_equal(y_pred, row_max), k::greater(k::abs(y_pred), Tensor::scalar(1e-9F)));
    } else {
      y_pred = k::greater(y_pred, Tensor::scalar(static_cast<float>(*threshold_)));
    }
    y_pred = f32(y_pred);
    Tensor sample_weight;
    if (sample_weight_in.defined()) {
      sample_weight = f32(sample_weight_in);
      while (sample_weight.rank() < y_true.rank()) sample_weight = k::expand_dims(sample_weight, sample_weight.rank());
    }
    auto weighted_sum = [&](const Tensor& v) {
      Tensor x = sample_weight.defined() ? k::multiply(v, sample_weight) : v;
      return average_ == "micro" ? k::sum(x) : k::sum(x, {0});
    };
    Tensor one_minus_true = k::subtract(Tensor::scalar(1.0F), y_true);
    Tensor one_minus_pred = k::subtract(Tensor::scalar(1.0F), y_pred);
    assign_add(*tp_, weighted_sum(k::multiply(y_pred, y_true)));
    assign_add(*fp_, weighted_sum(k::multiply(y_pred, one_minus_true)));
    assign_add(*fn_, weighted_sum(k::multiply(one_minus_pred, y_true)));
    assign_add(*weights_, weighted_sum(y_true));
  }

  Tensor result() const override {
    if (!tp_) throw ValueError(class_name() + ": result() before any update_state()");
    const Tensor eps = Tensor::scalar(kEpsilon);
    Tensor tp = tp_->value();
    Tensor precision = k::divide(tp, k::add(k::add(tp, fp_->value()), eps));
    Tensor recall = k::divide(tp, k::add(k::add(tp, fn_->value()), eps));
    const auto beta2 = static_cast<float>(beta_ * beta_);
    Tensor mul_value = k::multiply(precision, recall);
    Tensor add_value = k::add(k::multiply(precision, beta2), recall);
    Tensor mean = k::divide(mul_value, k::add(add_value, eps));
    Tensor f = k::multiply(mean, 1.0F + beta2);
    if (average_ == "weighted") {
      Tensor w = weights_->value();
      Tensor normalized = k::divide(w, k::add(k::sum(w), eps));
      return k::sum(k::multiply(f, normalized));
    }
    if (!average_.empty()) return k::mean(f);
    return f;
  }

  std::string direction() const override { return "up"; }

 private:
  void build(const Shape& y_true_shape, const Shape& y_pred_shape) {
    if (y_pred_shape.size() != 2 || y_true_shape.size() != 2)
      throw ValueError(
          "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape=" +
          shape_to_string(y_pred_shape) + " and y_true.shape=" + shape_to_string(y_true_shape) + ".");
    const Shape shape = average_ == "micro" ? Shape{} : Shape{y_pred_shape.back()};
    tp_ = add_variable("true_positives", shape);
    fp_ = add_variable("false_positives", shape);
    fn_ = add_variable("false_negatives", shape);
    weights_ = add_variable("intermediate_weights", shape);
  }

  std::string average_;
  double beta_ = 1.0;
  std::optional<double> threshold_;
  VariablePtr tp_, fp_, fn_, weights_;
};

// ---------------------------------------------------------------- IoU

std::vector<std::int64_t> int_list(const Json& value, const std::string& what) {
  std::vector<std::int64_t> out;
  if (!value.is_array()) throw ValueError(what + " must be a list of integers, got " + value.dump());
  for (const auto& v : value) {
    if (!v.is_number_integer()) throw ValueError(what + " must be a list of integers, got " + value.dump());
    out.push_back(v.get<std::int64_t>());
  }
  return out;
}

DType iou_dtype(const std::string& name) {
  if (name == "int" || name == "int32") return DType::int32;
  return dtype_from_name(name);
}

class IoUMetric final : public ConfiguredMetric {
 public:
  IoUMetric(const std::string& cls, Config config, std::vector<std::int64_t> targets, bool sparse_true,
            bool sparse_pred, std::optional<double> binary_threshold)
      : ConfiguredMetric(cls, std::move(config)),
        targets_(std::move(targets)),
        sparse_true_(sparse_true),
        sparse_pred_(sparse_pred),
        binary_threshold_(binary_threshold) {
    const Config& c = this->config();
    num_classes_ = c.integer("num_classes");
    ignore_class_ = c.optional_integer("ignore_class");
    axis_ = static_cast<int>(c.integer("axis"));
    cm_dtype_ = iou_dtype(dtype());
    const auto max_id = *std::max_element(targets_.begin(), targets_.end());
    if (max_id >= num_classes_)
      throw ValueError("Target class id " + std::to_string(max_id) + " is out of range, which is [0, " +
                       std::to_string(num_classes_) + ").");
    total_cm_ = add_variable("total_confusion_matrix", {num_classes_, num_classes_}, cm_dtype_);
  }

  void update_state(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in) override {
    Tensor y_true = y_true_in;
    Tensor y_pred = y_pred_in;
    if (binary_threshold_)  // BinaryIoU: predictions thresholded in float32 first
      y_pred = k::greater_equal(f32(y_pred), Tensor::scalar(static_cast<float>(*binary_threshold_)));
    if (!sparse_true_) y_true = k::argmax(y_true, axis_);
    if (!sparse_pred_) y_pred = k::argmax(y_pred, axis_);
    // Conversion to the metric's dtype (int32 truncates floats).
    const std::vector<std::int64_t> t = y_true.astype(cm_dtype_).to_vector_i64();
    const std::vector<std::int64_t> p = y_pred.astype(cm_dtype_).to_vector_i64();
    if (t.size() != p.size())
      throw ShapeMismatchError("IoU: y_true and y_pred hold " + std::to_string(t.size()) + " and " +
                               std::to_string(p.size()) + " values");
    std::vector<double> w(t.size(), 1.0);
    if (sample_weight_in.defined()) {
      if (is_floating(sample_weight_in.dtype()) && !is_floating(cm_dtype_))
        std::cerr << "WARNING: You are passing weight as `float`, but dtype is `int`. This may result in an "
                     "incorrect weight due to type casting Consider using integer weights.\n";
      Tensor sw = sample_weight_in.astype(cm_dtype_);
      if (sw.rank() > 1) sw = sw.reshape({-1});
      sw = k::broadcast_to(sw, {static_cast<std::int64_t>(t.size())});
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = sw.at(static_cast<std::int64_t>(i));
    }
    Tensor cm({num_classes_, num_classes_}, DType::float64);
    auto* m = cm.data<double>();
    for (std::size_t i = 0; i < t.size(); ++i) {
      bool valid = t[i] >= 0 && t[i] < num_classes_ && p[i] >= 0 && p[i] < num_classes_;
      if (ignore_class_) valid = valid && t[i] != *ignore_class_;
      const std::int64_t ti = valid ? t[i] : 0;
      const std::int64_t pi = valid ? p[i] : 0;
      m[ti * num_classes_ + pi] += valid ? w[i] : 0.0;
    }
    total_cm_->assign(k::add(total_cm_->value().astype(DType::float64), cm).astype(cm_dtype_));
  }

  Tensor result() const override {
    const Tensor cm = total_cm_->value();
    std::vector<double> row_sum(static_cast<std::size_t>(num_classes_), 0.0);
    std::vector<double> col_sum(row_sum.size(), 0.0), diag(row_sum.size(), 0.0);
    for (std::int64_t i = 0; i < num_classes_; ++i)
      for (std::int64_t j = 0; j < num_classes_; ++j) {
        const double v = cm.at(i * num_classes_ + j);
        row_sum[static_cast<std::size_t>(j)] += v;  // sum over axis 0
        col_sum[static_cast<std::size_t>(i)] += v;  // sum over axis 1
        if (i == j) diag[static_cast<std::size_t>(i)] = v;
      }
    float sum = 0.0F;
    float valid_entries = 0.0F;
    for (std::int64_t id : targets_) {
      const auto u = static_cast<std::size_t>(id);
      const auto denominator = static_cast<float>(row_sum[u] + col_sum[u] - diag[u]);
      const auto tp = static_cast<float>(diag[u]);
      const bool valid = denominator > 1e-9F;
      if (valid) {
        valid_entries += 1.0F;
        sum += tp / (denominator + kEpsilon);
      }
    }
    return Tensor::scalar(sum / (valid_entries + kEpsilon));
  }

  void reset_state() override { total_cm_->assign(Tensor::zeros(total_cm_->shape(), cm_dtype_)); }
  std::string direction() const override { return "up"; }

 private:
  std::vector<std::int64_t> targets_;
  bool sparse_true_, sparse_pred_;
  std::optional<double> binary_threshold_;
  std::int64_t num_classes_ = 0;
  std::optional<std::int64_t> ignore_class_;
  int axis_ = -1;
  DType cm_dtype_ = DType::int32;
  VariablePtr total_cm_;
};

std::vector<std::int64_t> all_classes(const Config& config) {
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < config.integer("num_classes"); ++i) ids.push_back(i);
  return ids;
}

void require(const Json& given, const std::string& key, const std::string& cls) {
  if (!given.is_object() || !given.contains(key))
    throw ValueError(cls + ".__init__() missing 1 required positional argument: '" + key + "'");
}

}  // namespace

void register_f_score_metrics() {
  register_builtin("FBetaScore", [](const Json& given) {
    return std::make_shared<FBetaScore>(
        "FBetaScore",
        Config(
            "FBetaScore",
            {{"name", "fbeta_score"}, {"dtype", nullptr}, {"average", nullptr}, {"beta", 1.0}, {"threshold", nullptr}},
            given));
  });
  register_builtin("F1Score", [](const Json& given) {
    return std::make_shared<FBetaScore>("F1Score", Config("F1Score",
                                                          {{"name", "f1_score"},
                                                           {"dtype", nullptr},
                                                           {"average", nullptr},
                                                           {"beta", 1.0, false},
                                                           {"threshold", nullptr}},
                                                          given));
  });
}

void register_iou_metrics() {
  register_builtin("IoU", [](const Json& given) {
    require(given, "num_classes", "IoU");
    require(given, "target_class_ids", "IoU");
    Config config("IoU",
                  {{"name", nullptr},
                   {"dtype", "int32"},
                   {"num_classes", nullptr},
                   {"target_class_ids", nullptr},
                   {"ignore_class", nullptr},
                   {"sparse_y_true", true},
                   {"sparse_y_pred", true},
                   {"axis", -1}},
                  given);
    auto targets = int_list(config.at("target_class_ids"), "target_class_ids");
    const bool st = config.flag("sparse_y_true"), sp = config.flag("sparse_y_pred");
    return std::make_shared<IoUMetric>("IoU", std::move(config), targets, st, sp, std::nullopt);
  });
  register_builtin("MeanIoU", [](const Json& given) {
    require(given, "num_classes", "MeanIoU");
    Config config("MeanIoU",
                  {{"num_classes", nullptr},
                   {"name", nullptr},
                   {"dtype", "int32"},
                   {"ignore_class", nullptr},
                   {"sparse_y_true", true},
                   {"sparse_y_pred", true},
                   {"axis", -1}},
                  given);
    auto targets = all_classes(config);
    const bool st = config.flag("sparse_y_true"), sp = config.flag("sparse_y_pred");
    return std::make_shared<IoUMetric>("MeanIoU", std::move(config), targets, st, sp, std::nullopt);
  });
  register_builtin("OneHotIoU", [](const Json& given) {
    require(given, "num_classes", "OneHotIoU");
    require(given, "target_class_ids", "OneHotIoU");
    Config config("OneHotIoU",
                  {{"num_classes", nullptr},
                   {"target_class_ids", nullptr},
                   {"name", nullptr},
                   {"dtype", "int32"},
                   {"ignore_class", nullptr},
                   {"sparse_y_pred", false},
                   {"axis", -1}},
                  given);
    auto targets = int_list(config.at("target_class_ids"), "target_class_ids");
    const bool sp = config.flag("sparse_y_pred");
    return std::make_shared<IoUMetric>("OneHotIoU", std::move(config), targets, false, sp, std::nullopt);
  });
  register_builtin("OneHotMeanIoU", [](const Json& given) {
    require(given, "num_classes", "OneHotMeanIoU");
    Config config("OneHotMeanIoU",
                  {{"num_classes", nullptr},
                   {"name", nullptr},
                   {"dtype", "int32"},
                   {"ignore_class", nullptr},
                   {"sparse_y_pred", false},
                   {"axis", -1}},
                  given);
    auto targets = all_classes(config);
    const bool sp = config.flag("sparse_y_pred");
    return std::make_shared<IoUMetric>("OneHotMeanIoU", std::move(config), targets, false, sp, std::nullopt);
  });
  register_builtin("BinaryIoU", [](const Json& given) {
    Config config("BinaryIoU",
                  {{"target_class_ids", Json::array({0, 1})},
                   {"threshold", 0.5},
                   {"name", nullptr},
                   {"dtype", "int32"},
                   {"num_classes", 2, false},
                   {"ignore_class", nullptr, false},
                   {"axis", -1, false}},
                  given);
    auto targets = int_list(config.at("target_class_ids"), "target_class_ids");
    const double threshold = config.number("threshold");
    return std::make_shared<IoUMetric>("BinaryIoU", std::move(config), targets, true, true, threshold);
  });
}

}  // namespace keras::metrics::detail
