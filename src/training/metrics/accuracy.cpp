// Accuracy metrics (keras/src/metrics/accuracy_metrics.py), the metric
// functions table, and the correlation metrics (correlation_metrics.py).
#include <algorithm>
#include <map>

#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "training/metrics/registrations.hpp"

namespace keras::metrics {

namespace k = keras::kernels;
using detail::f32;

namespace {

std::pair<Tensor, Tensor> same_rank(const Tensor& a, const Tensor& b) {
  auto [x, y] = losses::squeeze_or_expand_to_same_rank(ad::Var(a), ad::Var(b));
  return {x.value(), y.value()};
}

Tensor matches(const Tensor& a, const Tensor& b) { return k::cast(k::equal(a, b), DType::float32); }

// ops.in_top_k: the target's score is at least the k-th largest score.
Tensor in_top_k(const Tensor& targets, const Tensor& predictions_in, std::int64_t k) {
  Tensor predictions = f32(predictions_in);
  const std::int64_t classes = predictions.dim(-1);
  const std::int64_t rows = classes == 0 ? 0 : predictions.size() / classes;
  const std::vector<std::int64_t> ids = targets.to_vector_i64();
  Tensor out(targets.shape(), DType::bool_);
  auto* o = out.data<std::uint8_t>();
  const float* p = predictions.data<float>();
  std::vector<float> row(static_cast<std::size_t>(classes));
  const std::int64_t kk = std::clamp<std::int64_t>(k, 1, std::max<std::int64_t>(classes, 1));
  for (std::int64_t r = 0; r < rows; ++r) {
    std::copy(p + r * classes, p + (r + 1) * classes, row.begin());
    std::nth_element(row.begin(), row.begin() + (kk - 1), row.end(), std::greater<>());
    const float kth = row[static_cast<std::size_t>(kk - 1)];
    std::int64_t id = ids[static_cast<std::size_t>(r)];
    if (id < 0) id += classes;
    o[r] = id >= 0 && id < classes && p[r * classes + id] >= kth ? 1 : 0;
  }
  return out;
}

}  // namespace

Tensor accuracy(const Tensor& y_true_in, const Tensor& y_pred) {
  auto [y_true, pred] = same_rank(y_true_in.astype(y_pred.dtype()), y_pred);
  return matches(y_true, pred);
}

Tensor binary_accuracy(const Tensor& y_true_in, const Tensor& y_pred_in, double threshold) {
  auto [y_true, y_pred] = same_rank(y_true_in, y_pred_in);
  // The threshold is a Python float: compared in the predictions' float dtype.
  Tensor positive = k::greater(f32(y_pred), Tensor::scalar(static_cast<float>(threshold)));
  return matches(y_true, positive.astype(y_true.dtype()));
}

Tensor categorical_accuracy(const Tensor& y_true_in, const Tensor& y_pred) {
  Tensor y_true = k::argmax(y_true_in, -1).astype(DType::float32);
  const Shape original = y_true.shape();
  bool reshape_matches = false;
  if (y_true.rank() == y_pred.rank()) {
    y_true = k::squeeze(y_true, {-1});
    reshape_matches = true;
  }
  Tensor pred = k::argmax(y_pred, -1).astype(DType::float32);
  Tensor out = matches(y_true, pred);
  return reshape_matches ? out.reshape(original) : out;
}

Tensor sparse_categorical_accuracy(const Tensor& y_true_in, const Tensor& y_pred) {
  Tensor y_true = f32(y_true_in);
  const Shape original = y_true.shape();
  bool reshape_matches = false;
  if (y_true.rank() == y_pred.rank() && y_true.dim(-1) == 1) {
    y_true = k::squeeze(y_true, {-1});
    reshape_matches = true;
  }
  Tensor pred = k::argmax(y_pred, -1).astype(DType::float32);
  Tensor out = matches(y_true, pred);
  if (reshape_matches) out = out.reshape(original);
  if (out.rank() > 1 && out.dim(-1) == 1) out = k::squeeze(out, {-1});
  return out;
}

Tensor top_k_categorical_accuracy(const Tensor& y_true_in, const Tensor& y_pred_in, std::int64_t k) {
  Tensor y_true = k::argmax(y_true_in, -1);
  Tensor y_pred = f32(y_pred_in);
  const Shape original = y_true.shape();
  if (y_pred.rank() > 2) y_pred = y_pred.reshape({-1, y_pred.dim(-1)});
  if (y_true.rank() > 1) y_true = y_true.reshape({-1});
  Tensor out = in_top_k(y_true, y_pred, k).astype(DType::float32);
  return out.reshape(original);
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true_in, const Tensor& y_pred_in, std::int64_t k,
                                         bool from_sorted_ids) {
  Tensor y_pred = from_sorted_ids ? y_pred_in : f32(y_pred_in);
  Tensor y_true = from_sorted_ids ? y_true_in.astype(y_pred.dtype()) : y_true_in.astype(DType::int32);
  const Shape original = y_true.shape();
  if (y_pred.rank() > 2) y_pred = y_pred.reshape({-1, y_pred.dim(-1)});
  if (y_true.rank() > 1) y_true = y_true.reshape({-1});
  Tensor out;
  if (from_sorted_ids) {
    const std::int64_t cols = std::min<std::int64_t>(k, y_pred.dim(-1));
    Tensor top = k::slice(y_pred, {0, 0}, {y_pred.dim(0), cols});
    out = k::any(k::equal(k::expand_dims(y_true, 1), top), {1});
  } else {
    out = in_top_k(y_true, y_pred, k);
  }
  return out.astype(DType::float32).reshape(original);
}

Tensor pearson_correlation(const Tensor& y_true_in, const Tensor& y_pred_in, int axis) {
  auto [y_true, y_pred] = same_rank(f32(y_true_in), f32(y_pred_in));
  Tensor t = k::subtract(y_true, k::mean(y_true, {axis}, true));
  Tensor p = k::subtract(y_pred, k::mean(y_pred, {axis}, true));
  t = k::divide(t, k::stddev(t, {axis}, true));
  p = k::divide(p, k::stddev(p, {axis}, true));
  return k::mean(k::multiply(t, p), {axis});
}

Tensor concordance_correlation(const Tensor& y_true_in, const Tensor& y_pred_in, int axis) {
  auto [y_true, y_pred] = same_rank(f32(y_true_in), f32(y_pred_in));
  Tensor true_mean = k::mean(y_true, {axis}, true);
  Tensor pred_mean = k::mean(y_pred, {axis}, true);
  Tensor true_var = k::var(k::subtract(y_true, true_mean), {axis}, true);
  Tensor pred_var = k::var(k::subtract(y_pred, pred_mean), {axis}, true);
  // Keras centres y_true on y_pred's mean here (sic).
  Tensor covar = k::multiply(k::subtract(y_true, pred_mean), k::subtract(y_pred, pred_mean));
  Tensor norm = k::add(k::add(true_var, pred_var), k::square(k::subtract(true_mean, pred_mean)));
  Tensor ratio = k::divide(k::multiply(covar, 2.0F), k::add(norm, detail::kEpsilon));
  return k::mean(ratio, {axis});
}

namespace {

LossValues plain(const Tensor& t) { return {ad::Var(t), {}}; }

double number_or(const Json& kw, const char* key, double fallback) {
  auto it = kw.find(key);
  return it == kw.end() || it->is_null() ? fallback : it->get<double>();
}
std::int64_t integer_or(const Json& kw, const char* key, std::int64_t fallback) {
  auto it = kw.find(key);
  return it == kw.end() || it->is_null() ? fallback : it->get<std::int64_t>();
}
bool flag_or(const Json& kw, const char* key, bool fallback) {
  auto it = kw.find(key);
  return it == kw.end() || it->is_null() ? fallback : it->get<bool>();
}

// regression_metrics.cosine_similarity: the loss without its minus sign.
LossValues positive_cosine(const Tensor& t, const Tensor& p, const Json& kw) {
  auto [yt, yp] = same_rank(f32(t), f32(p));
  const int axis = static_cast<int>(integer_or(kw, "axis", -1));
  return plain(k::sum(k::multiply(k::l2_normalize(yt, {axis}), k::l2_normalize(yp, {axis})), {axis}));
}

const std::map<std::string, MetricFunction>& metric_functions() {
  static const std::map<std::string, MetricFunction> table = {
      {"accuracy", [](const Tensor& t, const Tensor& p, const Json&) { return plain(accuracy(t, p)); }},
      {"binary_accuracy", [](const Tensor& t, const Tensor& p,
                             const Json& kw) { return plain(binary_accuracy(t, p, number_or(kw, "threshold", 0.5))); }},
      {"categorical_accuracy",
       [](const Tensor& t, const Tensor& p, const Json&) { return plain(categorical_accuracy(t, p)); }},
      {"sparse_categorical_accuracy",
       [](const Tensor& t, const Tensor& p, const Json&) { return plain(sparse_categorical_accuracy(t, p)); }},
      {"top_k_categorical_accuracy",
       [](const Tensor& t, const Tensor& p, const Json& kw) {
         return plain(top_k_categorical_accuracy(t, p, integer_or(kw, "k", 5)));
       }},
      {"sparse_top_k_categorical_accuracy",
       [](const Tensor& t, const Tensor& p, const Json& kw) {
         return plain(
             sparse_top_k_categorical_accuracy(t, p, integer_or(kw, "k", 5), flag_or(kw, "from_sorted_ids", false)));
       }},
      {"pearson_correlation",
       [](const Tensor& t, const Tensor& p, const Json& kw) {
         return plain(pearson_correlation(t, p, static_cast<int>(integer_or(kw, "axis", -1))));
       }},
      {"concordance_correlation",
       [](const Tensor& t, const Tensor& p, const Json& kw) {
         return plain(concordance_correlation(t, p, static_cast<int>(integer_or(kw, "axis", -1))));
       }},
      {"regression_cosine_similarity", positive_cosine},
  };
  return table;
}

}  // namespace

std::optional<MetricFunction> find_function(const std::string& name) {
  if (auto it = metric_functions().find(name); it != metric_functions().end()) return it->second;
  if (auto loss_fn = losses::find_function(name)) {
    losses::LossFunction fn = *loss_fn;
    return MetricFunction([fn](const Tensor& t, const Tensor& p, const Json& kw) { return fn(t, p, kw); });
  }
  return std::nullopt;
}

namespace detail {

namespace {

// Registers a MeanMetricWrapper subclass computing `function`.
void wrapper_class(const std::string& class_name, std::vector<Argument> arguments, const std::string& function,
                   std::vector<std::string> fn_keys, std::string direction) {
  register_builtin(class_name, [=](const Json& given) {
    Config config(class_name, arguments, given);
    Json kwargs = Json::object();
    for (const auto& key : fn_keys) kwargs[key] = config.at(key);
    return named_wrapper(class_name, std::move(config), *find_function(function), kwargs, direction);
  });
}

}  // namespace

void register_accuracy_metrics() {
  wrapper_class("Accuracy", {{"name", "accuracy"}, {"dtype", nullptr}}, "accuracy", {}, "up");
  wrapper_class("BinaryAccuracy", {{"name", "binary_accuracy"}, {"dtype", nullptr}, {"threshold", 0.5}},
                "binary_accuracy", {"threshold"}, "up");
  wrapper_class("CategoricalAccuracy", {{"name", "categorical_accuracy"}, {"dtype", nullptr}}, "categorical_accuracy",
                {}, "up");
  wrapper_class("SparseCategoricalAccuracy", {{"name", "sparse_categorical_accuracy"}, {"dtype", nullptr}},
                "sparse_categorical_accuracy", {}, "up");
  wrapper_class("TopKCategoricalAccuracy", {{"name", "top_k_categorical_accuracy"}, {"dtype", nullptr}, {"k", 5}},
                "top_k_categorical_accuracy", {"k"}, "up");
  register_builtin("SparseTopKCategoricalAccuracy", [](const Json& given) {
    // from_sorted_ids is written only when true.
    const bool sorted = given.is_object() && given.value("from_sorted_ids", false) == true;
    Config config("SparseTopKCategoricalAccuracy",
                  {{"name", "sparse_top_k_categorical_accuracy"},
                   {"dtype", nullptr},
                   {"k", 5},
                   {"from_sorted_ids", false, sorted}},
                  given);
    Json kwargs{{"k", config.at("k")}, {"from_sorted_ids", config.at("from_sorted_ids")}};
    return named_wrapper("SparseTopKCategoricalAccuracy", std::move(config),
                         *find_function("sparse_top_k_categorical_accuracy"), kwargs, "up");
  });
  wrapper_class("PearsonCorrelation", {{"name", "pearson_correlation"}, {"dtype", nullptr}, {"axis", -1}},
                "pearson_correlation", {"axis"}, "up");
  wrapper_class("ConcordanceCorrelation", {{"name", "concordance_correlation"}, {"dtype", nullptr}, {"axis", -1}},
                "concordance_correlation", {"axis"}, "up");
}

void register_probabilistic_metrics() {
  wrapper_class("KLDivergence", {{"name", "kl_divergence"}, {"dtype", nullptr}}, "kl_divergence", {}, "down");
  wrapper_class("Poisson", {{"name", "poisson"}, {"dtype", nullptr}}, "poisson", {}, "down");
  wrapper_class("BinaryCrossentropy",
                {{"name", "binary_crossentropy"}, {"dtype", nullptr}, {"from_logits", false}, {"label_smoothing", 0}},
                "binary_crossentropy", {"from_logits", "label_smoothing"}, "down");
  wrapper_class("CategoricalCrossentropy",
                {{"name", "categorical_crossentropy"},
                 {"dtype", nullptr},
                 {"from_logits", false},
                 {"label_smoothing", 0},
                 {"axis", -1}},
                "categorical_crossentropy", {"from_logits", "label_smoothing", "axis"}, "down");
  wrapper_class("SparseCategoricalCrossentropy",
                {{"name", "sparse_categorical_crossentropy"},
                 {"dtype", nullptr},
                 {"from_logits", false},
                 {"ignore_class", nullptr},
                 {"axis", -1}},
                "sparse_categorical_crossentropy", {"from_logits", "ignore_class", "axis"}, "down");
  wrapper_class("Hinge", {{"name", "hinge"}, {"dtype", nullptr}}, "hinge", {}, "down");
  wrapper_class("SquaredHinge", {{"name", "squared_hinge"}, {"dtype", nullptr}}, "squared_hinge", {}, "down");
  wrapper_class("CategoricalHinge", {{"name", "categorical_hinge"}, {"dtype", nullptr}}, "categorical_hinge", {},
                "down");
  wrapper_class("MeanSquaredError", {{"name", "mean_squared_error"}, {"dtype", nullptr}}, "mean_squared_error", {},
                "down");
  wrapper_class("MeanAbsoluteError", {{"name", "mean_absolute_error"}, {"dtype", nullptr}}, "mean_absolute_error", {},
                "down");
  wrapper_class("MeanAbsolutePercentageError", {{"name", "mean_absolute_percentage_error"}, {"dtype", nullptr}},
                "mean_absolute_percentage_error", {}, "down");
  wrapper_class("MeanSquaredLogarithmicError", {{"name", "mean_squared_logarithmic_error"}, {"dtype", nullptr}},
                "mean_squared_logarithmic_error", {}, "down");
  wrapper_class("LogCoshError", {{"name", "logcosh"}, {"dtype", nullptr}}, "log_cosh", {}, "down");
  wrapper_class("CosineSimilarity", {{"name", "cosine_similarity"}, {"dtype", nullptr}, {"axis", -1, false}},
                "regression_cosine_similarity", {"axis"}, "up");
}

}  // namespace detail

}  // namespace keras::metrics
