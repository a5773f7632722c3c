// CompileLoss, CompileMetrics and the trainer state (keras/src/trainers/
// compile_utils.py and trainer.py).
#include "training/trainer.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "ops/reduce.hpp"

namespace keras::training {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// compile_utils.is_binary_or_sparse_categorical
std::pair<bool, bool> binary_or_sparse(const Shape& y_true, const Shape& y_pred) {
  const std::int64_t t_last = y_true.empty() ? 1 : y_true.back();
  const std::int64_t p_last = y_pred.empty() ? 1 : y_pred.back();
  const bool is_binary = p_last == 1;
  const bool is_sparse = y_true.size() < y_pred.size() || (t_last == 1 && p_last > 1);
  return {is_binary, is_sparse};
}

std::string identifier_string(const Json& identifier) {
  return identifier.is_string() ? identifier.get<std::string>() : std::string();
}

// A number or null from a loss_weights entry.
std::optional<double> weight_of(const Json& w) {
  if (w.is_null()) return std::nullopt;
  if (!w.is_number()) throw ValueError("Expected a number in `loss_weights`, got " + w.dump());
  return w.get<double>();
}

}  // namespace

MetricPtr resolve_metric(const Json& identifier, const Tensor& y_true, const Tensor& y_pred) {
  if (identifier.is_null()) throw ValueError("Expected metric, received `None`");
  MetricPtr metric;
  const std::string text = identifier_string(identifier);
  if (!text.empty() && (lower(text) == "accuracy" || lower(text) == "acc")) {
    auto [is_binary, is_sparse] = binary_or_sparse(y_true.shape(), y_pred.shape());
    const std::string cls =
        is_binary ? "BinaryAccuracy" : (is_sparse ? "SparseCategoricalAccuracy" : "CategoricalAccuracy");
    metric = metrics::from_config(cls, {{"name", text}});
  } else {
    metric = metrics::get(identifier);
  }
  if (!text.empty()) metric->set_name(text);
  return metric;
}

LossPtr resolve_loss(const Json& identifier, const Tensor& y_true, const ad::Var& y_pred) {
  if (identifier.is_null()) return nullptr;
  const std::string text = identifier_string(identifier);
  if (!text.empty() && (lower(text) == "crossentropy" || lower(text) == "ce")) {
    auto [is_binary, is_sparse] = binary_or_sparse(y_true.shape(), y_pred.shape());
    const std::string fn = is_binary ? "binary_crossentropy"
                                     : (is_sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy");
    return losses::LossFunctionWrapper(fn, kSumOverBatchSize, text);
  }
  return losses::get(identifier);
}

// ---------------------------------------------------------------- CompileLoss

CompileLoss::CompileLoss(Json loss, Json loss_weights, std::vector<std::string> output_names)
    : loss_(std::move(loss)), loss_weights_(std::move(loss_weights)), output_names_(std::move(output_names)) {}

void CompileLoss::build(const std::vector<Tensor>& y_true, const std::vector<ad::Var>& y_pred) {
  const std::size_t n = y_pred.size();
  std::vector<Json> per_output(n, Json(nullptr));
  std::vector<Json> weights(n, Json(nullptr));
  const bool is_envelope = loss_.is_object() && loss_.contains("class_name");
  if (loss_.is_object() && !is_envelope) {
    for (const auto& [key, value] : loss_.items()) {
      auto it = std::find(output_names_.begin(), output_names_.end(), key);
      if (it == output_names_.end()) {
        std::string expected;
        for (const auto& name : output_names_) expected += (expected.empty() ? "'" : ", '") + name + "'";
        throw ValueError("Expected keys [" + expected + "] in loss dict, but found loss.keys()=" + loss_.dump());
      }
      per_output[static_cast<std::size_t>(it - output_names_.begin())] = value;
    }
  } else if (loss_.is_array()) {
    if (loss_.size() != n)
      throw ValueError("The number of losses (" + std::to_string(loss_.size()) +
                       ") must match the number of model outputs (" + std::to_string(n) + ")");
    for (std::size_t i = 0; i < n; ++i) per_output[i] = loss_[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) per_output[i] = loss_;
  }
  if (!loss_weights_.is_null()) {
    if (loss_weights_.is_number()) {
      for (auto& w : weights) w = loss_weights_;
    } else if (loss_weights_.is_array()) {
      std::size_t next = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (!per_output[i].is_null() && next < loss_weights_.size()) weights[i] = loss_weights_[next++];
      if (loss_weights_.size() != static_cast<std::size_t>(std::count_if(per_output.begin(), per_output.end(),
                                                                         [](const Json& l) { return !l.is_null(); })))
        throw ValueError("`loss_weights` must match the number of losses, got " + std::to_string(n) + " losses and " +
                         std::to_string(loss_weights_.size()) + " weights.");
    } else if (loss_weights_.is_object()) {
      for (std::size_t i = 0; i < n; ++i)
        if (i < output_names_.size() && loss_weights_.contains(output_names_[i]))
          weights[i] = loss_weights_.at(output_names_[i]);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (per_output[i].is_null()) continue;
    LossPtr loss = resolve_loss(per_output[i], y_true.at(i), y_pred[i]);
    std::string name = i < output_names_.size() ? output_names_[i] : loss->name();
    entries_.push_back({i, loss, weight_of(weights[i]), name});
  }
  if (entries_.size() > 1)
    for (const auto& e : entries_) trackers_.push_back(std::make_shared<metrics::Mean>(e.name + "_loss"));
  built_ = true;
}

ad::Var CompileLoss::operator()(const std::vector<Tensor>& y_true, const std::vector<ad::Var>& y_pred,
                                const std::vector<Tensor>& sample_weight, const std::vector<Tensor>& masks) {
  if (y_true.size() != y_pred.size())
    throw ValueError("y_true and y_pred have different structures: " + std::to_string(y_true.size()) +
                     " target(s) for " + std::to_string(y_pred.size()) + " output(s)");
  if (!built_) build(y_true, y_pred);
  ad::Var total;
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const Entry& entry = entries_[e];
    const std::size_t i = entry.output;
    Tensor sw;
    if (sample_weight.size() == 1) sw = sample_weight[0];
    if (sample_weight.size() > 1) sw = sample_weight.at(i);
    const Tensor mask = i < masks.size() ? masks[i] : Tensor();
    ad::Var value = entry.loss->compute(ad::Var(y_true[i]), y_pred[i], sw, mask);
    if (!trackers_.empty()) {
      const std::int64_t batch = y_pred[i].rank() > 0 ? y_pred[i].dim(0) : 1;
      trackers_[e]->update_values(value.value(), Tensor::scalar(static_cast<float>(batch)));
    }
    if (entry.weight) value = value * static_cast<float>(*entry.weight);
    total = total.defined() ? total + value : value;
  }
  return total;
}

// ---------------------------------------------------------------- CompileMetrics

CompileMetrics::CompileMetrics(Json metrics, Json weighted_metrics, std::vector<std::string> output_names)
    : metrics_(std::move(metrics)),
      weighted_metrics_(std::move(weighted_metrics)),
      output_names_(std::move(output_names)) {
  auto check = [](const Json& m, const char* argument) {
    if (!m.is_null() && !m.is_array() && !(m.is_object() && !m.contains("class_name")))
      throw ValueError(std::string("Expected `") + argument +
                       "` argument to be a list, tuple, or dict. Received instead: " + argument + "=" + m.dump());
  };
  check(metrics_, "metrics");
  check(weighted_metrics_, "weighted_metrics");
}

std::vector<std::optional<CompileMetrics::Group>> CompileMetrics::build_set(const Json& spec,
                                                                            const std::vector<Tensor>& y_true,
                                                                            const std::vector<Tensor>& y_pred) {
  const std::size_t n = y_pred.size();
  std::vector<std::optional<Group>> out(n);
  if (spec.is_null() || spec.empty()) return out;
  auto group = [&](const Json& entry, std::size_t i, std::optional<std::string> output_name) {
    if (entry.is_null()) return;
    Group g;
    g.output_name = std::move(output_name);
    if (entry.is_array()) {
      for (const auto& m : entry) g.metrics.push_back(resolve_metric(m, y_true.at(i), y_pred[i]));
    } else {
      g.metrics.push_back(resolve_metric(entry, y_true.at(i), y_pred[i]));
    }
    out[i] = std::move(g);
  };
  if (n == 1) {
    // Single output: every metric applies to it, named without a prefix.
    Json flat = Json::array();
    std::function<void(const Json&)> flatten = [&](const Json& v) {
      if (v.is_array()) {
        for (const auto& x : v) flatten(x);
      } else if (v.is_object() && !v.contains("class_name")) {
        for (const auto& [key, x] : v.items()) flatten(x);
      } else {
        flat.push_back(v);
      }
    };
    flatten(spec);
    group(flat, 0, std::nullopt);
    return out;
  }
  auto name_of = [&](std::size_t i) {
    return i < output_names_.size() ? std::optional<std::string>(output_names_[i]) : std::nullopt;
  };
  if (spec.is_array() && spec.size() == n) {
    for (std::size_t i = 0; i < n; ++i) group(spec[i], i, name_of(i));
    return out;
  }
  if (spec.is_object()) {
    for (const auto& [key, value] : spec.items()) {
      auto it = std::find(output_names_.begin(), output_names_.end(), key);
      if (it == output_names_.end())
        throw ValueError("Invalid `metrics`: the key '" + key + "' is not an output name of the model");
      const auto i = static_cast<std::size_t>(it - output_names_.begin());
      group(value, i, name_of(i));
    }
    return out;
  }
  throw ValueError(
      "Invalid `metrics`. `metrics` should contain metrics objects and either be a dict or a list "
      "matching the output names of the functional model. Received: metrics=" +
      spec.dump());
}

void CompileMetrics::build(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred) {
  flat_metrics_ = build_set(metrics_, y_true, y_pred);
  flat_weighted_metrics_ = build_set(weighted_metrics_, y_true, y_pred);
  built_ = true;
}

void CompileMetrics::update_state(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred,
                                  const std::vector<Tensor>& sample_weight) {
  if (!built_) build(y_true, y_pred);
  for (std::size_t i = 0; i < flat_metrics_.size(); ++i)
    if (flat_metrics_[i])
      for (const auto& m : flat_metrics_[i]->metrics) m->update_state(y_true[i], y_pred[i]);
  for (std::size_t i = 0; i < flat_weighted_metrics_.size(); ++i) {
    if (!flat_weighted_metrics_[i]) continue;
    Tensor sw;
    if (sample_weight.size() == 1) sw = sample_weight[0];
    if (sample_weight.size() > 1) sw = sample_weight.at(i);
    for (const auto& m : flat_weighted_metrics_[i]->metrics) m->update_state(y_true[i], y_pred[i], sw);
  }
}

void CompileMetrics::reset_state() {
  for (const auto& m : metrics()) m->reset_state();
}

std::vector<MetricPtr> CompileMetrics::metrics() const {
  std::vector<MetricPtr> out;
  for (const auto* set : {&flat_metrics_, &flat_weighted_metrics_})
    for (const auto& g : *set)
      if (g) out.insert(out.end(), g->metrics.begin(), g->metrics.end());
  return out;
}

std::vector<std::pair<std::string, Tensor>> CompileMetrics::result() const {
  std::vector<std::pair<std::string, Tensor>> results;
  std::map<std::string, int> counters;
  auto prefixed = [](const Group& g, const std::string& name) {
    return g.output_name ? *g.output_name + "_" + name : name;
  };
  for (const auto& g : flat_metrics_) {
    if (!g) continue;
    for (const auto& m : g->metrics) {
      std::string name = prefixed(*g, m->name());
      if (counters.count(name) == 0) {
        counters[name] = 1;
      } else {
        name += "_" + std::to_string(counters[name]++);
      }
      results.emplace_back(name, m->result());
    }
  }
  for (const auto& g : flat_weighted_metrics_) {
    if (!g) continue;
    for (const auto& m : g->metrics) {
      std::string name = prefixed(*g, m->name());
      if (counters.count(name) == 0) {
        counters[name] = 1;
      } else {
        name = prefixed(*g, "weighted_" + m->name());
        if (counters.count(name) == 0) {
          counters[name] = 1;
        } else {
          name += "_" + std::to_string(counters[name]++);
        }
      }
      results.emplace_back(name, m->result());
    }
  }
  return results;
}

// ---------------------------------------------------------------- state

void TrainerState::reset_metrics() {
  loss_tracker.reset_state();
  if (metrics) metrics->reset_state();
  if (loss)
    for (const auto& t : loss->trackers()) t->reset_state();
}

double log_value(const Tensor& result) {
  if (result.size() == 1) return result.at(0);
  return result.size() == 0 ? 0.0 : kernels::mean(result.astype(DType::float32)).at(0);
}

Logs TrainerState::results() const {
  Logs logs;
  logs.set("loss", log_value(loss_tracker.result()));
  if (metrics && metrics->built())
    for (const auto& [name, value] : metrics->result()) logs.set(name, log_value(value));
  if (loss)
    for (const auto& t : loss->trackers()) logs.set(t->name(), log_value(t->result()));
  return logs;
}

TrainerState& trainer_state(const Model& model, const char* what) {
  ModelImpl& impl = model.impl();
  if (!model.compiled() || !impl.trainer)
    throw ValueError(std::string("You must call `compile()` before using the model in `") + what + "`.");
  return *impl.trainer;
}

void set_trainer_state(ModelImpl& model, const Json& loss, const Json& loss_weights, const Json& metrics,
                       const Json& weighted_metrics) {
  auto state = std::make_shared<TrainerState>();
  const std::vector<std::string> names = model.output_names();
  if (!loss.is_null()) state->loss = std::make_unique<CompileLoss>(loss, loss_weights, names);
  if (!metrics.is_null() || !weighted_metrics.is_null())
    state->metrics = std::make_unique<CompileMetrics>(metrics, weighted_metrics, names);
  model.trainer = std::move(state);
}

std::string metric_direction(const Model& model, const std::string& name) {
  ModelImpl& impl = model.impl();
  if (!impl.trainer || !impl.trainer->metrics) return "";
  for (const auto& m : impl.trainer->metrics->metrics())
    if (m->name() == name) return m->direction();
  return "";
}

}  // namespace keras::training
