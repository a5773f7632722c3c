// Confusion-matrix metrics (keras/src/metrics/confusion_metrics.py) and
// metrics_utils.update_confusion_matrix_variables, both of its paths: the
// bucketed one for evenly spaced thresholds and the direct comparison.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "training/metrics/registrations.hpp"

namespace keras::metrics::detail {

namespace k = keras::kernels;

namespace {

constexpr float kNegInf = -1e10F;  // metrics_utils.NEG_INF

enum class Cond { tp, fp, tn, fn };

std::vector<double> thresholds_from(const Json& value, double fallback, const std::string& cls) {
  std::vector<double> out;
  if (value.is_null()) return {fallback};
  auto check = [&](const Json& t) {
    if (!t.is_number() || t.get<double>() < 0.0 || t.get<double>() > 1.0)
      throw ValueError(cls + ": Threshold values must be in [0, 1]. Received: " + value.dump());
    out.push_back(t.get<double>());
  };
  if (value.is_array()) {
    for (const auto& t : value) check(t);
  } else {
    check(value);
  }
  return out;
}

bool evenly_distributed(const std::vector<double>& thresholds) {
  const std::size_t n = thresholds.size();
  if (n < 3) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const double even = static_cast<double>(static_cast<float>(i) / static_cast<float>(n - 1));
    if (std::abs(thresholds[i] - even) > kEpsilon + 1e-5 * std::abs(even)) return false;
  }
  return true;
}

// The inputs of update_confusion_matrix_variables after its reshaping: y_true
// and y_pred as [N, L] (L = 1 for rank-1 inputs) and the weight of every element.
struct Prepared {
  std::vector<float> y_true, y_pred, weight;
  std::int64_t rows = 0, labels = 1;
};

Tensor filter_top_k(const Tensor& x, std::int64_t k) {
  Tensor out = x.clone();
  const std::int64_t n = x.dim(-1);
  float* o = out.data<float>();
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; n > 0 && r < x.size() / n; ++r) {
    float* row = o + r * n;
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return row[a] > row[b]; });
    std::vector<bool> keep(static_cast<std::size_t>(n), false);
    for (std::int64_t j = 0; j < std::min(k, n); ++j)
      keep[static_cast<std::size_t>(idx[static_cast<std::size_t>(j)])] = true;
    for (std::int64_t j = 0; j < n; ++j)
      row[j] = keep[static_cast<std::size_t>(j)] ? row[j] * 1.0F + kNegInf * 0.0F : row[j] * 0.0F + kNegInf * 1.0F;
  }
  return out;
}

Prepared prepare(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in,
                 std::optional<std::int64_t> top_k, std::optional<std::int64_t> class_id, const Tensor& label_weights,
                 bool multi_label) {
  Tensor y_true = f32(y_true_in);
  Tensor y_pred = f32(y_pred_in);
  {
    auto [p, t] = losses::squeeze_or_expand_to_same_rank(ad::Var(y_pred), ad::Var(y_true));
    y_pred = p.value();
    y_true = t.value();
  }
  Tensor sample_weight;
  if (sample_weight_in.defined()) {
    sample_weight = k::expand_dims(f32(sample_weight_in), -1);
    auto [t, sw] = losses::squeeze_or_expand_to_same_rank(ad::Var(y_true), ad::Var(sample_weight), false);
    sample_weight = sw.value();
  }
  if (top_k) y_pred = filter_top_k(y_pred, *top_k);
  if (class_id) {
    if (y_pred.rank() == 1)
      throw ValueError(
          "When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), found "
          "shape: " +
          shape_to_string(y_pred.shape()));
    auto column = [&](const Tensor& x) {
      std::vector<k::SliceSpec> specs(static_cast<std::size_t>(x.rank()));
      specs.back() = k::SliceSpec{*class_id, *class_id + 1, 1};
      return k::strided_slice(x, specs);
    };
    y_true = column(y_true);
    y_pred = column(y_pred);
  }
  Prepared p;
  p.rows = y_pred.rank() == 0 ? 1 : y_pred.dim(0);
  p.labels = p.rows == 0 ? 1 : y_pred.size() / std::max<std::int64_t>(p.rows, 1);
  if (y_pred.rank() <= 1) p.labels = 1;
  p.y_pred = y_pred.to_vector();
  p.y_true = k::broadcast_to(y_true, y_pred.shape()).to_vector();
  Tensor weights = Tensor::full(y_pred.shape(), 1.0F);
  if (sample_weight.defined()) weights = k::broadcast_to(sample_weight, y_pred.shape());
  if (label_weights.defined() && !multi_label)
    weights = k::multiply(weights, k::broadcast_to(k::expand_dims(label_weights, 0), y_pred.shape()));
  p.weight = weights.to_vector();
  return p;
}

using Accumulators = std::map<Cond, Variable*>;

void update_confusion(const Accumulators& vars, const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                      const std::vector<double>& thresholds, bool evenly,
                      std::optional<std::int64_t> top_k = std::nullopt,
                      std::optional<std::int64_t> class_id = std::nullopt, bool multi_label = false,
                      const Tensor& label_weights = {}) {
  const Prepared p = prepare(y_true, y_pred, sample_weight, top_k, class_id, label_weights, multi_label);
  const auto t_count = static_cast<std::int64_t>(thresholds.size());
  const std::int64_t columns = multi_label ? p.labels : 1;
  // Per threshold (and label when multi_label) counts, in float32.
  std::map<Cond, std::vector<float>> delta;
  for (const auto& [cond, var] : vars) delta[cond].assign(static_cast<std::size_t>(t_count * columns), 0.0F);
  const std::size_t n = p.y_pred.size();
  if (evenly) {
    const bool with_epsilon = thresholds.front() < 0.0 || thresholds.back() > 1.0;
    std::vector<float> tp_bucket(static_cast<std::size_t>(t_count * columns), 0.0F);
    std::vector<float> fp_bucket(tp_bucket.size(), 0.0F);
    std::vector<float> total_true(static_cast<std::size_t>(columns), 0.0F);
    std::vector<float> total_false(static_cast<std::size_t>(columns), 0.0F);
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t col = multi_label ? static_cast<std::int64_t>(i) % p.labels : 0;
      const float pred = std::clamp(p.y_pred[i], 0.0F, 1.0F);
      const float truth = p.y_true[i] != 0.0F ? 1.0F : 0.0F;
      const float true_label = truth * p.weight[i];
      const float false_label = (1.0F - truth) * p.weight[i];
      float bucket = std::ceil(pred * (static_cast<float>(t_count) - 1.0F)) - 1.0F;
      if (with_epsilon) bucket = std::max(bucket, 0.0F);
      const auto b = static_cast<std::int64_t>(bucket);
      total_true[static_cast<std::size_t>(col)] += true_label;
      total_false[static_cast<std::size_t>(col)] += false_label;
      if (b < 0) continue;
      tp_bucket[static_cast<std::size_t>(b * columns + col)] += true_label;
      fp_bucket[static_cast<std::size_t>(b * columns + col)] += false_label;
    }
    for (std::int64_t col = 0; col < columns; ++col) {
      float tp = 0.0F, fp = 0.0F;
      for (std::int64_t t = t_count - 1; t >= 0; --t) {  // flip(cumsum(flip(.)))
        const auto at = static_cast<std::size_t>(t * columns + col);
        tp += tp_bucket[at];
        fp += fp_bucket[at];
        if (delta.count(Cond::tp)) delta[Cond::tp][at] = tp;
        if (delta.count(Cond::fp)) delta[Cond::fp][at] = fp;
        if (delta.count(Cond::tn)) delta[Cond::tn][at] = total_false[static_cast<std::size_t>(col)] - fp;
        if (delta.count(Cond::fn)) delta[Cond::fn][at] = total_true[static_cast<std::size_t>(col)] - tp;
      }
    }
  } else {
    for (std::int64_t t = 0; t < t_count; ++t) {
      const auto threshold = static_cast<float>(thresholds[static_cast<std::size_t>(t)]);
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t col = multi_label ? static_cast<std::int64_t>(i) % p.labels : 0;
        const bool positive = p.y_pred[i] > threshold;
        const bool label = p.y_true[i] != 0.0F;
        const float w = p.weight[i];
        const auto at = static_cast<std::size_t>(t * columns + col);
        if (label && positive && delta.count(Cond::tp)) delta[Cond::tp][at] += w;
        if (!label && positive && delta.count(Cond::fp)) delta[Cond::fp][at] += w;
        if (!label && !positive && delta.count(Cond::tn)) delta[Cond::tn][at] += w;
        if (label && !positive && delta.count(Cond::fn)) delta[Cond::fn][at] += w;
      }
    }
  }
  for (const auto& [cond, var] : vars) {
    Shape shape = var->shape();
    assign_add(*var, Tensor::from_vector(shape, delta[cond]));
  }
}

Tensor first_or_all(const Tensor& values, std::size_t thresholds) {
  if (thresholds != 1) return values;
  return Tensor::scalar(values.to_vector()[0]);
}

// ---------------------------------------------------------------- TP/FP/TN/FN

class ConditionCount final : public ConfiguredMetric {
 public:
  ConditionCount(const std::string& cls, Cond cond, Config config)
      : ConfiguredMetric(cls, std::move(config)), cond_(cond) {
    thresholds_ = thresholds_from(this->config().at("thresholds"), 0.5, cls);
    evenly_ = evenly_distributed(thresholds_);
    accumulator_ = add_variable("accumulator", {static_cast<std::int64_t>(thresholds_.size())});
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    update_confusion({{cond_, accumulator_.get()}}, y_true, y_pred, sample_weight, thresholds_, evenly_);
  }
  Tensor result() const override { return first_or_all(accumulator_->value(), thresholds_.size()); }

 private:
  Cond cond_;
  std::vector<double> thresholds_;
  bool evenly_ = false;
  VariablePtr accumulator_;
};

// ---------------------------------------------------------------- Precision / Recall

class PrecisionRecall final : public ConfiguredMetric {
 public:
  PrecisionRecall(const std::string& cls, bool precision, Config config)
      : ConfiguredMetric(cls, std::move(config)), precision_(precision) {
    top_k_ = this->config().optional_integer("top_k");
    class_id_ = this->config().optional_integer("class_id");
    thresholds_ = thresholds_from(this->config().at("thresholds"), top_k_ ? kNegInf : 0.5, cls);
    evenly_ = evenly_distributed(thresholds_);
    const auto n = static_cast<std::int64_t>(thresholds_.size());
    true_positives_ = add_variable("true_positives", {n});
    other_ = add_variable(precision ? "false_positives" : "false_negatives", {n});
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    update_confusion({{Cond::tp, true_positives_.get()}, {precision_ ? Cond::fp : Cond::fn, other_.get()}}, y_true,
                     y_pred, sample_weight, thresholds_, evenly_, top_k_, class_id_);
  }
  Tensor result() const override {
    Tensor tp = true_positives_->value();
    Tensor r = divide_no_nan(tp, k::add(tp, other_->value()));
    return first_or_all(r, thresholds_.size());
  }
  std::string direction() const override { return "up"; }

 private:
  bool precision_;
  std::optional<std::int64_t> top_k_, class_id_;
  std::vector<double> thresholds_;
  bool evenly_ = false;
  VariablePtr true_positives_, other_;
};

// ---------------------------------------------------------------- X at Y

enum class AtKind { sensitivity_at_specificity, specificity_at_sensitivity, precision_at_recall, recall_at_precision };

class ValueAtConstraint final : public ConfiguredMetric {
 public:
  ValueAtConstraint(const std::string& cls, AtKind kind, const std::string& value_key, Config config)
      : ConfiguredMetric(cls, std::move(config)), kind_(kind) {
    value_ = this->config().number(value_key);
    if (value_ < 0.0 || value_ > 1.0)
      throw ValueError("Argument `" + value_key + "` must be in the range [0, 1]. Received: " + value_key + "=" +
                       this->config().at(value_key).dump());
    const std::int64_t n = this->config().integer("num_thresholds");
    if (n <= 0)
      throw ValueError("Argument `num_thresholds` must be an integer > 0. Received: num_thresholds=" +
                       std::to_string(n));
    class_id_ = this->config().optional_integer("class_id");
    if (n == 1) {
      thresholds_ = {0.5};
      evenly_ = false;
    } else {
      thresholds_.push_back(0.0);
      for (std::int64_t i = 0; i < n - 2; ++i)
        thresholds_.push_back(static_cast<double>(i + 1) * 1.0 / static_cast<double>(n - 1));
      thresholds_.push_back(1.0);
      evenly_ = true;
    }
    const auto count = static_cast<std::int64_t>(thresholds_.size());
    tp_ = add_variable("true_positives", {count});
    fp_ = add_variable("false_positives", {count});
    tn_ = add_variable("true_negatives", {count});
    fn_ = add_variable("false_negatives", {count});
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    update_confusion({{Cond::tp, tp_.get()}, {Cond::tn, tn_.get()}, {Cond::fp, fp_.get()}, {Cond::fn, fn_.get()}},
                     y_true, y_pred, sample_weight, thresholds_, evenly_, std::nullopt, class_id_);
  }
  Tensor result() const override {
    Tensor tp = tp_->value(), fp = fp_->value(), tn = tn_->value(), fn = fn_->value();
    Tensor recall = divide_no_nan(tp, k::add(tp, fn));  // = sensitivity
    Tensor specificity = divide_no_nan(tn, k::add(tn, fp));
    Tensor precision = divide_no_nan(tp, k::add(tp, fp));
    Tensor constrained, dependent;
    switch (kind_) {
      case AtKind::sensitivity_at_specificity:
        constrained = specificity, dependent = recall;
        break;
      case AtKind::specificity_at_sensitivity:
        constrained = recall, dependent = specificity;
        break;
      case AtKind::precision_at_recall:
        constrained = recall, dependent = precision;
        break;
      case AtKind::recall_at_precision:
        constrained = precision, dependent = recall;
        break;
    }
    // _find_max_under_constraint: max(where(constrained >= value, dependent, 0), initial=0).
    Tensor feasible = k::greater_equal(constrained, Tensor::scalar(static_cast<float>(value_)));
    const std::vector<float> candidates = k::where(feasible, dependent, Tensor::scalar(0.0F)).to_vector();
    float best = 0.0F;
    for (float c : candidates) best = std::max(best, c);
    return Tensor::scalar(best);
  }
  std::string direction() const override { return "up"; }

 private:
  AtKind kind_;
  double value_ = 0.0;
  std::optional<std::int64_t> class_id_;
  std::vector<double> thresholds_;
  bool evenly_ = false;
  VariablePtr tp_, fp_, tn_, fn_;
};

// ---------------------------------------------------------------- AUC

class AUC final : public ConfiguredMetric {
 public:
  explicit AUC(Config config) : ConfiguredMetric("AUC", std::move(config)) {
    const Config& c = this->config();
    const Json& given = c.at("thresholds");
    if (!given.is_null()) {
      std::vector<double> t = thresholds_from(given, 0.5, "AUC");
      std::sort(t.begin(), t.end());
      num_thresholds_ = static_cast<std::int64_t>(t.size()) + 2;
      std::vector<double> with_ends{0.0};
      with_ends.insert(with_ends.end(), t.begin(), t.end());
      with_ends.push_back(1.0);
      evenly_ = evenly_distributed(with_ends);
      inner_ = t;
    } else {
      num_thresholds_ = c.integer("num_thresholds");
      if (num_thresholds_ <= 1)
        throw ValueError("Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=" +
                         std::to_string(num_thresholds_));
      for (std::int64_t i = 0; i < num_thresholds_ - 2; ++i)
        inner_.push_back(static_cast<double>(i + 1) * 1.0 / static_cast<double>(num_thresholds_ - 1));
      evenly_ = true;
    }
    thresholds_.push_back(0.0 - 1e-7);
    thresholds_.insert(thresholds_.end(), inner_.begin(), inner_.end());
    thresholds_.push_back(1.0 + 1e-7);
    curve_ = curve_from(c.string("curve"));
    summation_ = summation_from(c.string("summation_method"));
    multi_label_ = c.flag("multi_label");
    from_logits_ = c.flag("from_logits");
    if (!c.at("label_weights").is_null()) {
      std::vector<float> w;
      for (const auto& v : c.at("label_weights")) w.push_back(v.get<float>());
      label_weights_ = Tensor::from_vector({static_cast<std::int64_t>(w.size())}, w);
    }
    const auto num_labels = c.optional_integer("num_labels");
    if (multi_label_) {
      if (num_labels && *num_labels > 0) build(*num_labels);
    } else {
      if (num_labels && *num_labels != 0) throw ValueError("`num_labels` is needed only when `multi_label` is True.");
      build(0);
    }
  }

  void update_state(const Tensor& y_true, const Tensor& y_pred_in, const Tensor& sample_weight) override {
    if (!tp_) {
      if (y_pred_in.rank() != 2)
        throw ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank " +
                         std::to_string(y_pred_in.rank()) +
                         ". Full shape received for `y_pred`: " + shape_to_string(y_pred_in.shape()));
      build(y_pred_in.dim(1));
    }
    Tensor y_pred = from_logits_ ? k::sigmoid(y_pred_in) : y_pred_in;
    update_confusion({{Cond::tp, tp_.get()}, {Cond::tn, tn_.get()}, {Cond::fp, fp_.get()}, {Cond::fn, fn_.get()}},
                     y_true, y_pred, sample_weight, thresholds_, evenly_, std::nullopt, std::nullopt, multi_label_,
                     multi_label_ ? Tensor() : label_weights_);
  }

  Tensor result() const override {
    if (!tp_) throw ValueError("AUC: result() before the metric was built");
    const std::int64_t n = num_thresholds_;
    const std::int64_t cols = multi_label_ ? labels_ : 1;
    const auto tp = tp_->value().to_vector(), fp = fp_->value().to_vector();
    const auto tn = tn_->value().to_vector(), fn = fn_->value().to_vector();
    auto at = [cols](std::int64_t t, std::int64_t c) { return static_cast<std::size_t>(t * cols + c); };
    auto no_nan = [](float a, float b) { return b == 0.0F ? 0.0F : a / b; };
    std::vector<float> by_label(static_cast<std::size_t>(cols), 0.0F);
    for (std::int64_t c = 0; c < cols; ++c) {
      std::vector<double> terms;
      if (curve_ == "PR" && summation_ == "interpolation") {
        // interpolate_pr_auc
        for (std::int64_t i = 0; i + 1 < n; ++i) {
          const float dtp = tp[at(i, c)] - tp[at(i + 1, c)];
          const float p0 = tp[at(i, c)] + fp[at(i, c)];
          const float p1 = tp[at(i + 1, c)] + fp[at(i + 1, c)];
          const float dp = p0 - p1;
          const float prec_slope = no_nan(dtp, std::max(dp, 0.0F));
          const float intercept = tp[at(i + 1, c)] - prec_slope * p1;
          const float safe_p_ratio = p0 > 0.0F && p1 > 0.0F ? no_nan(p0, std::max(p1, 0.0F)) : 1.0F;
          const float increment = no_nan(prec_slope * (dtp + intercept * std::log(safe_p_ratio)),
                                         std::max(tp[at(i + 1, c)] + fn[at(i + 1, c)], 0.0F));
          terms.push_back(increment);
        }
      } else {
        std::vector<float> x(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(n));
        for (std::int64_t t = 0; t < n; ++t) {
          const float recall = no_nan(tp[at(t, c)], tp[at(t, c)] + fn[at(t, c)]);
          if (curve_ == "ROC") {
            x[static_cast<std::size_t>(t)] = no_nan(fp[at(t, c)], fp[at(t, c)] + tn[at(t, c)]);
            y[static_cast<std::size_t>(t)] = recall;
          } else if (curve_ == "PR") {
            x[static_cast<std::size_t>(t)] = recall;
            y[static_cast<std::size_t>(t)] = no_nan(tp[at(t, c)], tp[at(t, c)] + fp[at(t, c)]);
          } else {  // PRGAIN
            const float scaling = no_nan(tp[at(t, c)] + fn[at(t, c)], tn[at(t, c)] + fp[at(t, c)]);
            float recall_gain = 1.0F - scaling * no_nan(fn[at(t, c)], tp[at(t, c)]);
            float precision_gain = 1.0F - scaling * no_nan(fp[at(t, c)], tp[at(t, c)]);
            if (tp[at(t, c)] == 0.0F) {
              recall_gain = 0.0F;
              precision_gain = 1.0F;
            }
            x[static_cast<std::size_t>(t)] = std::max(recall_gain, 0.0F);
            y[static_cast<std::size_t>(t)] = precision_gain;
          }
        }
        for (std::int64_t i = 0; i + 1 < n; ++i) {
          const float y0 = y[static_cast<std::size_t>(i)], y1 = y[static_cast<std::size_t>(i + 1)];
          float height = 0.0F;
          if (summation_ == "interpolation")
            height = (y0 + y1) / 2.0F;
          else if (summation_ == "minoring")
            height = std::min(y0, y1);
          else
            height = std::max(y0, y1);
          terms.push_back((x[static_cast<std::size_t>(i)] - x[static_cast<std::size_t>(i + 1)]) * height);
        }
      }
      double total = 0.0;
      for (double t : terms) total += t;
      by_label[static_cast<std::size_t>(c)] = static_cast<float>(total);
    }
    if (!multi_label_) return Tensor::scalar(by_label[0]);
    if (!label_weights_.defined()) {
      double mean = 0.0;
      for (float v : by_label) mean += v;
      return Tensor::scalar(static_cast<float>(mean / static_cast<double>(by_label.size())));
    }
    const auto w = label_weights_.to_vector();
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < by_label.size(); ++i) {
      num += static_cast<double>(by_label[i] * w[i]);
      den += w[i];
    }
    return Tensor::scalar(den == 0.0 ? 0.0F : static_cast<float>(num) / static_cast<float>(den));
  }

  void reset_state() override {
    if (tp_) Metric::reset_state();
  }

  Json get_config() const override {
    Json config = ConfiguredMetric::get_config();
    config["curve"] = curve_;
    config["summation_method"] = summation_;
    if (!this->config().at("thresholds").is_null()) {
      Json t = Json::array();
      for (double v : inner_) t.push_back(v);
      config["thresholds"] = t;
    } else {
      config.erase("thresholds");
    }
    config["num_thresholds"] = num_thresholds_;
    return config;
  }

  std::string direction() const override { return "up"; }

 private:
  static std::string curve_from(const std::string& key) {
    if (key == "pr" || key == "PR") return "PR";
    if (key == "roc" || key == "ROC") return "ROC";
    if (key == "prgain" || key == "PRGAIN") return "PRGAIN";
    throw ValueError("Invalid AUC curve value: \"" + key + "\". Expected values are [\"PR\", \"ROC\", \"PRGAIN\"]");
  }
  static std::string summation_from(const std::string& key) {
    if (key == "interpolation" || key == "Interpolation") return "interpolation";
    if (key == "majoring" || key == "Majoring") return "majoring";
    if (key == "minoring" || key == "Minoring") return "minoring";
    throw ValueError("Invalid AUC summation method value: \"" + key +
                     "\". Expected values are [\"interpolation\", \"majoring\", \"minoring\"]");
  }
  void build(std::int64_t labels) {
    labels_ = labels;
    const Shape shape = multi_label_ ? Shape{num_thresholds_, labels} : Shape{num_thresholds_};
    tp_ = add_variable("true_positives", shape);
    fp_ = add_variable("false_positives", shape);
    tn_ = add_variable("true_negatives", shape);
    fn_ = add_variable("false_negatives", shape);
  }

  std::int64_t num_thresholds_ = 200;
  std::int64_t labels_ = 0;
  std::vector<double> inner_, thresholds_;
  bool evenly_ = true;
  std::string curve_, summation_;
  bool multi_label_ = false, from_logits_ = false;
  Tensor label_weights_;
  VariablePtr tp_, fp_, tn_, fn_;
};

}  // namespace

void register_confusion_metrics() {
  const std::vector<std::pair<std::string, Cond>> counts = {{"TruePositives", Cond::tp},
                                                            {"FalsePositives", Cond::fp},
                                                            {"TrueNegatives", Cond::tn},
                                                            {"FalseNegatives", Cond::fn}};
  for (const auto& [cls, cond] : counts) {
    const std::string name = cls;
    const Cond c = cond;
    register_builtin(name, [name, c](const Json& given) {
      return std::make_shared<ConditionCount>(
          name, c, Config(name, {{"name", nullptr}, {"dtype", nullptr}, {"thresholds", nullptr}}, given));
    });
  }
  for (const bool precision : {true, false}) {
    const std::string name = precision ? "Precision" : "Recall";
    register_builtin(name, [name, precision](const Json& given) {
      return std::make_shared<PrecisionRecall>(name, precision,
                                               Config(name,
                                                      {{"name", nullptr},
                                                       {"dtype", nullptr},
                                                       {"thresholds", nullptr},
                                                       {"top_k", nullptr},
                                                       {"class_id", nullptr}},
                                                      given));
    });
  }
  const std::vector<std::tuple<std::string, AtKind, std::string>> at = {
      {"SensitivityAtSpecificity", AtKind::sensitivity_at_specificity, "specificity"},
      {"SpecificityAtSensitivity", AtKind::specificity_at_sensitivity, "sensitivity"},
      {"PrecisionAtRecall", AtKind::precision_at_recall, "recall"},
      {"RecallAtPrecision", AtKind::recall_at_precision, "precision"}};
  for (const auto& [cls, kind, key] : at) {
    const std::string name = cls, value_key = key;
    const AtKind kd = kind;
    register_builtin(name, [name, kd, value_key](const Json& given) {
      if (!given.is_object() || !given.contains(value_key))
        throw ValueError(name + ".__init__() missing 1 required positional argument: '" + value_key + "'");
      return std::make_shared<ValueAtConstraint>(name, kd, value_key,
                                                 Config(name,
                                                        {{"name", nullptr},
                                                         {"dtype", nullptr},
                                                         {"class_id", nullptr},
                                                         {"num_thresholds", 200},
                                                         {value_key, nullptr}},
                                                        given));
    });
  }
  register_builtin("AUC", [](const Json& given) {
    return std::make_shared<AUC>(Config("AUC",
                                        {{"name", nullptr},
                                         {"dtype", nullptr},
                                         {"num_thresholds", 200},
                                         {"curve", "ROC"},
                                         {"summation_method", "interpolation"},
                                         {"multi_label", false},
                                         {"num_labels", nullptr},
                                         {"label_weights", nullptr},
                                         {"from_logits", false},
                                         {"thresholds", nullptr}},
                                        given));
  });
}

}  // namespace keras::metrics::detail
