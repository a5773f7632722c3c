// keras.optimizers.schedules (keras/src/optimizers/schedules/
// learning_rate_schedule.py): configs kept as given, rates computed in
// float32 in Keras' operation order, with float64 intermediates where NumPy
// 1.x promotes a float32 scalar combined with a Python number (see
// training/optimizers/float_math.hpp).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "keras/optimizers.hpp"
#include "training/registrations.hpp"

namespace keras::optimizers::schedules {

Json LearningRateSchedule::serialize() const {
  const std::string mod = module();
  return Json{{"module", mod.empty() ? Json(nullptr) : Json(mod)},
              {"class_name", class_name()},
              {"config", get_config()},
              {"registered_name", mod.empty() ? Json(class_name()) : Json(nullptr)}};
}

namespace {

// A config value read as a number; ValueError naming the schedule otherwise.
double num(const Json& config, const char* key, const std::string& owner) {
  const Json& value = config.at(key);
  if (!value.is_number()) throw ValueError(owner + ": `" + key + "` must be a number, got " + value.dump());
  return value.get<double>();
}

bool flag(const Json& config, const char* key, const std::string& owner) {
  const Json& value = config.at(key);
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0.0;
  throw ValueError(owner + ": `" + key + "` must be a boolean, got " + value.dump());
}

// Fills `keys` (in Keras' order) from `config`, with defaults for missing ones;
// a key without default (null fallback marked required) must be present.
Json read_config(const std::string& owner, const Json& config,
                 const std::vector<std::pair<std::string, std::optional<Json>>>& keys) {
  if (!config.is_object()) throw ValueError(owner + ": a schedule config must be an object, got " + config.dump());
  Json out = Json::object();
  for (const auto& [key, fallback] : keys) {
    if (config.contains(key)) {
      out[key] = config.at(key);
    } else if (fallback) {
      out[key] = *fallback;
    } else {
      throw ValueError(owner + ": missing required argument `" + key + "`");
    }
  }
  for (const auto& [key, value] : config.items()) {
    if (!out.contains(key)) throw ValueError(owner + ".__init__() got an unexpected keyword argument '" + key + "'");
  }
  return out;
}

void require_positive_steps(const Json& config, const char* key, const std::string& owner) {
  if (!(num(config, key, owner) > 0))
    throw ValueError(std::string("Argument `") + key + "` must be > 0. Received: " + key + "=" + config.at(key).dump());
}

// Base of the built-ins: the config as given plus typed copies.
class BuiltinSchedule : public LearningRateSchedule {
 public:
  BuiltinSchedule(std::string class_name, Json config)
      : class_name_(std::move(class_name)), config_(std::move(config)) {}
  std::string class_name() const override { return class_name_; }
  Json get_config() const override { return config_; }

 protected:
  double get(const char* key) const { return num(config_, key, class_name_); }
  bool get_flag(const char* key) const { return flag(config_, key, class_name_); }
  std::string class_name_;
  Json config_;
};

// ExponentialDecay and InverseTimeDecay: the same arguments and the same
// (optionally floored) progress step / decay_steps; only the formula differs.
class RateDecaySchedule : public BuiltinSchedule {
 public:
  RateDecaySchedule(std::string class_name, Json config) : BuiltinSchedule(std::move(class_name), std::move(config)) {
    require_positive_steps(config_, "decay_steps", class_name_);
    initial_ = static_cast<float>(get("initial_learning_rate"));
    steps_ = static_cast<float>(get("decay_steps"));
    rate_ = static_cast<float>(get("decay_rate"));
    staircase_ = get_flag("staircase");
  }

 protected:
  float progress(std::int64_t step) const {
    float p = static_cast<float>(step) / steps_;
    if (staircase_) p = std::floor(p);
    return p;
  }
  float initial_, steps_, rate_;
  bool staircase_;
};

class ExponentialDecayImpl final : public RateDecaySchedule {
 public:
  explicit ExponentialDecayImpl(Json config) : RateDecaySchedule("ExponentialDecay", std::move(config)) {}
  float operator()(std::int64_t step) const override { return initial_ * std::pow(rate_, progress(step)); }
};

class PiecewiseConstantDecayImpl final : public BuiltinSchedule {
 public:
  explicit PiecewiseConstantDecayImpl(Json config) : BuiltinSchedule("PiecewiseConstantDecay", std::move(config)) {
    const Json& boundaries = config_.at("boundaries");
    const Json& values = config_.at("values");
    if (!boundaries.is_array() || !values.is_array())
      throw ValueError("PiecewiseConstantDecay: `boundaries` and `values` must be lists");
    if (boundaries.size() + 1 != values.size())
      throw ValueError("The length of boundaries should be 1 less than the length of values. Received: boundaries=" +
                       boundaries.dump() + " of length " + std::to_string(boundaries.size()) +
                       ", and values=" + values.dump() + " of length " + std::to_string(values.size()) + ".");
    // Boundaries are cast to the step's dtype (int32): floats truncate.
    for (const auto& b : boundaries) {
      if (!b.is_number()) throw ValueError("PiecewiseConstantDecay: boundaries must be numbers, got " + b.dump());
      boundaries_.push_back(static_cast<std::int64_t>(b.get<double>()));
    }
    for (const auto& v : values) {
      if (!v.is_number()) throw ValueError("PiecewiseConstantDecay: values must be numbers, got " + v.dump());
      values_.push_back(static_cast<float>(v.get<double>()));
    }
  }
  float operator()(std::int64_t step) const override {
    float result = 0.0F;
    result += static_cast<float>(step <= boundaries_.front()) * values_.front();
    result += static_cast<float>(step > boundaries_.back()) * values_.back();
    for (std::size_t i = 0; i + 1 < boundaries_.size(); ++i) {
      const bool in_range = step > boundaries_[i] && step <= boundaries_[i + 1];
      result += static_cast<float>(in_range) * values_[i + 1];
    }
    return result;
  }

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<float> values_;
};

class PolynomialDecayImpl final : public BuiltinSchedule {
 public:
  explicit PolynomialDecayImpl(Json config) : BuiltinSchedule("PolynomialDecay", std::move(config)) {
    require_positive_steps(config_, "decay_steps", class_name_);
    initial_ = static_cast<float>(get("initial_learning_rate"));
    end_ = static_cast<float>(get("end_learning_rate"));
    power_ = static_cast<float>(get("power"));
    decay_steps_ = get("decay_steps");
    cycle_ = get_flag("cycle");
  }
  float operator()(std::int64_t step) const override {
    const float global_step = static_cast<float>(step);
    const float decay_steps = static_cast<float>(decay_steps_);
    float p;
    if (cycle_) {
      // `step / self.decay_steps` divides by a Python number (float64); ops.ceil rounds it.
      const float ratio = static_cast<float>(static_cast<double>(global_step) / decay_steps_);
      const float multiplier = global_step == 0.0F ? 1.0F : std::ceil(ratio);
      p = global_step / (decay_steps * multiplier);
    } else {
      p = std::min(global_step, decay_steps) / decay_steps;
    }
    const float one_minus_p = static_cast<float>(1.0 - static_cast<double>(p));
    return (initial_ - end_) * std::pow(one_minus_p, power_) + end_;
  }

 private:
  float initial_, end_, power_;
  double decay_steps_;
  bool cycle_;
};

class InverseTimeDecayImpl final : public RateDecaySchedule {
 public:
  explicit InverseTimeDecayImpl(Json config) : RateDecaySchedule("InverseTimeDecay", std::move(config)) {}
  float operator()(std::int64_t step) const override { return initial_ / (1.0F + rate_ * progress(step)); }
};

class CosineDecayImpl final : public BuiltinSchedule {
 public:
  explicit CosineDecayImpl(Json config) : BuiltinSchedule("CosineDecay", std::move(config)) {
    require_positive_steps(config_, "decay_steps", class_name_);
    initial_ = static_cast<float>(get("initial_learning_rate"));
    decay_steps_ = static_cast<float>(get("decay_steps"));
    alpha_ = get("alpha");
    if (!config_.at("warmup_target").is_null()) warmup_target_ = static_cast<float>(get("warmup_target"));
    warmup_steps_ = static_cast<float>(get("warmup_steps"));
  }
  float operator()(std::int64_t step) const override {
    float global_step = static_cast<float>(step);
    if (!warmup_target_) return decay(std::min(global_step, decay_steps_), initial_);
    global_step = std::min(global_step, decay_steps_ + warmup_steps_);
    if (global_step < warmup_steps_) {
      const float completed_fraction = global_step / warmup_steps_;
      const float total_step_delta = *warmup_target_ - initial_;
      return total_step_delta * completed_fraction + initial_;
    }
    return decay(global_step - warmup_steps_, *warmup_target_);
  }

 private:
  float decay(float step, float decay_from) const {
    const float completed_fraction = step / decay_steps_;
    const float pi = static_cast<float>(std::numbers::pi);
    // `0.5 * (1.0 + cos(...))` and `decayed` are float64; ops.multiply rounds decayed.
    const double cosine_decayed = 0.5 * (1.0 + static_cast<double>(std::cos(pi * completed_fraction)));
    const double decayed = (1.0 - alpha_) * cosine_decayed + alpha_;
    return decay_from * static_cast<float>(decayed);
  }
  float initial_, decay_steps_, warmup_steps_;
  double alpha_;
  std::optional<float> warmup_target_;
};

class CosineDecayRestartsImpl final : public BuiltinSchedule {
 public:
  explicit CosineDecayRestartsImpl(Json config) : BuiltinSchedule("CosineDecayRestarts", std::move(config)) {
    require_positive_steps(config_, "first_decay_steps", class_name_);
    initial_ = static_cast<float>(get("initial_learning_rate"));
    first_decay_steps_ = static_cast<float>(get("first_decay_steps"));
    alpha_ = static_cast<float>(get("alpha"));
    t_mul_ = static_cast<float>(get("t_mul"));
    m_mul_ = static_cast<float>(get("m_mul"));
  }
  float operator()(std::int64_t step) const override {
    float fraction = static_cast<float>(step) / first_decay_steps_;
    float i_restart;
    if (t_mul_ == 1.0F) {
      i_restart = std::floor(fraction);
      fraction -= i_restart;
    } else {
      const double one_minus_t_mul = 1.0 - static_cast<double>(t_mul_);
      const float x = static_cast<float>(1.0 - static_cast<double>(fraction) * one_minus_t_mul);
      i_restart = std::floor(std::log(x) / std::log(t_mul_));
      const float t_power = std::pow(t_mul_, i_restart);
      const float sum_r = static_cast<float>(1.0 - static_cast<double>(t_power)) / static_cast<float>(one_minus_t_mul);
      fraction = (fraction - sum_r) / t_power;
    }
    const float m_fac = std::pow(m_mul_, i_restart);
    // `0.5 * m_fac * (1.0 + cos(...))` and `1 - alpha` are float64; ops.multiply rounds them.
    const double cosine_decayed =
        0.5 * static_cast<double>(m_fac) * (1.0 + static_cast<double>(std::cos(pi() * fraction)));
    const float decayed =
        static_cast<float>(1.0 - static_cast<double>(alpha_)) * static_cast<float>(cosine_decayed) + alpha_;
    return initial_ * decayed;
  }

 private:
  static float pi() { return static_cast<float>(std::numbers::pi); }
  float initial_, first_decay_steps_, alpha_, t_mul_, m_mul_;
};

template <typename T>
Json as_list(const std::vector<T>& values) {
  Json out = Json::array();
  for (auto v : values) out.push_back(v);
  return out;
}

using Keys = std::vector<std::pair<std::string, std::optional<Json>>>;

// Config of a RateDecaySchedule, in Keras' key order.
template <typename Options>
Json rate_decay_config(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                       const Options& options) {
  return Json{{"initial_learning_rate", initial_learning_rate},
              {"decay_steps", decay_steps},
              {"decay_rate", decay_rate},
              {"staircase", options.staircase},
              {"name", options.name}};
}

Keys rate_decay_keys(const char* default_name) {
  return Keys{{"initial_learning_rate", std::nullopt},
              {"decay_steps", std::nullopt},
              {"decay_rate", std::nullopt},
              {"staircase", false},
              {"name", default_name}};
}

}  // namespace

Schedule ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                          const ExponentialDecayOptions& options) {
  return std::make_shared<ExponentialDecayImpl>(
      rate_decay_config(initial_learning_rate, decay_steps, decay_rate, options));
}

Schedule PiecewiseConstantDecay(const std::vector<std::int64_t>& boundaries, const std::vector<double>& values,
                                const PiecewiseConstantDecayOptions& options) {
  return std::make_shared<PiecewiseConstantDecayImpl>(
      Json{{"boundaries", as_list(boundaries)}, {"values", as_list(values)}, {"name", options.name}});
}

Schedule PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps,
                         const PolynomialDecayOptions& options) {
  return std::make_shared<PolynomialDecayImpl>(Json{{"initial_learning_rate", initial_learning_rate},
                                                    {"decay_steps", decay_steps},
                                                    {"end_learning_rate", options.end_learning_rate},
                                                    {"power", options.power},
                                                    {"cycle", options.cycle},
                                                    {"name", options.name}});
}

Schedule InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                          const InverseTimeDecayOptions& options) {
  return std::make_shared<InverseTimeDecayImpl>(
      rate_decay_config(initial_learning_rate, decay_steps, decay_rate, options));
}

Schedule CosineDecay(double initial_learning_rate, std::int64_t decay_steps, const CosineDecayOptions& options) {
  return std::make_shared<CosineDecayImpl>(
      Json{{"initial_learning_rate", initial_learning_rate},
           {"decay_steps", decay_steps},
           {"alpha", options.alpha},
           {"name", options.name},
           {"warmup_target", options.warmup_target ? Json(*options.warmup_target) : Json(nullptr)},
           {"warmup_steps", options.warmup_steps}});
}

Schedule CosineDecayRestarts(double initial_learning_rate, std::int64_t first_decay_steps,
                             const CosineDecayRestartsOptions& options) {
  return std::make_shared<CosineDecayRestartsImpl>(Json{{"initial_learning_rate", initial_learning_rate},
                                                        {"first_decay_steps", first_decay_steps},
                                                        {"t_mul", options.t_mul},
                                                        {"m_mul", options.m_mul},
                                                        {"alpha", options.alpha},
                                                        {"name", options.name}});
}

Schedule deserialize(const Json& envelope) {
  keras::detail::register_training_builtins();
  if (!envelope.is_object() || !envelope.contains("class_name") || !envelope.at("class_name").is_string())
    throw ValueError("A learning rate schedule config needs a string `class_name`, got " + envelope.dump());
  return keras::detail::instantiate<Schedule>({saving::ObjectKind::learning_rate_schedule}, envelope);
}

}  // namespace keras::optimizers::schedules

namespace keras::detail {

void register_schedules() {
  using namespace optimizers::schedules;  // NOLINT(google-build-using-namespace): the classes registered here
  const Registrar<Schedule> r(saving::ObjectKind::learning_rate_schedule, "keras.optimizers.schedules");
  r.add("ExponentialDecay", [](const Json& c) -> Schedule {
    return std::make_shared<ExponentialDecayImpl>(
        read_config("ExponentialDecay", c, rate_decay_keys("ExponentialDecay")));
  });
  r.add("PiecewiseConstantDecay", [](const Json& c) -> Schedule {
    return std::make_shared<PiecewiseConstantDecayImpl>(
        read_config("PiecewiseConstantDecay", c,
                    Keys{{"boundaries", std::nullopt}, {"values", std::nullopt}, {"name", "PiecewiseConstant"}}));
  });
  r.add("PolynomialDecay", [](const Json& c) -> Schedule {
    return std::make_shared<PolynomialDecayImpl>(read_config("PolynomialDecay", c,
                                                             Keys{{"initial_learning_rate", std::nullopt},
                                                                  {"decay_steps", std::nullopt},
                                                                  {"end_learning_rate", 0.0001},
                                                                  {"power", 1.0},
                                                                  {"cycle", false},
                                                                  {"name", "PolynomialDecay"}}));
  });
  r.add("InverseTimeDecay", [](const Json& c) -> Schedule {
    return std::make_shared<InverseTimeDecayImpl>(
        read_config("InverseTimeDecay", c, rate_decay_keys("InverseTimeDecay")));
  });
  r.add("CosineDecay", [](const Json& c) -> Schedule {
    return std::make_shared<CosineDecayImpl>(read_config("CosineDecay", c,
                                                         Keys{{"initial_learning_rate", std::nullopt},
                                                              {"decay_steps", std::nullopt},
                                                              {"alpha", 0.0},
                                                              {"name", "CosineDecay"},
                                                              {"warmup_target", Json(nullptr)},
                                                              {"warmup_steps", 0}}));
  });
  r.add("CosineDecayRestarts", [](const Json& c) -> Schedule {
    return std::make_shared<CosineDecayRestartsImpl>(read_config("CosineDecayRestarts", c,
                                                                 Keys{{"initial_learning_rate", std::nullopt},
                                                                      {"first_decay_steps", std::nullopt},
                                                                      {"t_mul", 2.0},
                                                                      {"m_mul", 1.0},
                                                                      {"alpha", 0.0},
                                                                      {"name", "SGDRDecay"}}));
  });
}

}  // namespace keras::detail
