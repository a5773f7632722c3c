// The optimizer base (keras/src/optimizers/base_optimizer.py): variables,
// config, gradient clipping, weight decay, EMA, gradient accumulation and the
// apply loop, in the order and float32 arithmetic of Keras' numpy backend.
#include <algorithm>
#include <iostream>
#include <regex>
#include <set>

#include "keras/operation.hpp"
#include "keras/optimizers.hpp"
#include "training/optimizers/float_math.hpp"
#include "training/optimizers/optimizer_config.hpp"
#include "training/registrations.hpp"

namespace keras {

using detail::optim::with_float_type;

namespace {

std::optional<double> optional_double(const Json& value, const char* key, const std::string& owner) {
  if (value.is_null()) return std::nullopt;
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (!value.is_number()) throw ValueError(owner + ": `" + key + "` must be a number or null, got " + value.dump());
  return value.get<double>();
}

std::int64_t optional_int(const Json& value, const char* key, const std::string& owner) {
  if (value.is_null()) return 0;
  if (!value.is_number_integer())
    throw ValueError(owner + ": `" + key + "` must be an integer or null, got " + value.dump());
  return value.get<std::int64_t>();
}

Tensor scalar_of(DType dtype, double value) {
  Tensor t({}, DType::float64);
  *t.data<double>() = value;
  return t.astype(dtype);
}

// Keras' dtype promotion for the two float operands of a binary op.
DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::float64 || b == DType::float64) return DType::float64;
  return DType::float32;
}

}  // namespace

Optimizer::~Optimizer() = default;

Optimizer::Optimizer(const std::string& python_class_name, BaseConfig base)
    : name_(base.name.empty() ? unique_object_name(to_snake_case(python_class_name)) : base.name),
      base_(std::move(base)) {
  const std::string owner = "Optimizer '" + name_ + "' (" + python_class_name + ")";
  weight_decay_ = optional_double(base_.weight_decay, "weight_decay", owner);
  clipnorm_ = optional_double(base_.clipnorm, "clipnorm", owner);
  global_clipnorm_ = optional_double(base_.global_clipnorm, "global_clipnorm", owner);
  clipvalue_ = optional_double(base_.clipvalue, "clipvalue", owner);
  loss_scale_factor_ = optional_double(base_.loss_scale_factor, "loss_scale_factor", owner);
  if (!base_.use_ema.is_boolean() && !base_.use_ema.is_number())
    throw ValueError(owner + ": `use_ema` must be a boolean, got " + base_.use_ema.dump());
  use_ema_ = base_.use_ema.is_boolean() ? base_.use_ema.get<bool>() : base_.use_ema.get<double>() != 0.0;
  ema_momentum_ = optional_double(base_.ema_momentum, "ema_momentum", owner).value_or(0.99);
  ema_overwrite_frequency_ = base_.ema_overwrite_frequency.is_number_integer()
                                 ? base_.ema_overwrite_frequency.get<std::int64_t>()
                                 : optional_int(base_.ema_overwrite_frequency, "ema_overwrite_frequency", owner);
  accumulation_steps_ = optional_int(base_.gradient_accumulation_steps, "gradient_accumulation_steps", owner);

  if (accumulation_steps_ != 0 && accumulation_steps_ < 2)
    throw ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=" +
                     std::to_string(accumulation_steps_));
  if (use_ema_) {
    if (ema_momentum_ > 1 || ema_momentum_ < 0)
      throw ValueError("`ema_momentum` must be in the range [0, 1]. Received: ema_momentum=" +
                       base_.ema_momentum.dump());
    if (ema_overwrite_frequency_ != 0 && ema_overwrite_frequency_ < 1)
      throw ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: ema_overwrite_frequency=" +
                       base_.ema_overwrite_frequency.dump());
  }
  int clip_args = (clipnorm_ ? 1 : 0) + (clipvalue_ ? 1 : 0) + (global_clipnorm_ ? 1 : 0);
  if (clip_args > 1)
    throw ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm=" +
                     base_.clipnorm.dump() + ", clipvalue=" + base_.clipvalue.dump() +
                     ", global_clipnorm=" + base_.global_clipnorm.dump());

  iterations_ = add_variable("iteration", {}, DType::int32, initializers::Zeros());
  iterations_->assign(scalar_of(DType::int32, 0));
  if (base_.learning_rate.schedule()) {
    schedule_ = base_.learning_rate.schedule();
  } else {
    learning_rate_ = add_variable("learning_rate", {}, DType::float32, initializers::Zeros());
    learning_rate_->assign(scalar_of(DType::float32, base_.learning_rate.value()));
  }
}

VariablePtr Optimizer::add_variable(const std::string& name, const Shape& shape, DType dtype,
                                    const initializers::Initializer& initializer) {
  auto variable = std::make_shared<Variable>(name, shape, dtype, initializer, false);
  variable->set_path(name_ + "/" + name);
  variables_.push_back(variable);
  return variable;
}

VariablePtr Optimizer::add_variable_from_reference(const Variable& reference, const std::string& name, double fill) {
  std::string prefix = reference.path();
  std::replace(prefix.begin(), prefix.end(), '/', '_');
  return add_variable(prefix + "_" + name, reference.shape(), reference.dtype(),
                      fill == 0.0 ? initializers::Zeros() : initializers::Constant(fill));
}

std::vector<std::vector<VariablePtr>> Optimizer::add_optimizer_variables(const std::vector<VariablePtr>& variables,
                                                                         const std::vector<std::string>& names,
                                                                         const std::vector<double>& fills) {
  std::vector<std::vector<VariablePtr>> out(names.size());
  for (const auto& variable : variables) {
    for (std::size_t i = 0; i < names.size(); ++i)
      out[i].push_back(add_variable_from_reference(*variable, names[i], i < fills.size() ? fills[i] : 0.0));
  }
  return out;
}

Json Optimizer::get_config() const {
  Json config = Json::object();
  config["name"] = name_;
  config["learning_rate"] =
      schedule_ ? schedule_->serialize() : Json(static_cast<double>(learning_rate_->value().item()));
  config["weight_decay"] = base_.weight_decay;
  config["clipnorm"] = base_.clipnorm;
  config["global_clipnorm"] = base_.global_clipnorm;
  config["clipvalue"] = base_.clipvalue;
  config["use_ema"] = base_.use_ema;
  config["ema_momentum"] = base_.ema_momentum;
  config["ema_overwrite_frequency"] = base_.ema_overwrite_frequency;
  config["loss_scale_factor"] = base_.loss_scale_factor;
  config["gradient_accumulation_steps"] = base_.gradient_accumulation_steps;
  const Json own = class_config();
  for (auto it = own.begin(); it != own.end(); ++it) config[it.key()] = *it;
  return config;
}

Json Optimizer::serialize() const {
  const std::string mod = module();
  const auto registered = registered_name();
  return Json{{"module", mod.empty() ? Json(nullptr) : Json(mod)},
              {"class_name", class_name()},
              {"config", get_config()},
              {"registered_name", registered ? Json(*registered) : Json(nullptr)}};
}

void Optimizer::build(const std::vector<VariablePtr>& variables) {
  if (built_) return;
  if (use_ema_) averages_ = add_optimizer_variables(variables, {"average"}).front();
  if (accumulation_steps_ != 0) {
    for (const auto& v : variables) accumulators_.push_back(add_variable_from_reference(*v, "gradient_accumulator"));
  }
  trainable_variables_ = variables;
  build_slots(variables);
  built_ = true;
}

std::vector<VariablePtr> Optimizer::variables() const { return variables_; }

std::int64_t Optimizer::raw_iterations() const { return static_cast<std::int64_t>(iterations_->value().at(0)); }

std::int64_t Optimizer::iterations() const {
  const std::int64_t raw = raw_iterations();
  return accumulation_steps_ != 0 ? raw / accumulation_steps_ : raw;
}

float Optimizer::learning_rate() const {
  if (schedule_) return (*schedule_)(raw_iterations());
  return learning_rate_->value().item();
}

void Optimizer::set_learning_rate(double value) {
  if (schedule_)
    throw ValueError(
        "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
        "constructor argument, hence its learning rate is not settable. If you need the learning rate "
        "to be settable, you should instantiate the optimizer with a float `learning_rate` argument.");
  learning_rate_->assign(scalar_of(DType::float32, value));
}

void Optimizer::set_weights(const std::vector<Tensor>& weights) {
  if (!built_)
    throw ValueError(
        "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
        "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
        "`set_weights()`.");
  auto vars = variables();
  for (std::size_t i = 0; i < std::min(vars.size(), weights.size()); ++i) {
    if (vars[i]->shape() != weights[i].shape())
      throw ValueError("Optimizer variable " + vars[i]->path() + " has shape " + shape_to_string(vars[i]->shape()) +
                       " not compatible with provided weight shape " + shape_to_string(weights[i].shape()) + ".");
    vars[i]->assign(weights[i]);
  }
}

void Optimizer::exclude_from_weight_decay(const std::vector<VariablePtr>& variables,
                                          const std::vector<std::string>& variable_names) {
  decay_excluded_.clear();
  for (const auto& v : variables) decay_excluded_.push_back(v.get());
  decay_excluded_pattern_.clear();
  for (const auto& n : std::set<std::string>(variable_names.begin(), variable_names.end()))
    decay_excluded_pattern_ += (decay_excluded_pattern_.empty() ? "" : "|") + n;
}

bool Optimizer::uses_weight_decay(const Variable& variable) const {
  if (std::find(decay_excluded_.begin(), decay_excluded_.end(), &variable) != decay_excluded_.end()) return false;
  if (!decay_excluded_pattern_.empty() && std::regex_search(variable.name(), std::regex(decay_excluded_pattern_)))
    return false;
  return true;
}

void Optimizer::apply(const std::vector<Tensor>& grads) {
  if (!built_)
    throw ValueError(
        "When passing `grads` without `variables`, the optimizer must already be built on a list of "
        "variables. Call `optimizer.build(trainable_variables)` first. ");
  if (grads.size() != trainable_variables_.size())
    throw ValueError(
        "When passing `grads` as a list of gradient tensors, the gradients must match "
        "`optimizer.variables` one-to-on. Received a list of " +
        std::to_string(grads.size()) + " gradients, but the optimizer is tracking " +
        std::to_string(trainable_variables_.size()) + " trainable variables.");
  apply_gradients(grads, trainable_variables_);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables) {
  if (grads.empty()) return;
  if (grads.size() != variables.size())
    throw ValueError("Optimizer '" + name_ + "': got " + std::to_string(grads.size()) + " gradients for " +
                     std::to_string(variables.size()) + " variables");
  if (!built_) build(variables);
  std::vector<std::size_t> indices;
  for (const auto& v : variables) {
    auto it = std::find(trainable_variables_.begin(), trainable_variables_.end(), v);
    if (it == trainable_variables_.end())
      throw ValueError("Unknown variable: " + (v ? v->path() : std::string("<null>")) +
                       ". This optimizer can only be called for the variables it was originally built with. When "
                       "working with a new set of variables, you should recreate a new optimizer instance.");
    indices.push_back(static_cast<std::size_t>(it - trainable_variables_.begin()));
  }
  // Filter empty gradients (Keras' _filter_empty_gradients).
  std::vector<Tensor> kept;
  std::vector<std::size_t> kept_indices;
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      missing.push_back(variables[i]->path());
      continue;
    }
    if (grads[i].shape() != variables[i]->shape())
      throw ShapeMismatchError("Optimizer '" + name_ + "': the gradient for " + variables[i]->path() + " has shape " +
                               shape_to_string(grads[i].shape()) + ", the variable " +
                               shape_to_string(variables[i]->shape()));
    if (!is_floating(grads[i].dtype()))
      throw ValueError("Optimizer '" + name_ + "': the gradient for " + variables[i]->path() + " has dtype " +
                       dtype_name(grads[i].dtype()) + "; gradients must be floating-point");
    kept.push_back(grads[i]);
    kept_indices.push_back(indices[i]);
  }
  if (kept.empty()) throw ValueError("No gradients provided for any variable.");
  if (!missing.empty()) {
    std::string list;
    for (auto it = missing.begin(); it != missing.end(); ++it) list += (list.empty() ? "'" : ", '") + *it + "'";
    std::cerr << "WARNING: Gradients do not exist for variables [" << list
              << "] when minimizing the loss. If using `model.compile()`, did you forget to provide a `loss` "
                 "argument?\n";
  }
  if (loss_scale_factor_) {
    for (auto& g : kept) {
      with_float_type(g.dtype(), name_, [&](auto s) {
        using S = decltype(s);
        auto values = detail::optim::load_values<S>(g);
        const S scale(*loss_scale_factor_);
        for (auto& x : values) x = x / scale;
        g = detail::optim::make_tensor(values, g.shape());
      });
    }
  }
  backend_apply_gradients(std::move(kept), kept_indices);
  const std::int64_t next = raw_iterations() + 1;
  iterations_->assign(scalar_of(iterations_->dtype(), static_cast<double>(next)));
}

void Optimizer::backend_apply_gradients(std::vector<Tensor> grads, const std::vector<std::size_t>& indices) {
  if (accumulation_steps_ != 0) {
    const bool is_update_step = (raw_iterations() + 1) % accumulation_steps_ == 0;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      Variable& accumulator = *accumulators_[indices[i]];
      const DType dtype = promote(grads[i].dtype(), accumulator.dtype());
      with_float_type(dtype, name_, [&](auto s) {
        using S = decltype(s);
        auto g = detail::optim::load_values<S>(grads[i]);
        auto acc = detail::optim::load_values<S>(accumulator.value());
        const S steps(static_cast<double>(accumulation_steps_));
        for (std::size_t k = 0; k < g.size(); ++k) g[k] = is_update_step ? (g[k] + acc[k]) / steps : g[k] + acc[k];
        if (is_update_step) {
          grads[i] = detail::optim::make_tensor(g, grads[i].shape());
        } else {
          accumulator.assign(detail::optim::make_tensor(g, accumulator.shape()));
        }
      });
    }
    if (is_update_step) {
      grads = clip_gradients(std::move(grads));
      apply_weight_decay(indices);
      backend_update_step(grads, indices, learning_rate());
      for (const auto& accumulator : accumulators_)
        accumulator->assign(Tensor::zeros(accumulator->shape(), accumulator->dtype()));
    }
  } else {
    grads = clip_gradients(std::move(grads));
    apply_weight_decay(indices);
    backend_update_step(grads, indices, learning_rate());
  }
  if (use_ema_) {
    update_moving_averages();
    if (ema_overwrite_frequency_ != 0 && (iterations() + 1) % ema_overwrite_frequency_ == 0)
      finalize_variable_values(trainable_variables_);
  }
}

void Optimizer::backend_update_step(const std::vector<Tensor>& grads, const std::vector<std::size_t>& indices,
                                    float learning_rate) {
  for (std::size_t i = 0; i < grads.size(); ++i)
    update_step(grads[i], *trainable_variables_[indices[i]], indices[i], learning_rate);
}

namespace {

// sum(square(values)) as Keras' numpy backend computes it: squares in S,
// numpy's pairwise sum in float32.
template <typename S>
S sum_of_squares(const std::vector<S>& values) {
  std::vector<float> squares(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) squares[i] = detail::optim::to_float(values[i] * values[i]);
  return S(detail::optim::pairwise_sum(squares.data(), static_cast<std::int64_t>(squares.size())));
}

}  // namespace

std::vector<Tensor> Optimizer::clip_gradients(std::vector<Tensor> grads) const {
  if (clipnorm_ && *clipnorm_ > 0) {
    for (auto& g : grads) {
      with_float_type(g.dtype(), name_, [&](auto s) {
        using S = decltype(s);
        auto values = detail::optim::load_values<S>(g);
        const S l2sum = sum_of_squares(values);
        const S l2norm = l2sum > S(0.0) ? detail::optim::sqrt_of(l2sum) : l2sum;
        const S clip(*clipnorm_);
        const S denominator = detail::optim::max_of(l2norm, clip);
        for (auto& x : values) x = (x * clip) / denominator;
        g = detail::optim::make_tensor(values, g.shape());
      });
    }
  } else if (global_clipnorm_ && *global_clipnorm_ > 0) {
    // global_norm: each tensor's sum of squares, stacked and summed, in float32.
    std::vector<float> squared_norms;
    for (const auto& g : grads) {
      auto values = detail::optim::load_values<float>(g);
      squared_norms.push_back(sum_of_squares(values));
    }
    const float use_norm =
        std::sqrt(detail::optim::pairwise_sum(squared_norms.data(), static_cast<std::int64_t>(squared_norms.size())));
    // `clip_norm * minimum(1.0 / use_norm, 1.0 / clip_norm)`: the reciprocals
    // are float64 numpy-scalar operations, ops.minimum rounds them to float32,
    // the product is float64 again and `v * scale` rounds it (see float_math.hpp).
    const double clip_norm = *global_clipnorm_;
    const float smaller =
        std::min(static_cast<float>(1.0 / static_cast<double>(use_norm)), static_cast<float>(1.0 / clip_norm));
    const double scale = clip_norm * static_cast<double>(smaller) + static_cast<double>(use_norm - use_norm);
    for (auto& g : grads) {
      with_float_type(g.dtype(), name_, [&](auto s) {
        using S = decltype(s);
        auto values = detail::optim::load_values<S>(g);
        const S factor(scale);
        for (auto& x : values) x = x * factor;
        g = detail::optim::make_tensor(values, g.shape());
      });
    }
  } else if (clipvalue_ && *clipvalue_ > 0) {
    for (auto& g : grads) {
      with_float_type(g.dtype(), name_, [&](auto s) {
        using S = decltype(s);
        auto values = detail::optim::load_values<S>(g);
        const S lo(-*clipvalue_);
        const S hi(*clipvalue_);
        for (auto& x : values) x = detail::optim::clip_of(x, lo, hi);
        g = detail::optim::make_tensor(values, g.shape());
      });
    }
  }
  return grads;
}

void Optimizer::apply_weight_decay(const std::vector<std::size_t>& indices) {
  if (!weight_decay_) return;
  for (std::size_t index : indices) {
    Variable& variable = *trainable_variables_[index];
    if (!uses_weight_decay(variable)) continue;
    const float lr32 = learning_rate();
    with_float_type(variable.dtype(), variable.path(), [&](auto s) {
      using S = decltype(s);
      const S lr(lr32);
      const S wd(*weight_decay_);
      auto w = detail::optim::load_values<S>(variable.value());
      for (auto& x : w) x = x - x * wd * lr;
      detail::optim::store_values(variable, w);
    });
  }
}

void Optimizer::update_moving_averages() {
  const bool not_first_step = iterations() != 0;
  for (std::size_t i = 0; i < trainable_variables_.size(); ++i) {
    Variable& variable = *trainable_variables_[i];
    Variable& average = *averages_[i];
    with_float_type(variable.dtype(), variable.path(), [&](auto s) {
      using S = decltype(s);
      const S momentum = S(not_first_step ? 1.0 : 0.0) * S(ema_momentum_);
      const S one_minus = S(1.0) - momentum;
      auto w = detail::optim::load_values<S>(variable.value());
      auto avg = detail::optim::load_values<S>(average.value());
      for (std::size_t k = 0; k < avg.size(); ++k) avg[k] = momentum * avg[k] + one_minus * w[k];
      detail::optim::store_values(average, avg);
    });
  }
}

void Optimizer::finalize_variable_values(const std::vector<VariablePtr>& variables) {
  if (!use_ema_) return;
  if (variables.size() != averages_.size())
    throw ValueError("The length of model variables (" + std::to_string(variables.size()) +
                     ") to override does not match the length of model variables stored in the optimizer (" +
                     std::to_string(averages_.size()) + "). Please check if the optimizer was called on your model.");
  for (std::size_t i = 0; i < variables.size(); ++i) variables[i]->assign(averages_[i]->value());
}

// ------------------------------------------------------------------- configs

Optimizer::BaseConfig Optimizer::base_config_from(const std::string& class_name, const Json& config,
                                                  const std::vector<std::string>& own_keys,
                                                  double default_learning_rate) {
  std::vector<std::pair<std::string, Json>> keys;
  for (const auto& key : own_keys) keys.emplace_back(key, nullptr);
  return detail::optim::parse_config(class_name, config, default_learning_rate, keys).base;
}

namespace detail::optim {

ParsedConfig parse_config(const std::string& class_name, const Json& config, double default_learning_rate,
                          const std::vector<std::pair<std::string, Json>>& class_keys) {
  if (!config.is_object())
    throw ValueError(class_name + ": an optimizer config must be an object, got " + config.dump());
  static const std::set<std::string> base_keys = {"name",
                                                  "learning_rate",
                                                  "weight_decay",
                                                  "clipnorm",
                                                  "global_clipnorm",
                                                  "clipvalue",
                                                  "use_ema",
                                                  "ema_momentum",
                                                  "ema_overwrite_frequency",
                                                  "loss_scale_factor",
                                                  "gradient_accumulation_steps"};
  ParsedConfig parsed;
  std::vector<std::string> unknown;
  for (auto item = config.begin(); item != config.end(); ++item) {
    const std::string& key = item.key();
    const Json& value = item.value();
    if (base_keys.count(key) != 0) continue;
    bool is_class_key =
        std::any_of(class_keys.begin(), class_keys.end(), [&](const auto& k) { return k.first == key; });
    if (is_class_key) continue;
    if (key == "decay") {
      if (!value.is_null()) std::cerr << "WARNING: Argument `decay` is no longer supported and will be ignored.\n";
      continue;
    }
    // Keras 2 optimizer configs (spec §8); Keras 3 itself rejects them.
    if (key == "is_legacy_optimizer" || key == "jit_compile" || key == "lr") continue;
    unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "'" : ", '") + k + "': " + config.at(k).dump();
    throw ValueError(class_name + ": Argument(s) not recognized: {" + list + "}");
  }
  auto get = [&](const char* key, const Json& fallback) { return config.contains(key) ? config.at(key) : fallback; };
  Optimizer::BaseConfig& base = parsed.base;
  Json name = get("name", nullptr);
  if (!name.is_null() && !name.is_string())
    throw ValueError(class_name + ": `name` must be a string, got " + name.dump());
  base.name = name.is_string() ? name.get<std::string>() : "";
  Json rate = config.contains("learning_rate") ? config.at("learning_rate") : get("lr", default_learning_rate);
  if (rate.is_object()) {
    base.learning_rate = optimizers::schedules::deserialize(rate);
  } else if (rate.is_number()) {
    base.learning_rate = rate.get<double>();
  } else {
    throw ValueError(
        "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
        "(that takes in the current iteration value and returns the corresponding learning rate value). "
        "Received instead: learning_rate=" +
        rate.dump());
  }
  base.weight_decay = get("weight_decay", nullptr);
  base.clipnorm = get("clipnorm", nullptr);
  base.global_clipnorm = get("global_clipnorm", nullptr);
  base.clipvalue = get("clipvalue", nullptr);
  base.use_ema = get("use_ema", false);
  base.ema_momentum = get("ema_momentum", 0.99);
  base.ema_overwrite_frequency = get("ema_overwrite_frequency", nullptr);
  base.loss_scale_factor = get("loss_scale_factor", nullptr);
  base.gradient_accumulation_steps = get("gradient_accumulation_steps", nullptr);
  for (const auto& [key, fallback] : class_keys) parsed.hyper[key] = config.contains(key) ? config.at(key) : fallback;
  return parsed;
}

double number_at(const Json& hyper, const std::string& key, const std::string& class_name) {
  const Json& value = hyper.at(key);
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (!value.is_number()) throw ValueError(class_name + ": `" + key + "` must be a number, got " + value.dump());
  return value.get<double>();
}

bool bool_at(const Json& hyper, const std::string& key, const std::string& class_name) {
  const Json& value = hyper.at(key);
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0.0;
  if (value.is_null()) return false;
  throw ValueError(class_name + ": `" + key + "` must be a boolean, got " + value.dump());
}

}  // namespace detail::optim

// ------------------------------------------------------ deserialize and get

namespace optimizers {

namespace {

using OptimizerPtr = std::shared_ptr<Optimizer>;

// keras.optimizers.get("adam"): a class name (any case), else a custom object.
OptimizerPtr from_name(const std::string& name) {
  keras::detail::register_training_builtins();
  saving::AnyFactory factory = keras::detail::find_builtin(saving::ObjectKind::optimizer, name);
  if (factory.empty()) {
    keras::detail::throw_if_refused(saving::ObjectKind::optimizer, name);
    factory = saving::find_custom_object(name);
  }
  if (factory.empty() || factory.kind() != saving::ObjectKind::optimizer) {
    std::string known;
    for (const auto& n : keras::detail::builtin_names(saving::ObjectKind::optimizer))
      known += (known.empty() ? "" : ", ") + n;
    throw UnknownObjectError("Could not interpret optimizer identifier: " + name +
                             " (unknown optimizer class; keras-cpp knows " + known + ")");
  }
  return factory.as<OptimizerPtr>()(Json::object());
}

}  // namespace

OptimizerPtr deserialize(const Json& envelope) {
  if (!envelope.is_object() || !envelope.contains("class_name") || !envelope.at("class_name").is_string())
    throw ValueError("An optimizer config needs a string `class_name`, got " + envelope.dump());
  keras::detail::register_training_builtins();
  return keras::detail::instantiate<OptimizerPtr>({saving::ObjectKind::optimizer}, envelope);
}

OptimizerPtr get(const std::string& identifier) { return from_name(identifier); }

OptimizerPtr get(const char* identifier) { return get(std::string(identifier)); }

OptimizerPtr get(const Json& identifier) {
  if (identifier.is_string()) return get(identifier.get<std::string>());
  if (identifier.is_object()) return deserialize(identifier);
  throw ValueError("Could not interpret optimizer identifier: " + identifier.dump());
}

}  // namespace optimizers

std::shared_ptr<Optimizer> OptimizerIdentifier::resolve() const {
  if (optimizer_) return optimizer_;
  if (name_) return optimizers::get(*name_);
  if (envelope_.is_null()) return nullptr;
  return optimizers::get(envelope_);
}

}  // namespace keras
