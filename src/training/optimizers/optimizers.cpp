// The built-in optimizers (keras/src/optimizers/*.py): slots in Keras'
// creation order and update_step in Keras' operation order. Python float
// hyperparameters enter each operation cast to the variable's dtype, and
// expressions such as `1 - self.beta_1` are evaluated in double first, as
// Python does.
#include <algorithm>

#include "keras/operation.hpp"
#include "keras/optimizers.hpp"
#include "training/optimizers/float_math.hpp"
#include "training/optimizers/optimizer_config.hpp"

namespace keras::optimizers {

using detail::optim::abs_of;
using detail::optim::bool_at;
using detail::optim::clip_of;
using detail::optim::dbl;
using detail::optim::load_values;
using detail::optim::max_of;
using detail::optim::number_at;
using detail::optim::parse_config;
using detail::optim::pow_of;
using detail::optim::sign_of;
using detail::optim::sqrt_of;
using detail::optim::store_values;
using detail::optim::with_float_type;

namespace {

using ClassKeys = std::vector<std::pair<std::string, Json>>;

// Runs `fn(S{})` for the variable's dtype.
template <typename Fn>
void in_dtype_of(const Variable& variable, Fn&& fn) {
  with_float_type(variable.dtype(), variable.path(), std::forward<Fn>(fn));
}

}  // namespace

// ----------------------------------------------------------------------- SGD

struct SGD::Hyper {
  double momentum;
  bool nesterov;
};

SGD::SGD(BaseConfig base, Json hyper) : Optimizer("SGD", std::move(base)), hyper_(std::move(hyper)) {
  const double momentum = number_at(hyper_, "momentum", "SGD");
  if (momentum < 0 || momentum > 1) throw ValueError("`momentum` must be a float between [0, 1].");
  typed_ = std::make_shared<Hyper>(Hyper{momentum, bool_at(hyper_, "nesterov", "SGD")});
}

SGD::SGD(const SGDOptions& o)
    : SGD(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
          Json{{"momentum", o.momentum}, {"nesterov", o.nesterov}}) {}

std::shared_ptr<SGD> SGD::from_config(const Json& config) {
  auto parsed = parse_config("SGD", config, 0.01, ClassKeys{{"momentum", 0.0}, {"nesterov", false}});
  return std::shared_ptr<SGD>(new SGD(std::move(parsed.base), std::move(parsed.hyper)));
}

Json SGD::class_config() const { return hyper_; }

void SGD::build_slots(const std::vector<VariablePtr>& variables) {
  if (typed_->momentum != 0) slots_ = add_optimizer_variables(variables, {"momentum"});
}

void SGD::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    if (h.momentum != 0) {
      Variable& slot = *slots_[0][index];
      auto m = load_values<S>(slot.value());
      const S momentum(h.momentum);
      for (std::size_t k = 0; k < w.size(); ++k) {
        m[k] = m[k] * momentum - g[k] * lr;
        w[k] = h.nesterov ? w[k] + (m[k] * momentum - g[k] * lr) : w[k] + m[k];
      }
      store_values(slot, m);
    } else {
      for (std::size_t k = 0; k < w.size(); ++k) w[k] = w[k] - g[k] * lr;
    }
    store_values(variable, w);
  });
}

// ---------------------------------------------------------------- Adam(W)

namespace {

struct AdamHyper {
  double beta_1, beta_2, epsilon;
  bool amsgrad;
};

AdamHyper adam_hyper(const Json& hyper, const std::string& class_name) {
  return {number_at(hyper, "beta_1", class_name), number_at(hyper, "beta_2", class_name),
          number_at(hyper, "epsilon", class_name), bool_at(hyper, "amsgrad", class_name)};
}

const ClassKeys& adam_keys() {
  static const ClassKeys keys{{"beta_1", 0.9}, {"beta_2", 0.999}, {"epsilon", 1e-7}, {"amsgrad", false}};
  return keys;
}

template <typename Options>
Json adam_json(const Options& o) {
  return Json{{"beta_1", o.beta_1}, {"beta_2", o.beta_2}, {"epsilon", o.epsilon}, {"amsgrad", o.amsgrad}};
}

void adam_update(const AdamHyper& h, std::int64_t iterations, const Tensor& gradient, Variable& variable,
                 Variable& momentum, Variable& velocity, Variable* velocity_hat, float learning_rate) {
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S local_step(static_cast<double>(iterations + 1));
    const S beta_1_power = pow_of(S(h.beta_1), local_step);
    const S beta_2_power = pow_of(S(h.beta_2), local_step);
    // `lr * sqrt(1 - beta_2_power) / (1 - beta_1_power)`: the division is a float64
    // numpy-scalar operation, rounded when alpha enters ops.multiply.
    const S alpha(dbl(lr * sqrt_of(S(1.0 - dbl(beta_2_power)))) / (1.0 - dbl(beta_1_power)));
    const S one_minus_beta_1(1.0 - h.beta_1);
    const S one_minus_beta_2(1.0 - h.beta_2);
    const S epsilon(h.epsilon);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto m = load_values<S>(momentum.value());
    auto v = load_values<S>(velocity.value());
    std::vector<S> v_hat;
    if (velocity_hat != nullptr) v_hat = load_values<S>(velocity_hat->value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      m[k] = m[k] + (g[k] - m[k]) * one_minus_beta_1;
      v[k] = v[k] + (g[k] * g[k] - v[k]) * one_minus_beta_2;
      S denominator_source = v[k];
      if (velocity_hat != nullptr) {
        v_hat[k] = max_of(v_hat[k], v[k]);
        denominator_source = v_hat[k];
      }
      w[k] = w[k] - (m[k] * alpha) / (sqrt_of(denominator_source) + epsilon);
    }
    store_values(momentum, m);
    store_values(velocity, v);
    if (velocity_hat != nullptr) store_values(*velocity_hat, v_hat);
    store_values(variable, w);
  });
}

}  // namespace

struct Adam::Hyper : AdamHyper {};

Adam::Adam(BaseConfig base, Json hyper) : Optimizer("Adam", std::move(base)), hyper_(std::move(hyper)) {
  typed_ = std::make_shared<Hyper>(Hyper{adam_hyper(hyper_, "Adam")});
}

Adam::Adam(const AdamOptions& o)
    : Adam(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)), adam_json(o)) {}

std::shared_ptr<Adam> Adam::from_config(const Json& config) {
  auto parsed = parse_config("Adam", config, 0.001, adam_keys());
  return std::shared_ptr<Adam>(new Adam(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Adam::class_config() const { return hyper_; }

void Adam::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"momentum", "velocity"});
  if (typed_->amsgrad) slots_.push_back(add_optimizer_variables(variables, {"velocity_hat"}).front());
}

void Adam::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  adam_update(*typed_, iterations(), gradient, variable, *slots_[0][index], *slots_[1][index],
              typed_->amsgrad ? slots_[2][index].get() : nullptr, learning_rate);
}

struct AdamW::Hyper : AdamHyper {};

AdamW::AdamW(BaseConfig base, Json hyper) : Optimizer("AdamW", std::move(base)), hyper_(std::move(hyper)) {
  if (this->base().weight_decay.is_null())
    throw ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None");
  typed_ = std::make_shared<Hyper>(Hyper{adam_hyper(hyper_, "AdamW")});
}

AdamW::AdamW(const AdamWOptions& o) : AdamW(detail::optim::base_from_options(o, o.weight_decay), adam_json(o)) {}

std::shared_ptr<AdamW> AdamW::from_config(const Json& config) {
  auto parsed = parse_config("AdamW", config, 0.001, adam_keys());
  if (!config.contains("weight_decay")) parsed.base.weight_decay = 0.004;
  return std::shared_ptr<AdamW>(new AdamW(std::move(parsed.base), std::move(parsed.hyper)));
}

Json AdamW::class_config() const { return hyper_; }

void AdamW::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"momentum", "velocity"});
  if (typed_->amsgrad) slots_.push_back(add_optimizer_variables(variables, {"velocity_hat"}).front());
}

void AdamW::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  adam_update(*typed_, iterations(), gradient, variable, *slots_[0][index], *slots_[1][index],
              typed_->amsgrad ? slots_[2][index].get() : nullptr, learning_rate);
}

// ------------------------------------------------------------------ RMSprop

struct RMSprop::Hyper {
  double rho, momentum, epsilon;
  bool centered;
};

RMSprop::RMSprop(BaseConfig base, Json hyper) : Optimizer("RMSprop", std::move(base)), hyper_(std::move(hyper)) {
  typed_ =
      std::make_shared<Hyper>(Hyper{number_at(hyper_, "rho", "RMSprop"), number_at(hyper_, "momentum", "RMSprop"),
                                    number_at(hyper_, "epsilon", "RMSprop"), bool_at(hyper_, "centered", "RMSprop")});
}

RMSprop::RMSprop(const RMSpropOptions& o)
    : RMSprop(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
              Json{{"rho", o.rho}, {"momentum", o.momentum}, {"epsilon", o.epsilon}, {"centered", o.centered}}) {}

std::shared_ptr<RMSprop> RMSprop::from_config(const Json& config) {
  auto parsed = parse_config("RMSprop", config, 0.001,
                             ClassKeys{{"rho", 0.9}, {"momentum", 0.0}, {"epsilon", 1e-7}, {"centered", false}});
  return std::shared_ptr<RMSprop>(new RMSprop(std::move(parsed.base), std::move(parsed.hyper)));
}

Json RMSprop::class_config() const { return hyper_; }

// Not interleaved: all velocities, then all momentums, then all averages.
void RMSprop::build_slots(const std::vector<VariablePtr>& variables) {
  slots_.assign(3, {});
  slots_[0] = add_optimizer_variables(variables, {"velocity"}).front();
  if (typed_->momentum > 0) slots_[1] = add_optimizer_variables(variables, {"momentum"}).front();
  if (typed_->centered) slots_[2] = add_optimizer_variables(variables, {"average_gradient"}).front();
}

void RMSprop::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S rho(h.rho);
    const S one_minus_rho(1.0 - h.rho);
    const S epsilon(h.epsilon);
    const S momentum_factor(h.momentum);
    Variable& velocity = *slots_[0][index];
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto vel = load_values<S>(velocity.value());
    std::vector<S> mom, avg;
    if (h.momentum > 0) mom = load_values<S>(slots_[1][index]->value());
    if (h.centered) avg = load_values<S>(slots_[2][index]->value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      vel[k] = rho * vel[k] + one_minus_rho * (g[k] * g[k]);
      S denominator;
      if (h.centered) {
        avg[k] = rho * avg[k] + one_minus_rho * g[k];
        denominator = vel[k] - avg[k] * avg[k] + epsilon;
      } else {
        denominator = vel[k] + epsilon;
      }
      const S increment = (lr * g[k]) / sqrt_of(denominator);
      if (h.momentum > 0) {
        mom[k] = momentum_factor * mom[k] + increment;
        w[k] = w[k] - mom[k];
      } else {
        w[k] = w[k] - increment;
      }
    }
    store_values(velocity, vel);
    if (h.centered) store_values(*slots_[2][index], avg);
    if (h.momentum > 0) store_values(*slots_[1][index], mom);
    store_values(variable, w);
  });
}

// ------------------------------------------------------------------ Adagrad

struct Adagrad::Hyper {
  double initial_accumulator_value, epsilon;
};

Adagrad::Adagrad(BaseConfig base, Json hyper) : Optimizer("Adagrad", std::move(base)), hyper_(std::move(hyper)) {
  typed_ = std::make_shared<Hyper>(
      Hyper{number_at(hyper_, "initial_accumulator_value", "Adagrad"), number_at(hyper_, "epsilon", "Adagrad")});
}

Adagrad::Adagrad(const AdagradOptions& o)
    : Adagrad(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
              Json{{"initial_accumulator_value", o.initial_accumulator_value}, {"epsilon", o.epsilon}}) {}

std::shared_ptr<Adagrad> Adagrad::from_config(const Json& config) {
  auto parsed =
      parse_config("Adagrad", config, 0.001, ClassKeys{{"initial_accumulator_value", 0.1}, {"epsilon", 1e-7}});
  return std::shared_ptr<Adagrad>(new Adagrad(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Adagrad::class_config() const { return hyper_; }

void Adagrad::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"accumulator"}, {typed_->initial_accumulator_value});
}

void Adagrad::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  Variable& accumulator = *slots_[0][index];
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S epsilon(h.epsilon);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto acc = load_values<S>(accumulator.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      acc[k] = acc[k] + g[k] * g[k];
      w[k] = w[k] - (lr * g[k]) / sqrt_of(acc[k] + epsilon);
    }
    store_values(accumulator, acc);
    store_values(variable, w);
  });
}

// ------------------------------------------------------------------- Adamax

struct Adamax::Hyper {
  double beta_1, beta_2, epsilon;
};

Adamax::Adamax(BaseConfig base, Json hyper) : Optimizer("Adamax", std::move(base)), hyper_(std::move(hyper)) {
  typed_ = std::make_shared<Hyper>(Hyper{number_at(hyper_, "beta_1", "Adamax"), number_at(hyper_, "beta_2", "Adamax"),
                                         number_at(hyper_, "epsilon", "Adamax")});
}

Adamax::Adamax(const AdamaxOptions& o)
    : Adamax(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
             Json{{"beta_1", o.beta_1}, {"beta_2", o.beta_2}, {"epsilon", o.epsilon}}) {}

std::shared_ptr<Adamax> Adamax::from_config(const Json& config) {
  auto parsed = parse_config("Adamax", config, 0.001, ClassKeys{{"beta_1", 0.9}, {"beta_2", 0.999}, {"epsilon", 1e-7}});
  return std::shared_ptr<Adamax>(new Adamax(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Adamax::class_config() const { return hyper_; }

void Adamax::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"momentum", "norm"});
}

void Adamax::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  Variable& m_slot = *slots_[0][index];
  Variable& u_slot = *slots_[1][index];
  const std::int64_t step = iterations() + 1;
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S beta_1_power = pow_of(S(h.beta_1), S(static_cast<double>(step)));
    const S one_minus_beta_1(1.0 - h.beta_1);
    const S one_minus_power(1.0 - dbl(beta_1_power));  // a float64 numpy-scalar operation
    const S beta_2(h.beta_2);
    const S epsilon(h.epsilon);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto m = load_values<S>(m_slot.value());
    auto u = load_values<S>(u_slot.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      m[k] = m[k] + (g[k] - m[k]) * one_minus_beta_1;
      u[k] = max_of(beta_2 * u[k], abs_of(g[k]));
      w[k] = w[k] - (lr * m[k]) / (one_minus_power * (u[k] + epsilon));
    }
    store_values(m_slot, m);
    store_values(u_slot, u);
    store_values(variable, w);
  });
}

// --------------------------------------------------------------------- Lion

struct Lion::Hyper {
  double beta_1, beta_2;
};

Lion::Lion(BaseConfig base, Json hyper) : Optimizer("Lion", std::move(base)), hyper_(std::move(hyper)) {
  const double beta_1 = number_at(hyper_, "beta_1", "Lion");
  if (beta_1 <= 0 || beta_1 > 1)
    throw ValueError(
        "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
        "SignSGD. Received: beta_1=" +
        hyper_.at("beta_1").dump() + ".");
  typed_ = std::make_shared<Hyper>(Hyper{beta_1, number_at(hyper_, "beta_2", "Lion")});
}

Lion::Lion(const LionOptions& o)
    : Lion(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
           Json{{"beta_1", o.beta_1}, {"beta_2", o.beta_2}}) {}

std::shared_ptr<Lion> Lion::from_config(const Json& config) {
  auto parsed = parse_config("Lion", config, 0.001, ClassKeys{{"beta_1", 0.9}, {"beta_2", 0.99}});
  return std::shared_ptr<Lion>(new Lion(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Lion::class_config() const { return hyper_; }

void Lion::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"momentum"});
}

void Lion::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  Variable& m_slot = *slots_[0][index];
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S beta_1(h.beta_1);
    const S beta_2(h.beta_2);
    // `1.0 - beta_1` with beta_1 a tensor: float64, rounded by ops.multiply.
    const S one_minus_beta_1(1.0 - dbl(beta_1));
    const S one_minus_beta_2(1.0 - dbl(beta_2));
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto m = load_values<S>(m_slot.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      w[k] = w[k] - lr * sign_of(m[k] * beta_1 + g[k] * one_minus_beta_1);
      m[k] = m[k] * beta_2 + g[k] * one_minus_beta_2;
    }
    store_values(variable, w);
    store_values(m_slot, m);
  });
}

// ----------------------------------------------------------------- Adadelta

struct Adadelta::Hyper {
  double rho, epsilon;
};

Adadelta::Adadelta(BaseConfig base, Json hyper) : Optimizer("Adadelta", std::move(base)), hyper_(std::move(hyper)) {
  typed_ =
      std::make_shared<Hyper>(Hyper{number_at(hyper_, "rho", "Adadelta"), number_at(hyper_, "epsilon", "Adadelta")});
}

Adadelta::Adadelta(const AdadeltaOptions& o)
    : Adadelta(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
               Json{{"rho", o.rho}, {"epsilon", o.epsilon}}) {}

std::shared_ptr<Adadelta> Adadelta::from_config(const Json& config) {
  auto parsed = parse_config("Adadelta", config, 0.001, ClassKeys{{"rho", 0.95}, {"epsilon", 1e-7}});
  return std::shared_ptr<Adadelta>(new Adadelta(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Adadelta::class_config() const { return hyper_; }

void Adadelta::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"accumulated_grad", "accumulated_delta_var"});
}

void Adadelta::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  Variable& grad_slot = *slots_[0][index];
  Variable& delta_slot = *slots_[1][index];
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S rho(h.rho);
    const S one_minus_rho(1.0 - h.rho);
    const S epsilon(h.epsilon);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto acc_grad = load_values<S>(grad_slot.value());
    auto acc_delta = load_values<S>(delta_slot.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      acc_grad[k] = rho * acc_grad[k] + one_minus_rho * (g[k] * g[k]);
      const S delta = -((sqrt_of(acc_delta[k] + epsilon) * g[k]) / sqrt_of(acc_grad[k] + epsilon));
      acc_delta[k] = rho * acc_delta[k] + one_minus_rho * (delta * delta);
      w[k] = w[k] + lr * delta;
    }
    store_values(grad_slot, acc_grad);
    store_values(delta_slot, acc_delta);
    store_values(variable, w);
  });
}

// --------------------------------------------------------------------- Ftrl

struct Ftrl::Hyper {
  double learning_rate_power, initial_accumulator_value, l1, l2, l2_shrinkage, beta;
};

Ftrl::Ftrl(BaseConfig base, Json hyper) : Optimizer("Ftrl", std::move(base)), hyper_(std::move(hyper)) {
  Hyper h{number_at(hyper_, "learning_rate_power", "Ftrl"),
          number_at(hyper_, "initial_accumulator_value", "Ftrl"),
          number_at(hyper_, "l1_regularization_strength", "Ftrl"),
          number_at(hyper_, "l2_regularization_strength", "Ftrl"),
          number_at(hyper_, "l2_shrinkage_regularization_strength", "Ftrl"),
          number_at(hyper_, "beta", "Ftrl")};
  auto require = [&](bool ok, const std::string& message, const char* key) {
    if (!ok) throw ValueError(message + hyper_.at(key).dump() + ".");
  };
  require(h.initial_accumulator_value >= 0.0,
          "`initial_accumulator_value` needs to be positive or zero. Received: initial_accumulator_value=",
          "initial_accumulator_value");
  require(h.learning_rate_power <= 0.0,
          "`learning_rate_power` needs to be negative or zero. Received: learning_rate_power=", "learning_rate_power");
  require(h.l1 >= 0.0,
          "`l1_regularization_strength` needs to be positive or zero. Received: "
          "l1_regularization_strength=",
          "l1_regularization_strength");
  require(h.l2 >= 0.0,
          "`l2_regularization_strength` needs to be positive or zero. Received: "
          "l2_regularization_strength=",
          "l2_regularization_strength");
  require(h.l2_shrinkage >= 0.0,
          "`l2_shrinkage_regularization_strength` needs to be positive or zero. Received: "
          "l2_shrinkage_regularization_strength=",
          "l2_shrinkage_regularization_strength");
  typed_ = std::make_shared<Hyper>(h);
}

Ftrl::Ftrl(const FtrlOptions& o)
    : Ftrl(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
           Json{{"learning_rate_power", o.learning_rate_power},
                {"initial_accumulator_value", o.initial_accumulator_value},
                {"l1_regularization_strength", o.l1_regularization_strength},
                {"l2_regularization_strength", o.l2_regularization_strength},
                {"l2_shrinkage_regularization_strength", o.l2_shrinkage_regularization_strength},
                {"beta", o.beta}}) {}

std::shared_ptr<Ftrl> Ftrl::from_config(const Json& config) {
  auto parsed = parse_config("Ftrl", config, 0.001,
                             ClassKeys{{"learning_rate_power", -0.5},
                                       {"initial_accumulator_value", 0.1},
                                       {"l1_regularization_strength", 0.0},
                                       {"l2_regularization_strength", 0.0},
                                       {"l2_shrinkage_regularization_strength", 0.0},
                                       {"beta", 0.0}});
  return std::shared_ptr<Ftrl>(new Ftrl(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Ftrl::class_config() const { return hyper_; }

void Ftrl::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"accumulator", "linear"}, {typed_->initial_accumulator_value, 0.0});
}

void Ftrl::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  const Hyper& h = *typed_;
  Variable& accum_slot = *slots_[0][index];
  Variable& linear_slot = *slots_[1][index];
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    // `l2 + beta / (2.0 * lr)` and `2 * l2_reg` are float64 numpy-scalar
    // operations, rounded where they enter ops.add.
    const S twice_l2_reg(2 * (h.l2 + h.beta / (2.0 * dbl(lr))));
    const S shrinkage(2 * h.l2_shrinkage);
    const S power(-h.learning_rate_power);
    const S l1(h.l1);
    const S minus_l1(-h.l1);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto accum = load_values<S>(accum_slot.value());
    auto linear = load_values<S>(linear_slot.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      const S grad_to_use = g[k] + shrinkage * w[k];
      const S new_accum = accum[k] + g[k] * g[k];
      const S new_accum_power = pow_of(new_accum, power);
      linear[k] = linear[k] + (grad_to_use - ((new_accum_power - pow_of(accum[k], power)) / lr) * w[k]);
      const S quadratic = new_accum_power / lr + twice_l2_reg;
      const S linear_clipped = clip_of(linear[k], minus_l1, l1);
      w[k] = (linear_clipped - linear[k]) / quadratic;
      accum[k] = new_accum;
    }
    store_values(linear_slot, linear);
    store_values(variable, w);
    store_values(accum_slot, accum);
  });
}

// -------------------------------------------------------------------- Nadam

Nadam::Nadam(BaseConfig base, Json hyper) : Optimizer("Nadam", std::move(base)), hyper_(std::move(hyper)) {
  beta_1_ = number_at(hyper_, "beta_1", "Nadam");
  beta_2_ = number_at(hyper_, "beta_2", "Nadam");
  epsilon_ = number_at(hyper_, "epsilon", "Nadam");
}

Nadam::Nadam(const NadamOptions& o)
    : Nadam(detail::optim::base_from_options(o, detail::optim::optional_number(o.weight_decay)),
            Json{{"beta_1", o.beta_1}, {"beta_2", o.beta_2}, {"epsilon", o.epsilon}}) {}

std::shared_ptr<Nadam> Nadam::from_config(const Json& config) {
  auto parsed = parse_config("Nadam", config, 0.001, ClassKeys{{"beta_1", 0.9}, {"beta_2", 0.999}, {"epsilon", 1e-7}});
  return std::shared_ptr<Nadam>(new Nadam(std::move(parsed.base), std::move(parsed.hyper)));
}

Json Nadam::class_config() const { return hyper_; }

void Nadam::build_slots(const std::vector<VariablePtr>& variables) {
  slots_ = add_optimizer_variables(variables, {"momentum", "velocity"});
  // An unnamed backend.Variable: Keras auto-names it "variable", "variable_1", ...
  const DType dtype = variables.empty() ? DType::float32 : variables.front()->dtype();
  u_product_ = add_variable(unique_object_name("variable"), {}, dtype, initializers::Constant(1.0));
}

void Nadam::backend_update_step(const std::vector<Tensor>& grads, const std::vector<std::size_t>& indices,
                                float learning_rate) {
  const double step = static_cast<double>(iterations() + 1);
  with_float_type(u_product_->dtype(), u_product_->path(), [&](auto s) {
    using S = decltype(s);
    auto u = load_values<S>(u_product_->value());
    // `u_product * beta_1 * (1.0 - 0.5 * power(0.96, step))`: the second factor is float64.
    u[0] = S(dbl(u[0] * S(beta_1_)) * (1.0 - 0.5 * dbl(pow_of(S(0.96), S(step)))));
    store_values(*u_product_, u);
  });
  Optimizer::backend_update_step(grads, indices, learning_rate);
}

void Nadam::update_step(const Tensor& gradient, Variable& variable, std::size_t index, float learning_rate) {
  Variable& m_slot = *slots_[0][index];
  Variable& v_slot = *slots_[1][index];
  const std::int64_t iterations_now = iterations();
  const Tensor u_product_value = u_product_->value();
  in_dtype_of(variable, [&](auto s) {
    using S = decltype(s);
    const S lr(learning_rate);
    const S local_step(static_cast<double>(iterations_now + 1));
    const S next_step(static_cast<double>(iterations_now + 2));
    const S decay(0.96);
    const S beta_1(beta_1_);
    const S beta_2(beta_2_);
    // u_t, u_t_1 and the `1 - ...` denominators are float64 numpy-scalar
    // expressions, rounded where they enter keras.ops (see float_math.hpp).
    const double u_t = dbl(beta_1) * (1.0 - 0.5 * dbl(pow_of(decay, local_step)));
    const double u_t_1 = dbl(beta_1) * (1.0 - 0.5 * dbl(pow_of(decay, next_step)));
    const S u_product_t = load_values<S>(u_product_value)[0];
    const S beta_2_power = pow_of(beta_2, local_step);
    const S one_minus_beta_1(1.0 - dbl(beta_1));
    const S one_minus_beta_2(1.0 - dbl(beta_2));
    const S u_t_1_cast(u_t_1);
    const S one_minus_u_t(1.0 - u_t);
    const S one_minus_u_product_t_1(1.0 - dbl(u_product_t) * u_t_1);
    const S one_minus_u_product_t(1.0 - dbl(u_product_t));
    const S one_minus_beta_2_power(1.0 - dbl(beta_2_power));
    const S epsilon(epsilon_);
    auto g = load_values<S>(gradient);
    auto w = load_values<S>(variable.value());
    auto m = load_values<S>(m_slot.value());
    auto v = load_values<S>(v_slot.value());
    for (std::size_t k = 0; k < w.size(); ++k) {
      m[k] = m[k] + (g[k] - m[k]) * one_minus_beta_1;
      v[k] = v[k] + (g[k] * g[k] - v[k]) * one_minus_beta_2;
      const S m_hat = (u_t_1_cast * m[k]) / one_minus_u_product_t_1 + (one_minus_u_t * g[k]) / one_minus_u_product_t;
      const S v_hat = v[k] / one_minus_beta_2_power;
      w[k] = w[k] - (m_hat * lr) / (sqrt_of(v_hat) + epsilon);
    }
    store_values(m_slot, m);
    store_values(v_slot, v);
    store_values(variable, w);
  });
}

// ------------------------------------------------------- LossScaleOptimizer

namespace {

Optimizer::BaseConfig loss_scale_base(const std::string& name) {
  Optimizer::BaseConfig base;
  base.name = name;
  base.learning_rate = 0.0;
  return base;
}

}  // namespace

LossScaleOptimizer::LossScaleOptimizer(std::shared_ptr<Optimizer> inner_optimizer,
                                       const LossScaleOptimizerOptions& options)
    : Optimizer("LossScaleOptimizer", loss_scale_base(options.name)),
      inner_(std::move(inner_optimizer)),
      initial_scale_(options.initial_scale),
      dynamic_growth_steps_(options.dynamic_growth_steps) {
  if (!inner_) throw ValueError("LossScaleOptimizer needs an inner optimizer");
}

std::shared_ptr<LossScaleOptimizer> LossScaleOptimizer::from_config(const Json& config) {
  if (!config.is_object() || !config.contains("inner_optimizer"))
    throw ValueError("LossScaleOptimizer config needs `inner_optimizer`, got " + config.dump());
  // Older files carry the base keyword arguments; only their defaults are accepted.
  static const std::vector<std::pair<std::string, Json>> base_defaults = {{"weight_decay", nullptr},
                                                                          {"clipnorm", nullptr},
                                                                          {"global_clipnorm", nullptr},
                                                                          {"clipvalue", nullptr},
                                                                          {"use_ema", false},
                                                                          {"ema_momentum", 0.99},
                                                                          {"ema_overwrite_frequency", nullptr},
                                                                          {"loss_scale_factor", nullptr},
                                                                          {"gradient_accumulation_steps", nullptr}};
  std::vector<std::string> unknown;
  for (auto item = config.begin(); item != config.end(); ++item) {
    const std::string& key = item.key();
    const Json& value = item.value();
    if (key == "name" || key == "inner_optimizer" || key == "initial_scale" || key == "dynamic_growth_steps") continue;
    if (key == "dynamic") {
      if (value.is_boolean() && !value.get<bool>())
        throw ValueError(
            "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
            "`loss_scale_factor` directly on the `inner_optimizer`.");
      continue;
    }
    auto it = std::find_if(base_defaults.begin(), base_defaults.end(), [&](const auto& d) { return d.first == key; });
    if (it != base_defaults.end()) {
      if (value != it->second)
        throw ValueError("LossScaleOptimizer does not support `" + key + "`. Instead, set `" + key +
                         "` on the `inner_optimizer`.");
      continue;
    }
    unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "`" : "`, `") + k;
    throw ValueError("LossScaleOptimizer does not support arguments: " + list + "`.");
  }
  LossScaleOptimizerOptions options;
  if (config.contains("name") && config.at("name").is_string()) options.name = config.at("name").get<std::string>();
  auto result = std::make_shared<LossScaleOptimizer>(deserialize(config.at("inner_optimizer")), options);
  if (config.contains("initial_scale")) result->initial_scale_ = config.at("initial_scale");
  if (config.contains("dynamic_growth_steps")) result->dynamic_growth_steps_ = config.at("dynamic_growth_steps");
  return result;
}

Json LossScaleOptimizer::get_config() const {
  return Json{{"name", name()},
              {"inner_optimizer", inner_->serialize()},
              {"initial_scale", initial_scale_},
              {"dynamic_growth_steps", dynamic_growth_steps_}};
}

void LossScaleOptimizer::build(const std::vector<VariablePtr>& variables) {
  if (built()) return;
  step_counter_ = add_variable("step_counter", {}, DType::int32, initializers::Zeros());
  dynamic_scale_ =
      add_variable("dynamic_scale", {}, DType::float32,
                   initializers::Constant(number_at(Json{{"s", initial_scale_}}, "s", "LossScaleOptimizer")));
  inner_->build(variables);
  Optimizer::build(variables);
}

std::vector<VariablePtr> LossScaleOptimizer::variables() const {
  auto out = Optimizer::variables();
  auto inner = inner_->variables();
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

float LossScaleOptimizer::dynamic_scale() const {
  return dynamic_scale_ ? dynamic_scale_->value().item()
                        : static_cast<float>(number_at(Json{{"s", initial_scale_}}, "s", "LossScaleOptimizer"));
}

void LossScaleOptimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& variables) {
  if (!built()) build(variables);
  bool finite = true;
  for (const auto& g : grads) {
    if (!g.defined()) continue;
    for (std::int64_t i = 0; i < g.size() && finite; ++i) finite = std::isfinite(g.at(i));
  }
  auto set_scale = [&](float value) {
    Tensor t({}, DType::float32);
    *t.data<float>() = value;
    dynamic_scale_->assign(t);
  };
  auto set_counter = [&](std::int64_t value) {
    Tensor t({}, DType::int32);
    *t.data<std::int32_t>() = static_cast<std::int32_t>(value);
    step_counter_->assign(t);
  };
  const float scale = dynamic_scale_->value().item();
  if (!finite) {
    set_counter(0);
    set_scale(scale * 0.5F);
    return;
  }
  std::vector<Tensor> unscaled;
  for (const auto& g : grads) {
    if (!g.defined()) {
      unscaled.push_back(g);
      continue;
    }
    with_float_type(g.dtype(), name(), [&](auto s) {
      using S = decltype(s);
      auto values = load_values<S>(g);
      const S divisor(scale);
      for (auto& x : values) x = x / divisor;
      unscaled.push_back(detail::optim::make_tensor(values, g.shape()));
    });
  }
  inner_->apply_gradients(unscaled, variables);
  const std::int64_t counter = static_cast<std::int64_t>(step_counter_->value().at(0));
  const std::int64_t growth = dynamic_growth_steps_.is_number() ? dynamic_growth_steps_.get<std::int64_t>() : 2000;
  if (counter == growth - 1) {
    set_counter(0);
    set_scale(scale * 2.0F);
  } else {
    set_counter(counter + 1);
  }
}

}  // namespace keras::optimizers
