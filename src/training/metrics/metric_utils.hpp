// Helpers shared by the metric implementations. Internal to src/training.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "keras/metrics.hpp"

namespace keras::metrics::detail {

inline constexpr float kEpsilon = 1e-7F;  // keras.backend.epsilon()

Tensor f32(const Tensor& t);
// variable += delta (same shape, the variable's dtype).
void assign_add(Variable& variable, const Tensor& delta);
// divide_no_nan elementwise.
Tensor divide_no_nan(const Tensor& a, const Tensor& b);

// A constructor argument of a metric class: its Keras default, and whether
// get_config writes it (CosineSimilarity takes `axis` but never writes it).
struct Argument {
  std::string key;
  Json fallback;
  bool written = true;
};

// A built-in class's constructor arguments, in get_config's order ("name"
// and "dtype" among them), and the config it was created with.
class Config {
 public:
  Config(const std::string& class_name, const std::vector<Argument>& arguments, const Json& given);
  const Json& at(const std::string& key) const { return values_.at(key); }
  bool flag(const std::string& key) const;
  double number(const std::string& key) const;
  std::int64_t integer(const std::string& key) const;
  std::optional<std::int64_t> optional_integer(const std::string& key) const;
  std::string string(const std::string& key) const;
  // The config as get_config writes it, with the metric's current name.
  Json written(const std::string& name) const;

 private:
  std::string class_name_;
  std::vector<Argument> arguments_;
  Json values_;
};

// A metric whose config is a Config.
class ConfiguredMetric : public Metric {
 public:
  ConfiguredMetric(std::string class_name, Config config);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override { return config_.written(name()); }

 protected:
  const Config& config() const { return config_; }

 private:
  std::string class_name_;
  Config config_;
};

// keras.metrics.reduction_metrics.reduce_to_samplewise_values.
std::pair<Tensor, Tensor> reduce_to_samplewise_values(const Tensor& values, const Tensor& sample_weight,
                                                      const Tensor& mask, bool use_mean);

// The registry of built-in classes: name -> factory from a config.
using Factory = std::function<MetricPtr(const Json& config)>;
void register_builtin(const std::string& class_name, Factory factory);

}  // namespace keras::metrics::detail
