#include "classes/references.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

namespace keras_test::classes {

namespace {

keras::Tensor uniform(const keras::Shape& shape, double lo, double hi, std::uint64_t seed) {
  return keras::random::uniform(shape, static_cast<float>(lo), static_cast<float>(hi), seed);
}

// Runs `class_name` on symbolic inputs of the given shapes inside a model,
// as a config or the keras::ops API would record it.
std::vector<keras::Tensor> run_op(const std::string& class_name, const Json& params,
                                  const std::vector<keras::Tensor>& inputs) {
  std::vector<keras::KerasTensor> symbolic;
  std::vector<keras::SymbolicArg> args;
  for (const auto& x : inputs) {
    keras::Shape shape(x.shape().begin() + 1, x.shape().end());
    symbolic.push_back(keras::Input(shape, {.dtype = keras::dtype_name(x.dtype())}));
    args.emplace_back(symbolic.back());
  }
  auto outputs = keras::ops::call_raw_op(class_name, params, args);
  keras::Model model(symbolic, outputs);
  return model.predict(inputs);
}

}  // namespace

ConfigReference op_config(const std::string& file, const std::string& class_name, Json params) {
  std::string module = "keras.src.ops." + file.substr(0, file.find('.'));
  Json config{{"name", keras::to_snake_case(class_name)}};
  for (const auto& [key, value] : params.items()) config[key] = value;
  return {"keras/src/ops/" + file + " " + class_name,
          Json{{"module", module}, {"class_name", class_name}, {"config", config}, {"registered_name", class_name}}};
}

ConfigReference public_config(const std::string& source, const std::string& module, const std::string& class_name,
                              Json config) {
  return {
      source,
      Json{
          {"module", module}, {"class_name", class_name}, {"config", std::move(config)}, {"registered_name", nullptr}}};
}

double excess(const keras::Tensor& actual, const keras::Tensor& expected, double atol, double rtol) {
  if (actual.shape() != expected.shape()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const double a = actual.at(i);
    const double e = expected.at(i);
    const double over = std::abs(a - e) - (atol + rtol * std::abs(e));
    if (std::isnan(over)) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, over);
  }
  return worst;
}

ForwardReference computed(const std::string& reference, double atol, double rtol,
                          std::function<double(const ForwardReference&)> check) {
  return {reference, atol, rtol, std::move(check)};
}

ForwardReference unary_op(const std::string& class_name, const std::function<double(double)>& reference, double lo,
                          double hi, double atol, double rtol, const Json& params) {
  return computed("elementwise against the double-precision function", atol, rtol, [=](const ForwardReference& self) {
    keras::Tensor x = uniform({3, 7}, lo, hi, 11);
    keras::Tensor expected({3, 7});
    for (std::int64_t i = 0; i < x.size(); ++i) expected.data<float>()[i] = static_cast<float>(reference(x.at(i)));
    return excess(run_op(class_name, params, {x}).at(0).astype(keras::DType::float32), expected, self.atol, self.rtol);
  });
}

ForwardReference binary_op(const std::string& class_name, const std::function<double(double, double)>& reference,
                           double lo, double hi, double atol, double rtol) {
  return computed("elementwise against the double-precision function", atol, rtol, [=](const ForwardReference& self) {
    keras::Tensor a = uniform({3, 7}, lo, hi, 12);
    keras::Tensor b = uniform({3, 7}, lo, hi, 13);
    // Equal operands exercise comparisons at their boundary.
    for (std::int64_t i = 0; i < a.size(); i += 5) b.data<float>()[i] = a.data<float>()[i];
    keras::Tensor expected({3, 7});
    for (std::int64_t i = 0; i < a.size(); ++i)
      expected.data<float>()[i] = static_cast<float>(reference(a.at(i), b.at(i)));
    return excess(run_op(class_name, Json::object(), {a, b}).at(0).astype(keras::DType::float32), expected, self.atol,
                  self.rtol);
  });
}

ForwardReference reduction_op(const std::string& class_name,
                              const std::function<double(const std::vector<double>&)>& reduce, const Json& params,
                              double atol, double rtol) {
  return computed("naive loop over axis 1", atol, rtol, [=](const ForwardReference& self) {
    keras::Tensor x = uniform({3, 4, 5}, -2.0, 2.0, 14);
    Json p = params;
    p["axis"] = 1;
    keras::Tensor expected({3, 5});
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t k = 0; k < 5; ++k) {
        std::vector<double> values;
        for (std::int64_t j = 0; j < 4; ++j) values.push_back(x.at((i * 4 + j) * 5 + k));
        expected.data<float>()[i * 5 + k] = static_cast<float>(reduce(values));
      }
    }
    return excess(run_op(class_name, p, {x}).at(0).astype(keras::DType::float32), expected, self.atol, self.rtol);
  });
}

// ------------------------------------------------------ more raw ops

namespace {

// Every third element zero, so that logical ops see both truth values.
keras::Tensor with_zeros(keras::Tensor x, int every) {
  for (std::int64_t i = 0; i < x.size(); i += every) x.data<float>()[i] = 0.0F;
  return x;
}

keras::Tensor as_float(const keras::Tensor& t) { return t.astype(keras::DType::float32); }

}  // namespace

ForwardReference logical_op(const std::string& class_name, const std::function<bool(bool, bool)>& reference) {
  return computed("truth table on inputs with zeros", 0.0, 0.0, [=](const ForwardReference& self) {
    keras::Tensor a = with_zeros(uniform({3, 7}, -1.0, 1.0, 21), 3);
    keras::Tensor b = with_zeros(uniform({3, 7}, -1.0, 1.0, 22), 4);
    keras::Tensor expected({3, 7});
    for (std::int64_t i = 0; i < a.size(); ++i)
      expected.data<float>()[i] = reference(a.at(i) != 0.0, b.at(i) != 0.0) ? 1.0F : 0.0F;
    return excess(as_float(run_op(class_name, Json::object(), {a, b}).at(0)), expected, self.atol, self.rtol);
  });
}

ForwardReference logical_not_reference() {
  return computed("truth table on inputs with zeros", 0.0, 0.0, [](const ForwardReference& self) {
    keras::Tensor x = with_zeros(uniform({3, 7}, -1.0, 1.0, 23), 3);
    keras::Tensor expected({3, 7});
    for (std::int64_t i = 0; i < x.size(); ++i) expected.data<float>()[i] = x.at(i) == 0.0 ? 1.0F : 0.0F;
    return excess(as_float(run_op("LogicalNot", Json::object(), {x}).at(0)), expected, self.atol, self.rtol);
  });
}

ForwardReference all_reference() {
  return computed("naive loop over axis 1 on inputs with zeros", 0.0, 0.0, [](const ForwardReference& self) {
    keras::Tensor x = with_zeros(uniform({3, 4, 5}, -1.0, 1.0, 24), 7);
    keras::Tensor expected({3, 5});
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t k = 0; k < 5; ++k) {
        bool all = true;
        for (std::int64_t j = 0; j < 4; ++j) all = all && x.at((i * 4 + j) * 5 + k) != 0.0;
        expected.data<float>()[i * 5 + k] = all ? 1.0F : 0.0F;
      }
    }
    return excess(as_float(run_op("All", {{"axis", 1}, {"keepdims", false}}, {x}).at(0)), expected, self.atol,
                  self.rtol);
  });
}

ForwardReference log_softmax_reference() {
  return computed("naive loop over the last axis, in double", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::Tensor x = uniform({3, 7}, -3.0, 3.0, 25);
    keras::Tensor expected({3, 7});
    for (std::int64_t i = 0; i < 3; ++i) {
      double top = -INFINITY;
      for (std::int64_t j = 0; j < 7; ++j) top = std::max(top, x.at(i * 7 + j));
      double sum = 0.0;
      for (std::int64_t j = 0; j < 7; ++j) sum += std::exp(x.at(i * 7 + j) - top);
      for (std::int64_t j = 0; j < 7; ++j)
        expected.data<float>()[i * 7 + j] = static_cast<float>(x.at(i * 7 + j) - top - std::log(sum));
    }
    return excess(run_op("LogSoftmax", Json::object(), {x}).at(0), expected, self.atol, self.rtol);
  });
}

ForwardReference full_like_reference(const std::string& class_name, float value) {
  return computed("constant by hand, dtype as given", 0.0, 0.0, [class_name, value](const ForwardReference& self) {
    keras::Tensor a = uniform({3, 4}, -1.0, 1.0, 28);
    auto x = keras::Input({4});
    auto like = [&](std::optional<std::string> dtype) {
      return class_name == "OnesLike" ? keras::ops::ones_like(x, dtype) : keras::ops::zeros_like(x, dtype);
    };
    keras::Model model({x}, std::vector<keras::KerasTensor>{like(std::nullopt), like("bool")});
    auto out = model.predict({a});
    if (out[0].dtype() != keras::DType::float32 || out[1].dtype() != keras::DType::bool_) return 1.0;
    const keras::Tensor expected = keras::Tensor::full({3, 4}, value);
    return std::max(excess(out[0], expected, self.atol, self.rtol),
                    excess(out[1].astype(keras::DType::float32), expected, self.atol, self.rtol));
  });
}

ForwardReference stack_reference() {
  return computed("element placement by hand", 0.0, 0.0, [](const ForwardReference& self) {
    keras::Tensor a = uniform({3, 4}, -1.0, 1.0, 26);
    keras::Tensor b = uniform({3, 4}, -1.0, 1.0, 27);
    auto xa = keras::Input({4});
    auto xb = keras::Input({4});
    keras::Model model({xa, xb}, keras::ops::stack({xa, xb}, 1));
    keras::Tensor expected({3, 2, 4});
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        expected.data<float>()[(i * 2 + 0) * 4 + j] = static_cast<float>(a.at(i * 4 + j));
        expected.data<float>()[(i * 2 + 1) * 4 + j] = static_cast<float>(b.at(i * 4 + j));
      }
    }
    return excess(model.predict({a, b}).at(0), expected, self.atol, self.rtol);
  });
}

double population_variance(const std::vector<double>& values) {
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double sum = 0.0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size());
}

// ------------------------------------------------------------ layers

namespace {

// Deterministic weights for every variable of a model, in [-0.6, 0.6].
void set_random_weights(const keras::Model& model, std::uint64_t seed) {
  std::vector<keras::Tensor> weights;
  for (const auto& w : model.get_weights()) weights.push_back(uniform(w.shape(), -0.6, 0.6, seed++));
  model.set_weights(weights);
}

}  // namespace

ForwardReference rnn_reference() {
  return computed("naive loop h = tanh(x K + h R + b), in double", 1e-6, 1e-5, [](const ForwardReference& self) {
    auto x = keras::Input({3, 2});
    keras::Model model(x, keras::layers::RNN(keras::layers::SimpleRNNCell(2))(x));
    set_random_weights(model, 31);
    const auto w = model.get_weights();  // kernel [2, 2], recurrent_kernel [2, 2], bias [2]
    keras::Tensor input = uniform({2, 3, 2}, -1.0, 1.0, 32);
    keras::Tensor expected({2, 2});
    for (std::int64_t b = 0; b < 2; ++b) {
      std::vector<double> h(2, 0.0);
      for (std::int64_t t = 0; t < 3; ++t) {
        std::vector<double> z(2);
        for (std::int64_t j = 0; j < 2; ++j) {
          z[j] = w[2].at(j);
          for (std::int64_t i = 0; i < 2; ++i)
            z[j] += input.at((b * 3 + t) * 2 + i) * w[0].at(i * 2 + j) + h[i] * w[1].at(i * 2 + j);
        }
        for (std::int64_t j = 0; j < 2; ++j) h[j] = std::tanh(z[j]);
      }
      for (std::int64_t j = 0; j < 2; ++j) expected.data<float>()[b * 2 + j] = static_cast<float>(h[j]);
    }
    return excess(model.predict(input).at(0), expected, self.atol, self.rtol);
  });
}

ForwardReference conv_lstm3d_reference() {
  return computed("an LSTM per voxel (1x1x1 kernels), naive loop in double", 1e-6, 1e-5,
                  [](const ForwardReference& self) {
                    constexpr std::int64_t T = 3, V = 8, C = 2, F = 2;  // steps, voxels (2x2x2), channels, filters
                    auto x = keras::Input({T, 2, 2, 2, C});
                    keras::Model model(x, keras::layers::ConvLSTM3D(F, {1, 1, 1})(x));
                    set_random_weights(model, 41);
                    const auto w = model.get_weights();  // kernel [1,1,1,C,4F], recurrent [1,1,1,F,4F], bias [4F]
                    keras::Tensor input = uniform({1, T, 2, 2, 2, C}, -1.0, 1.0, 42);
                    keras::Tensor expected({1, 2, 2, 2, F});
                    auto sig = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
                    for (std::int64_t v = 0; v < V; ++v) {
                      std::vector<double> h(F, 0.0), c(F, 0.0);
                      for (std::int64_t t = 0; t < T; ++t) {
                        std::vector<double> z(4 * F);
                        for (std::int64_t j = 0; j < 4 * F; ++j) {
                          z[j] = w[2].at(j);
                          for (std::int64_t i = 0; i < C; ++i)
                            z[j] += input.at((t * V + v) * C + i) * w[0].at(i * 4 * F + j);
                          for (std::int64_t i = 0; i < F; ++i) z[j] += h[i] * w[1].at(i * 4 * F + j);
                        }
                        for (std::int64_t k = 0; k < F; ++k) {  // gates i, f, c, o
                          c[k] = sig(z[F + k]) * c[k] + sig(z[k]) * std::tanh(z[2 * F + k]);
                          h[k] = sig(z[3 * F + k]) * std::tanh(c[k]);
                        }
                      }
                      for (std::int64_t k = 0; k < F; ++k) expected.data<float>()[v * F + k] = static_cast<float>(h[k]);
                    }
                    return excess(model.predict(input).at(0), expected, self.atol, self.rtol);
                  });
}

// ------------------------------------------------------ initializers

namespace {

keras::Tensor draw(const std::string& class_name, const Json& config, const keras::Shape& shape) {
  auto init = keras::initializers::get(Json{{"module", "keras.initializers"},
                                            {"class_name", class_name},
                                            {"config", config.is_null() ? Json::object() : config},
                                            {"registered_name", nullptr}});
  return init(shape);
}

}  // namespace

ForwardReference constant_initializer(const std::string& class_name, double value, const Json& config) {
  return computed("every value equals " + std::to_string(value), 0.0, 0.0, [=](const ForwardReference& self) {
    return excess(draw(class_name, config, {3, 4}), keras::Tensor::full({3, 4}, static_cast<float>(value)), self.atol,
                  self.rtol);
  });
}

ForwardReference moments(const std::string& class_name, const Json& config, double mean, double stddev, double bound) {
  return computed("moments of 60000 draws", 0.02, 0.03, [=](const ForwardReference& self) {
    // Seeded, so that the check is the same on every run (unseeded draws failed it once in a while).
    Json seeded = config.is_null() ? Json::object() : config;
    if (!seeded.contains("seed")) seeded["seed"] = 1337;
    keras::Tensor x = draw(class_name, seeded, {200, 300});
    double sum = 0.0, largest = 0.0;
    for (std::int64_t i = 0; i < x.size(); ++i) {
      sum += x.at(i);
      largest = std::max(largest, std::abs(x.at(i)));
    }
    const double n = static_cast<double>(x.size());
    const double sample_mean = sum / n;
    double squares = 0.0;
    for (std::int64_t i = 0; i < x.size(); ++i) squares += (x.at(i) - sample_mean) * (x.at(i) - sample_mean);
    const double sample_std = std::sqrt(squares / n);
    return std::max({std::abs(sample_mean - mean) - self.atol * stddev,
                     std::abs(sample_std - stddev) - self.rtol * stddev, largest - bound});
  });
}

ForwardReference orthogonal_reference() {
  return computed("W^T W = I for a [6, 4] kernel", 1e-5, 0.0, [](const ForwardReference& self) {
    keras::Tensor w = draw("Orthogonal", Json::object(), {6, 4});
    keras::Tensor gram({4, 4});
    keras::Tensor eye({4, 4});
    for (std::int64_t a = 0; a < 4; ++a) {
      for (std::int64_t b = 0; b < 4; ++b) {
        double dot = 0.0;
        for (std::int64_t r = 0; r < 6; ++r) dot += w.at(r * 4 + a) * w.at(r * 4 + b);
        gram.data<float>()[a * 4 + b] = static_cast<float>(dot);
        eye.data<float>()[a * 4 + b] = a == b ? 1.0F : 0.0F;
      }
    }
    return excess(gram, eye, self.atol, self.rtol);
  });
}

ForwardReference identity_initializer_reference() {
  return computed("the [3, 4] identity", 0.0, 0.0, [](const ForwardReference& self) {
    keras::Tensor eye({3, 4});
    for (std::int64_t i = 0; i < 3; ++i) eye.data<float>()[i * 4 + i] = 1.0F;
    return excess(draw("Identity", Json::object(), {3, 4}), eye, self.atol, self.rtol);
  });
}

ConfigReference preset_config(const std::string& class_name) {
  return public_config(
      "keras/src/initializers/random_initializers.py " + class_name + " (VarianceScaling presets' get_config)",
      "keras.initializers", class_name, {{"seed", nullptr}, {"input_axes", nullptr}, {"output_axes", nullptr}});
}

// -------------------------------------------------------- optimizers

ConfigReference optimizer_config(const std::string& source, const std::string& class_name, Json own_keys,
                                 double learning_rate) {
  Json config{{"name", keras::to_snake_case(class_name)},
              {"learning_rate", learning_rate},
              {"weight_decay", nullptr},
              {"clipnorm", nullptr},
              {"global_clipnorm", nullptr},
              {"clipvalue", nullptr},
              {"use_ema", false},
              {"ema_momentum", 0.99},
              {"ema_overwrite_frequency", nullptr},
              {"loss_scale_factor", nullptr},
              {"gradient_accumulation_steps", nullptr}};
  for (const auto& [key, value] : own_keys.items()) config[key] = value;
  return public_config(source, "keras.optimizers", class_name, config);
}

namespace {

// One variable w = [1, -2, 3] with gradient g = [0.5, -0.25, 2].
constexpr double kW0[3] = {1.0, -2.0, 3.0};
constexpr double kG[3] = {0.5, -0.25, 2.0};

// Applies `steps` steps of `optimizer` and returns the excess over `expected`.
double one_variable_steps(keras::Optimizer& optimizer, int steps, const std::vector<double>& expected,
                          const ForwardReference& self) {
  auto w = std::make_shared<keras::Variable>("w", keras::Shape{3}, keras::DType::float32, keras::initializers::Zeros(),
                                             true);
  w->set_path("dense/w");
  w->assign(keras::Tensor::from_vector({3}, {1.0F, -2.0F, 3.0F}));
  for (int s = 0; s < steps; ++s)
    optimizer.apply_gradients({keras::Tensor::from_vector({3}, {0.5F, -0.25F, 2.0F})}, {w});
  keras::Tensor e({3});
  for (int i = 0; i < 3; ++i) e.data<float>()[i] = static_cast<float>(expected[static_cast<std::size_t>(i)]);
  return excess(w->value(), e, self.atol, self.rtol);
}

}  // namespace

ForwardReference adamax_reference() {
  return computed("first step by hand, in double", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::optimizers::Adamax adamax(keras::optimizers::AdamaxOptions{.learning_rate = 0.1});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) {
      const double m = 0.1 * kG[i];
      const double u = std::abs(kG[i]);
      e[i] = kW0[i] - 0.1 * m / ((1 - 0.9) * (u + 1e-7));
    }
    return one_variable_steps(adamax, 1, e, self);
  });
}

ForwardReference lion_reference() {
  return computed("two steps by hand: each moves by lr * sign(g)", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::optimizers::Lion lion(keras::optimizers::LionOptions{.learning_rate = 0.1});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) e[i] = kW0[i] - 0.2 * (kG[i] > 0 ? 1.0 : -1.0);
    return one_variable_steps(lion, 2, e, self);
  });
}

ForwardReference adadelta_reference() {
  return computed("first step by hand, in double", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::optimizers::Adadelta adadelta(keras::optimizers::AdadeltaOptions{.learning_rate = 1.0});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) {
      const double acc = 0.05 * kG[i] * kG[i];
      const double delta = -(std::sqrt(1e-7) * kG[i]) / std::sqrt(acc + 1e-7);
      e[i] = kW0[i] + delta;
    }
    return one_variable_steps(adadelta, 1, e, self);
  });
}

ForwardReference ftrl_reference() {
  return computed("first step by hand, in double", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::optimizers::Ftrl ftrl(keras::optimizers::FtrlOptions{
        .learning_rate = 0.5, .l1_regularization_strength = 0.1, .l2_regularization_strength = 0.2});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) {
      const double accum = 0.1;
      const double new_accum = accum + kG[i] * kG[i];
      const double linear = kG[i] - (std::sqrt(new_accum) - std::sqrt(accum)) / 0.5 * kW0[i];
      const double quadratic = std::sqrt(new_accum) / 0.5 + 2 * 0.2;
      const double clipped = std::clamp(linear, -0.1, 0.1);
      e[i] = (clipped - linear) / quadratic;
    }
    return one_variable_steps(ftrl, 1, e, self);
  });
}

ForwardReference loss_scale_reference() {
  return computed("SGD(1.0) inside a scale of 4: w - g / 4", 1e-6, 1e-5, [](const ForwardReference& self) {
    keras::optimizers::LossScaleOptimizer lso(
        std::make_shared<keras::optimizers::SGD>(keras::optimizers::SGDOptions{.learning_rate = 1.0}),
        {.initial_scale = 4.0, .dynamic_growth_steps = 2});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) e[i] = kW0[i] - kG[i] / 4.0;
    return one_variable_steps(lso, 1, e, self);
  });
}

// --------------------------------------------------------- schedules

ConfigReference schedule_config(const std::string& class_name, Json config) {
  return public_config("keras/src/optimizers/schedules/learning_rate_schedule.py " + class_name + ".get_config",
                       "keras.optimizers.schedules", class_name, std::move(config));
}

ForwardReference schedule_reference(const std::string& class_name, Json config,
                                    const std::vector<std::pair<std::int64_t, double>>& expected) {
  return computed("Keras' formula at given steps, in double", 1e-7, 0.0, [=](const ForwardReference& self) {
    auto schedule = keras::optimizers::schedules::deserialize(Json{{"module", "keras.optimizers.schedules"},
                                                                   {"class_name", class_name},
                                                                   {"config", config},
                                                                   {"registered_name", nullptr}});
    double worst = 0.0;
    for (const auto& [step, rate] : expected)
      worst = std::max(worst, std::abs(static_cast<double>((*schedule)(step)) - rate) - self.atol);
    return worst;
  });
}

// ------------------------------------------------- issue 10's classes without a fixture

ForwardReference ternary_dense_reference() {
  return computed("naive loop y = beta (x sign(K) [|K| > t]) + b, in double", 1e-5, 1e-5,
                  [](const ForwardReference& self) {
                    double worst = 0.0;
                    for (const bool adaptive : {true, false}) {
                      auto x = keras::Input({4});
                      keras::layers::TernaryDenseOptions options;
                      if (!adaptive) options.threshold = 0.3;
                      keras::Model model(x, keras::layers::TernaryDense(3, options)(x));
                      set_random_weights(model, adaptive ? 51 : 52);
                      const auto w = model.get_weights();  // kernel [4, 3], bias [3]
                      double mean_abs = 0.0;
                      for (std::int64_t i = 0; i < 12; ++i) mean_abs += std::abs(w[0].at(i)) / 12.0;
                      const double t = adaptive ? 0.5 * mean_abs : 0.3;
                      const double beta = adaptive ? mean_abs : 1.0;
                      keras::Tensor input = uniform({2, 4}, -1.0, 1.0, 53);
                      keras::Tensor expected({2, 3});
                      for (std::int64_t b = 0; b < 2; ++b)
                        for (std::int64_t j = 0; j < 3; ++j) {
                          double sum = 0.0;
                          for (std::int64_t i = 0; i < 4; ++i) {
                            const double k = w[0].at(i * 3 + j);
                            sum += input.at(b * 4 + i) * (std::abs(k) > t ? (k > 0 ? 1.0 : -1.0) : 0.0);
                          }
                          expected.data<float>()[b * 3 + j] = static_cast<float>(beta * sum + w[1].at(j));
                        }
                      worst = std::max(worst, excess(model.predict(input).at(0), expected, self.atol, self.rtol));
                    }
                    return worst;
                  });
}

ForwardReference equalization_reference() {
  return computed(
      "naive loop of Keras' per-channel histogram equalization over the batch (training), identity at inference", 0.0,
      0.0, [](const ForwardReference& self) {
        // Two 3x3 images, two channels, values away from the bin edges.
        keras::Tensor x({2, 3, 3, 2});
        for (std::int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>((i * 37 % 61) * 4) + 0.5F;
        keras::Tensor expected(x.shape());
        for (std::int64_t c = 0; c < 2; ++c) {
          std::vector<std::int64_t> hist(256, 0);
          for (std::int64_t i = c; i < x.size(); i += 2) ++hist[static_cast<std::size_t>(x.at(i))];
          std::vector<std::int64_t> cdf(256);
          std::int64_t running = 0;
          for (std::size_t b = 0; b < 256; ++b) cdf[b] = running += hist[b];
          std::int64_t cdf_min = 0;
          for (auto v : cdf)
            if (v != 0) {
              cdf_min = v;
              break;
            }
          const double denominator = static_cast<double>(cdf.back() - cdf_min);
          for (std::int64_t i = c; i < x.size(); i += 2) {
            const auto bin = static_cast<std::size_t>(x.at(i));
            expected.data<float>()[i] =
                static_cast<float>(std::nearbyint(static_cast<double>(cdf[bin] - cdf_min) * 255.0 / denominator));
          }
        }
        keras::layers::Equalization layer;
        layer->build_for({x.shape()});
        const double trained = excess(layer->forward(x, true), expected, self.atol, self.rtol);
        return std::max(trained, excess(layer->forward(x, false), x, self.atol, self.rtol));
      });
}

ForwardReference max_num_bounding_boxes_reference() {
  return computed("images pass through unchanged (Keras' transform_images returns them)", 0.0, 0.0,
                  [](const ForwardReference& self) {
                    keras::Tensor x = uniform({2, 4, 4, 3}, 0.0, 255.0, 61);
                    keras::layers::MaxNumBoundingBoxes layer(5);
                    layer->build_for({x.shape()});
                    return std::max(excess(layer->forward(x, true), x, self.atol, self.rtol),
                                    excess(layer->forward(x, false), x, self.atol, self.rtol));
                  });
}

ForwardReference stft_initializer_reference() {
  return computed(
      "cos / sin DFT kernels times a symmetric Hann window over sqrt(sum w^2), in double", 1e-6, 1e-5,
      [](const ForwardReference& self) {
        const std::int64_t frame = 8, bins = 5;
        const double fft = static_cast<double>((bins - 1) * 2);
        std::vector<double> window(frame);
        double energy = 0.0;
        for (std::int64_t n = 0; n < frame; ++n) {
          window[n] =
              0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(frame - 1));
          energy += window[n] * window[n];
        }
        double worst = 0.0;
        for (const char* side : {"real", "imag"}) {
          keras::Tensor expected({frame, 1, bins});
          for (std::int64_t n = 0; n < frame; ++n)
            for (std::int64_t k = 0; k < bins; ++k) {
              const double arg = -2.0 * std::numbers::pi * static_cast<double>(n * k) / fft;
              const double wave = std::string(side) == "real" ? std::cos(arg) : std::sin(arg);
              expected.data<float>()[n * bins + k] = static_cast<float>(wave * window[n] / std::sqrt(energy));
            }
          worst =
              std::max(worst, excess(draw("STFT", {{"side", side}}, {frame, 1, bins}), expected, self.atol, self.rtol));
        }
        return worst;
      });
}

}  // namespace keras_test::classes
