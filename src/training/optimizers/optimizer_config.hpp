// Reading Keras optimizer configs: the base keyword arguments and each class's
// own keys, with Keras' defaults for missing keys and its errors for unknown ones.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/optimizers.hpp"

namespace keras::detail::optim {

struct ParsedConfig {
  Optimizer::BaseConfig base;
  Json hyper = Json::object();  // the class's keys in Keras' order, values as given or defaulted
};

// Splits `config` (an envelope's "config"). `class_keys` lists the class's
// keys in get_config order with their defaults. ValueError for unknown keys,
// except Keras 2 leftovers (decay, lr, is_legacy_optimizer, jit_compile).
ParsedConfig parse_config(const std::string& class_name, const Json& config, double default_learning_rate,
                          const std::vector<std::pair<std::string, Json>>& class_keys);

// A numeric / boolean hyperparameter of `hyper`; ValueError naming the class otherwise.
double number_at(const Json& hyper, const std::string& key, const std::string& class_name);
bool bool_at(const Json& hyper, const std::string& key, const std::string& class_name);

inline Json optional_number(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }
inline Json optional_integer(const std::optional<std::int64_t>& value) { return value ? Json(*value) : Json(nullptr); }

// The base keyword arguments of an options struct.
template <typename Options>
Optimizer::BaseConfig base_from_options(const Options& o, Json weight_decay) {
  Optimizer::BaseConfig base;
  base.name = o.name;
  base.learning_rate = o.learning_rate;
  base.weight_decay = std::move(weight_decay);
  base.clipnorm = optional_number(o.clipnorm);
  base.global_clipnorm = optional_number(o.global_clipnorm);
  base.clipvalue = optional_number(o.clipvalue);
  base.use_ema = o.use_ema;
  base.ema_momentum = o.ema_momentum;
  base.ema_overwrite_frequency = optional_integer(o.ema_overwrite_frequency);
  base.loss_scale_factor = optional_number(o.loss_scale_factor);
  base.gradient_accumulation_steps = optional_integer(o.gradient_accumulation_steps);
  return base;
}

}  // namespace keras::detail::optim
