// keras.metrics.Metric, Mean, Sum and MeanMetricWrapper
// (keras/src/metrics/metric.py, reduction_metrics.py), the metric registry,
// deserialize() and get().
#include <algorithm>
#include <map>

#include "keras/metrics.hpp"
#include "keras/operation.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "training/metrics/metric_utils.hpp"
#include "training/metrics/registrations.hpp"
#include "training/registrations.hpp"

namespace keras {

namespace k = keras::kernels;

Metric::~Metric() = default;

Metric::Metric(std::string name, std::string dtype) : name_(std::move(name)), dtype_(std::move(dtype)) {}

Json Metric::get_config() const { return Json{{"name", name_}, {"dtype", dtype_}}; }

Json Metric::serialize() const {
  const auto registered = registered_name();
  return Json{{"module", module()},
              {"class_name", class_name()},
              {"config", get_config()},
              {"registered_name", registered ? Json(*registered) : Json(nullptr)}};
}

void Metric::reset_state() {
  for (const auto& v : variables_) v->assign(Tensor::zeros(v->shape(), v->dtype()));
}

VariablePtr Metric::add_variable(const std::string& name, const Shape& shape, DType dtype) {
  auto v = std::make_shared<Variable>(name, shape, dtype, initializers::Zeros(), false);
  v->set_path(name_ + "/" + name);
  variables_.push_back(v);
  return v;
}

namespace metrics {

namespace detail {

Tensor f32(const Tensor& t) { return t.dtype() == DType::float32 ? t : t.astype(DType::float32); }

void assign_add(Variable& variable, const Tensor& delta) {
  Tensor sum = k::add(variable.value(), delta.astype(variable.dtype()));
  variable.assign(sum.astype(variable.dtype()).reshape(variable.shape()));
}

Tensor divide_no_nan(const Tensor& a, const Tensor& b) {
  Tensor zero = k::equal(b, Tensor::scalar(0.0F));
  Tensor safe = k::where(zero, Tensor::scalar(1.0F), b);
  return k::where(zero, Tensor::scalar(0.0F), k::divide(a, safe));
}

Config::Config(const std::string& class_name, const std::vector<Argument>& arguments, const Json& given)
    : class_name_(class_name), arguments_(arguments), values_(Json::object()) {
  if (!given.is_object() && !given.is_null())
    throw FormatError("The config of metric " + class_name + " must be an object, got " + given.dump());
  for (const auto& arg : arguments_) values_[arg.key] = arg.fallback;
  if (given.is_object()) {
    for (const auto& [key, value] : given.items()) {
      bool known = false;
      for (const auto& arg : arguments_) known = known || arg.key == key;
      if (!known) throw ValueError(class_name + ".__init__() got an unexpected keyword argument '" + key + "'");
      values_[key] = value;
    }
  }
  if (values_.contains("name") && values_["name"].is_null()) {
    for (const auto& arg : arguments_)
      if (arg.key == "name") values_["name"] = arg.fallback;
  }
  if (values_.contains("dtype") && values_["dtype"].is_null()) {
    values_["dtype"] = "float32";
    for (const auto& arg : arguments_)
      if (arg.key == "dtype" && arg.fallback.is_string()) values_["dtype"] = arg.fallback;
  }
  if (values_.contains("name") && !values_["name"].is_string())
    values_["name"] = to_snake_case(class_name);  // Keras' auto name for name=None
}

bool Config::flag(const std::string& key) const {
  const Json& v = values_.at(key);
  if (!v.is_boolean()) throw ValueError(class_name_ + ": argument `" + key + "` must be a bool, got " + v.dump());
  return v.get<bool>();
}

double Config::number(const std::string& key) const {
  const Json& v = values_.at(key);
  if (!v.is_number() || v.is_boolean())
    throw ValueError(class_name_ + ": argument `" + key + "` must be a number, got " + v.dump());
  return v.get<double>();
}

std::int64_t Config::integer(const std::string& key) const {
  const Json& v = values_.at(key);
  if (!v.is_number_integer())
    throw ValueError(class_name_ + ": argument `" + key + "` must be an integer, got " + v.dump());
  return v.get<std::int64_t>();
}

std::optional<std::int64_t> Config::optional_integer(const std::string& key) const {
  if (values_.at(key).is_null()) return std::nullopt;
  return integer(key);
}

std::string Config::string(const std::string& key) const {
  const Json& v = values_.at(key);
  if (!v.is_string()) throw ValueError(class_name_ + ": argument `" + key + "` must be a string, got " + v.dump());
  return v.get<std::string>();
}

Json Config::written(const std::string& name) const {
  Json out = Json::object();
  for (const auto& arg : arguments_) {
    if (!arg.written) continue;
    out[arg.key] = arg.key == "name" ? Json(name) : values_.at(arg.key);
  }
  return out;
}

ConfiguredMetric::ConfiguredMetric(std::string class_name, Config config)
    : Metric(config.at("name").get<std::string>(),
             config.at("dtype").is_string() ? config.at("dtype").get<std::string>() : std::string("float32")),
      class_name_(std::move(class_name)),
      config_(std::move(config)) {}

std::pair<Tensor, Tensor> reduce_to_samplewise_values(const Tensor& values_in, const Tensor& sample_weight_in,
                                                      const Tensor& mask, bool use_mean) {
  auto reduce = [use_mean](const Tensor& x, int from, int to) {
    std::vector<int> axes;
    for (int i = from; i < to; ++i) axes.push_back(i);
    return use_mean ? k::mean(x, axes) : k::sum(x, axes);
  };
  Tensor values = f32(values_in);
  Tensor sample_weight;
  if (sample_weight_in.defined()) {
    sample_weight = f32(sample_weight_in);
    if (mask.defined()) {
      auto [m, sw] = losses::squeeze_or_expand_to_same_rank(ad::Var(f32(mask)), ad::Var(sample_weight));
      sample_weight = k::multiply(sw.value(), m.value());
    }
    auto [v, sw] = losses::squeeze_or_expand_to_same_rank(ad::Var(values), ad::Var(sample_weight));
    values = v.value();
    sample_weight = sw.value();
    const int weight_ndim = sample_weight.rank();
    if (values.rank() > weight_ndim) values = reduce(values, weight_ndim, values.rank());
    sample_weight = k::broadcast_to(sample_weight, values.shape());
    values = k::multiply(values, sample_weight);
    if (weight_ndim > 1) sample_weight = reduce(sample_weight, 1, weight_ndim);
  }
  if (values.rank() > 1) values = reduce(values, 1, values.rank());
  return {values, sample_weight};
}

void register_builtin(const std::string& class_name, Factory factory) {
  const keras::detail::Registrar<MetricPtr> r(saving::ObjectKind::metric, "keras.metrics");
  r.add(class_name, std::move(factory));
}

}  // namespace detail

// ---------------------------------------------------------------- Mean / Sum

Mean::Mean(const std::string& name, const std::string& dtype) : Metric(name, dtype) {
  total_ = add_variable("total", {});
  count_ = add_variable("count", {});
}

void Mean::update_values(const Tensor& values_in, const Tensor& sample_weight_in, const Tensor& mask) {
  auto [values, sample_weight] = detail::reduce_to_samplewise_values(values_in, sample_weight_in, mask, true);
  detail::assign_add(*total_, k::sum(values));
  float num_samples = 1.0F;
  if (sample_weight.defined())
    num_samples = k::sum(sample_weight).item();
  else if (values.rank() >= 1)
    num_samples = static_cast<float>(values.dim(0));
  detail::assign_add(*count_, Tensor::scalar(num_samples));
}

void Mean::update_state(const Tensor& /*y_true*/, const Tensor& y_pred, const Tensor& sample_weight) {
  update_values(y_pred, sample_weight);
}

Tensor Mean::result() const { return detail::divide_no_nan(total_->value(), count_->value()); }

Sum::Sum(const std::string& name, const std::string& dtype) : Metric(name, dtype) {
  total_ = add_variable("total", {});
}

void Sum::update_values(const Tensor& values_in, const Tensor& sample_weight, const Tensor& mask) {
  auto [values, sw] = detail::reduce_to_samplewise_values(values_in, sample_weight, mask, false);
  detail::assign_add(*total_, k::sum(values));
}

void Sum::update_state(const Tensor& /*y_true*/, const Tensor& y_pred, const Tensor& sample_weight) {
  update_values(y_pred, sample_weight);
}

Tensor Sum::result() const { return total_->value().clone(); }

// ---------------------------------------------------------------- MeanMetricWrapper

namespace {

class WrapperMetric final : public Mean {
 public:
  WrapperMetric(MetricFunction fn, Json fn_envelope, std::string name, std::string dtype, Json kwargs,
                std::string direction)
      : Mean(name, dtype),
        fn_(std::move(fn)),
        fn_envelope_(std::move(fn_envelope)),
        kwargs_(std::move(kwargs)),
        direction_(std::move(direction)) {}
  std::string class_name() const override { return "MeanMetricWrapper"; }
  Json get_config() const override {
    Json config = Metric::get_config();
    config["fn"] = fn_envelope_;
    for (const auto& [key, value] : kwargs_.items()) config[key] = value;
    return config;
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    LossValues values = fn_(y_true, y_pred, kwargs_);
    update_values(values.values.value(), sample_weight, values.mask);
  }
  std::string direction() const override { return direction_; }

 private:
  MetricFunction fn_;
  Json fn_envelope_;
  Json kwargs_;
  std::string direction_;
};

}  // namespace

namespace detail {

// The class-specific wrappers (Accuracy, MeanSquaredError, ...) are
// MeanMetricWrappers with their own class name and config.
class NamedWrapper final : public ConfiguredMetric {
 public:
  NamedWrapper(std::string class_name, Config config, MetricFunction fn, Json kwargs, std::string direction)
      : ConfiguredMetric(std::move(class_name), std::move(config)),
        mean_(name(), dtype()),
        fn_(std::move(fn)),
        kwargs_(std::move(kwargs)),
        direction_(std::move(direction)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    LossValues values = fn_(y_true, y_pred, kwargs_);
    mean_.update_values(values.values.value(), sample_weight, values.mask);
  }
  Tensor result() const override { return mean_.result(); }
  void reset_state() override { mean_.reset_state(); }
  std::string direction() const override { return direction_; }

 private:
  Mean mean_;
  MetricFunction fn_;
  Json kwargs_;
  std::string direction_;
};

MetricPtr named_wrapper(const std::string& class_name, Config config, MetricFunction fn, Json kwargs,
                        const std::string& direction) {
  return std::make_shared<NamedWrapper>(class_name, std::move(config), std::move(fn), std::move(kwargs), direction);
}

}  // namespace detail

MetricPtr MeanMetricWrapper(const std::string& fn_name, const std::string& name, Json kwargs) {
  auto fn = find_function(fn_name);
  if (!fn) throw ValueError("Could not interpret metric identifier: " + fn_name);
  return MeanMetricWrapper(*fn, fn_name, name, std::move(kwargs));
}

MetricPtr MeanMetricWrapper(MetricFunction fn, const std::string& fn_name, const std::string& name, Json kwargs) {
  const std::string canonical = losses::canonical_function_name(fn_name);
  // Wrapping a Keras loss makes the metric one to minimize.
  const std::string direction = losses::find_function(canonical) ? "down" : "";
  Json envelope{
      {"module", "keras.metrics"}, {"class_name", "function"}, {"config", canonical}, {"registered_name", canonical}};
  return std::make_shared<WrapperMetric>(std::move(fn), envelope, name.empty() ? canonical : name, "float32",
                                         std::move(kwargs), direction);
}

// ---------------------------------------------------------------- lookup

namespace {

// keras.metrics' ALL_OBJECTS_DICT string keys: class names, snake_case, aliases.
std::optional<std::string> class_for_name(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"bce", "BinaryCrossentropy"},
      {"BCE", "BinaryCrossentropy"},
      {"mse", "MeanSquaredError"},
      {"MSE", "MeanSquaredError"},
      {"mae", "MeanAbsoluteError"},
      {"MAE", "MeanAbsoluteError"},
      {"mape", "MeanAbsolutePercentageError"},
      {"MAPE", "MeanAbsolutePercentageError"},
      {"msle", "MeanSquaredLogarithmicError"},
      {"MSLE", "MeanSquaredLogarithmicError"},
  };
  if (auto it = aliases.find(name); it != aliases.end()) return it->second;
  for (const auto& cls : builtin_class_names())
    if (cls == name || to_snake_case(cls) == name) return cls;
  return std::nullopt;
}

// A custom metric registered (or in a CustomObjectScope) under `key`, or nullptr.
MetricPtr find_custom(const std::string& key, const Json& config) {
  saving::AnyFactory custom = saving::find_custom_object(key);
  if (custom.empty() || custom.kind() != saving::ObjectKind::metric) return nullptr;
  return custom.as<MetricPtr>()(config);
}

}  // namespace

MetricPtr from_config(const std::string& class_name, const Json& config) {
  keras::detail::register_training_builtins();
  const saving::AnyFactory factory = keras::detail::find_builtin(saving::ObjectKind::metric, class_name);
  if (factory.empty()) throw UnknownObjectError("Could not locate class '" + class_name + "' in keras.metrics");
  return factory.as<MetricPtr>()(config);
}

namespace detail {

void register_reduction_metrics() {
  register_builtin("Mean", [](const Json& given) {
    Config cfg("Mean", {{"name", "mean"}, {"dtype", nullptr}}, given);
    return std::make_shared<Mean>(cfg.string("name"), cfg.string("dtype"));
  });
  register_builtin("Sum", [](const Json& given) {
    Config cfg("Sum", {{"name", "sum"}, {"dtype", nullptr}}, given);
    return std::make_shared<Sum>(cfg.string("name"), cfg.string("dtype"));
  });
  register_builtin("MeanMetricWrapper", [](const Json& config) {
    const Json fn = config.value("fn", Json(nullptr));
    std::string fn_name;
    if (fn.is_string()) fn_name = fn.get<std::string>();
    if (fn.is_object() && fn.value("config", Json(nullptr)).is_string()) fn_name = fn.at("config").get<std::string>();
    Json kwargs = Json::object();
    for (const auto& [key, value] : config.items())
      if (key != "fn" && key != "name" && key != "dtype") kwargs[key] = value;
    const Json name = config.value("name", Json(nullptr));
    return MeanMetricWrapper(fn_name, name.is_string() ? name.get<std::string>() : "", kwargs);
  });
}

}  // namespace detail

std::vector<std::string> builtin_class_names() {
  static const std::vector<std::string> names = {"Mean",
                                                 "Sum",
                                                 "MeanMetricWrapper",
                                                 "MeanSquaredError",
                                                 "RootMeanSquaredError",
                                                 "MeanAbsoluteError",
                                                 "MeanAbsolutePercentageError",
                                                 "MeanSquaredLogarithmicError",
                                                 "CosineSimilarity",
                                                 "LogCoshError",
                                                 "R2Score",
                                                 "AUC",
                                                 "FalseNegatives",
                                                 "FalsePositives",
                                                 "Precision",
                                                 "PrecisionAtRecall",
                                                 "Recall",
                                                 "RecallAtPrecision",
                                                 "SensitivityAtSpecificity",
                                                 "SpecificityAtSensitivity",
                                                 "TrueNegatives",
                                                 "TruePositives",
                                                 "ConcordanceCorrelation",
                                                 "PearsonCorrelation",
                                                 "Hinge",
                                                 "SquaredHinge",
                                                 "CategoricalHinge",
                                                 "KLDivergence",
                                                 "Poisson",
                                                 "BinaryCrossentropy",
                                                 "CategoricalCrossentropy",
                                                 "SparseCategoricalCrossentropy",
                                                 "Accuracy",
                                                 "BinaryAccuracy",
                                                 "CategoricalAccuracy",
                                                 "SparseCategoricalAccuracy",
                                                 "TopKCategoricalAccuracy",
                                                 "SparseTopKCategoricalAccuracy",
                                                 "F1Score",
                                                 "FBetaScore",
                                                 "IoU",
                                                 "BinaryIoU",
                                                 "MeanIoU",
                                                 "OneHotIoU",
                                                 "OneHotMeanIoU"};
  return names;
}

MetricPtr deserialize(const Json& envelope) {
  keras::detail::register_training_builtins();
  if (!envelope.is_object() || !envelope.contains("class_name") || !envelope.at("class_name").is_string())
    throw ValueError("Could not interpret metric identifier: " + envelope.dump());
  const std::string class_name = envelope.at("class_name").get<std::string>();
  const Json config = envelope.value("config", Json::object());
  if (class_name == "function") {
    if (!config.is_string()) throw ValueError("A metric function envelope needs a string config: " + envelope.dump());
    const std::string fn = config.get<std::string>();
    if (auto custom = find_custom(fn, Json::object())) return custom;
    if (!find_function(fn)) throw UnknownObjectError("Could not locate function '" + fn + "' (a metric)");
    return MeanMetricWrapper(fn);
  }
  return keras::detail::instantiate<MetricPtr>({saving::ObjectKind::metric}, envelope);
}

MetricPtr get(const Json& identifier) {
  keras::detail::register_training_builtins();
  if (identifier.is_null()) return nullptr;
  if (identifier.is_object()) return deserialize(identifier);
  if (!identifier.is_string()) throw ValueError("Could not interpret metric identifier: " + identifier.dump());
  const std::string name = identifier.get<std::string>();
  if (auto cls = class_for_name(name)) return from_config(*cls);
  if (auto custom = find_custom(name, Json::object())) return custom;
  // metrics.get falls back to nothing else: Keras' ALL_OBJECTS_DICT holds classes only.
  throw ValueError("Could not interpret metric identifier: " + name);
}

void register_metric(const std::string& registered_name, std::function<MetricPtr(const Json& config)> factory) {
  saving::register_custom_object(registered_name,
                                 saving::AnyFactory(saving::ObjectKind::metric, saving::Factory<MetricPtr>(factory)));
}

}  // namespace metrics

}  // namespace keras

namespace keras::detail {

// The keras.metrics classes, one family per file (registered beside their code).
void register_metrics() {
  metrics::detail::register_reduction_metrics();
  metrics::detail::register_accuracy_metrics();
  metrics::detail::register_regression_metrics();
  metrics::detail::register_probabilistic_metrics();
  metrics::detail::register_confusion_metrics();
  metrics::detail::register_f_score_metrics();
  metrics::detail::register_iou_metrics();
}

}  // namespace keras::detail
