// Optimizers against Keras 3.16: the optimizer_* fixtures (updates step by
// step, slot state after 3 steps, conversion), variable layouts, configs,
// schedules and the common options (clipping, weight decay, EMA, gradient
// accumulation, loss scaling).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "keras/keras.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Tensor;
using keras::VariablePtr;
namespace opt = keras::optimizers;

const std::vector<std::string> kOptimizerFixtures = {"optimizer_adagrad", "optimizer_adam",    "optimizer_adamw",
                                                     "optimizer_nadam",   "optimizer_rmsprop", "optimizer_sgd"};

Json ordered_case(const std::string& name) {
  return keras::parse_json(keras_test::read_text_file(keras_test::fixture_dir(name) / "case.json"), name);
}

// |actual - expected| <= 1e-6 + 1e-5 |expected|, elementwise.
void expect_update_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const double e = expected.at(i);
    ASSERT_NEAR(actual.at(i), e, 1e-6 + 1e-5 * std::abs(e)) << what << " element " << i;
  }
}

using keras_test::fixture_optimizer_vars;
using keras_test::read_npz;

std::shared_ptr<keras::Optimizer> optimizer_from_case(const Json& c) {
  return opt::deserialize(Json{{"module", "keras.optimizers"},
                               {"class_name", c.at("optimizer")},
                               {"config", c.at("optimizer_config")},
                               {"registered_name", nullptr}});
}

class OptimizerFixture : public ::testing::TestWithParam<std::string> {};

// From w{i}_0, applying g{i}_s gives w{i}_s; after 3 steps the optimizer
// variables equal those in Keras' file.
TEST_P(OptimizerFixture, StepsMatchKeras) {
  const auto mismatches = keras_test::optimizer_step_mismatches(GetParam());
  std::string all;
  for (const auto& m : mismatches) all += "\n  " + m;
  EXPECT_TRUE(mismatches.empty()) << GetParam() << ":" << all;
}

// load_model restores the optimizer, built, with the file's exact state, and
// its config and compile_config as Keras wrote them.
TEST_P(OptimizerFixture, LoadRestoresOptimizerState) {
  const std::string name = GetParam();
  const Json c = ordered_case(name);
  keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
  ASSERT_TRUE(model.compiled());
  auto optimizer = model.optimizer();
  ASSERT_NE(optimizer, nullptr);
  EXPECT_EQ(optimizer->class_name(), c.at("optimizer").get<std::string>());
  EXPECT_TRUE(optimizer->built());
  EXPECT_EQ(keras::dump_json_like_python(optimizer->get_config()),
            keras::dump_json_like_python(c.at("optimizer_config")));
  auto expected = fixture_optimizer_vars(name);
  auto actual = optimizer->variables();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Tensor value = actual[i]->value();
    ASSERT_EQ(value.nbytes(), expected[i].nbytes());
    EXPECT_EQ(std::memcmp(value.raw_data(), expected[i].raw_data(), value.nbytes()), 0) << name << " variable " << i;
  }
  EXPECT_EQ(optimizer->iterations(), 3);

  auto zip = keras::saving::ZipReader::open(keras_test::fixture_dir(name) / "model.keras");
  auto bytes = zip.read("config.json");
  Json config = keras::parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), name);
  EXPECT_EQ(keras::dump_json_like_python(model.impl().get_compile_config()),
            keras::dump_json_like_python(config.at("compile_config")));
}

// The fixture predicts Keras' outputs, and keras-cpp convert writes
// optimizer/vars (and everything else) as Keras did.
TEST_P(OptimizerFixture, PredictsAndConvertsIdentically) { keras_test::expect_fixture_matches(GetParam()); }

// Steps 1-2 in C++, saved and loaded again, then step 3: the state carries over.
TEST_P(OptimizerFixture, StateSurvivesSaveAndLoad) {
  const std::string name = GetParam();
  const Json c = ordered_case(name);
  auto steps = read_npz(keras_test::fixture_dir(name) / "steps.npz");
  keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras", {.compile = false});
  auto vars = model.trainable_variables();
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(steps.at("w" + std::to_string(i) + "_0"));
  model.compile({.optimizer = optimizer_from_case(c), .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  auto grads_of = [&](int s) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < 4; ++i) grads.push_back(steps.at("g" + std::to_string(i) + "_" + std::to_string(s)));
    return grads;
  };
  model.optimizer()->apply_gradients(grads_of(1), vars);
  model.optimizer()->apply_gradients(grads_of(2), vars);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "two_steps.keras");
  keras::Model loaded = keras::load_model(dir / "two_steps.keras");
  ASSERT_NE(loaded.optimizer(), nullptr);
  EXPECT_EQ(loaded.optimizer()->iterations(), 2);
  loaded.optimizer()->apply(grads_of(3));
  auto loaded_vars = loaded.trainable_variables();
  for (std::size_t i = 0; i < 4; ++i)
    expect_update_close(loaded_vars[i]->value(), steps.at("w" + std::to_string(i) + "_3"), name + " after reload");
  auto expected = fixture_optimizer_vars(name);
  auto actual = loaded.optimizer()->variables();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    expect_update_close(actual[i]->value(), expected[i], name + " optimizer variable " + std::to_string(i));
}

INSTANTIATE_TEST_SUITE_P(Keras316, OptimizerFixture, ::testing::ValuesIn(kOptimizerFixtures),
                         [](const auto& info) { return info.param; });

// ------------------------------------------------------------ configs

// Optimizers built in C++ with the fixtures' options serialize like Keras.
TEST(OptimizerConfig, CppOptimizersMatchFixtureConfigs) {
  std::map<std::string, std::shared_ptr<keras::Optimizer>> built = {
      {"optimizer_sgd", std::make_shared<opt::SGD>(
                            opt::SGDOptions{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true, .name = "sgd"})},
      {"optimizer_adam", std::make_shared<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01, .name = "adam"})},
      {"optimizer_adamw",
       std::make_shared<opt::AdamW>(opt::AdamWOptions{.learning_rate = 0.01, .weight_decay = 0.01, .name = "adam_w"})},
      {"optimizer_nadam", std::make_shared<opt::Nadam>(opt::NadamOptions{.learning_rate = 0.01, .name = "nadam"})},
      {"optimizer_rmsprop",
       std::make_shared<opt::RMSprop>(opt::RMSpropOptions{.learning_rate = 0.01, .momentum = 0.5, .name = "rm_sprop"})},
      {"optimizer_adagrad",
       std::make_shared<opt::Adagrad>(opt::AdagradOptions{.learning_rate = 0.1, .name = "adagrad"})},
  };
  for (const auto& [name, optimizer] : built) {
    const Json c = ordered_case(name);
    EXPECT_EQ(keras::dump_json_like_python(optimizer->get_config()),
              keras::dump_json_like_python(c.at("optimizer_config")))
        << name;
    EXPECT_EQ(optimizer->serialize().at("module"), "keras.optimizers");
  }
}

TEST(OptimizerConfig, LearningRateIsTheFloat32ValueWidened) {
  opt::Adam adam(opt::AdamOptions{.learning_rate = 1e-3});
  EXPECT_EQ(keras::dump_json_like_python(adam.get_config().at("learning_rate")), "0.0010000000474974513");
  EXPECT_EQ(keras::dump_json_like_python(adam.get_config().at("epsilon")), "1e-07");
}

TEST(OptimizerConfig, AutoNamesAreSnakeCaseAndUnique) {
  opt::RMSprop a;
  opt::RMSprop b;
  EXPECT_EQ(a.name().rfind("rm_sprop", 0), 0U);
  EXPECT_NE(a.name(), b.name());
  opt::AdamW w;
  EXPECT_EQ(w.name().rfind("adam_w", 0), 0U);
}

// Every optimizer with non-default options: config -> object -> config.
TEST(OptimizerConfig, EveryOptimizerRoundTrips) {
  std::vector<std::shared_ptr<keras::Optimizer>> all = {
      std::make_shared<opt::SGD>(opt::SGDOptions{.learning_rate = 0.2, .momentum = 0.3, .clipnorm = 1.5, .name = "s"}),
      std::make_shared<opt::Adam>(opt::AdamOptions{.beta_1 = 0.8, .amsgrad = true, .weight_decay = 0.1, .name = "a"}),
      std::make_shared<opt::AdamW>(opt::AdamWOptions{.weight_decay = 0.02, .epsilon = 1e-6, .global_clipnorm = 2.0}),
      std::make_shared<opt::RMSprop>(
          opt::RMSpropOptions{.rho = 0.8, .momentum = 0.1, .centered = true, .clipvalue = 0.5}),
      std::make_shared<opt::Adagrad>(opt::AdagradOptions{
          .initial_accumulator_value = 0.2, .use_ema = true, .ema_momentum = 0.9, .ema_overwrite_frequency = 3}),
      std::make_shared<opt::Nadam>(opt::NadamOptions{.beta_2 = 0.99, .loss_scale_factor = 128.0}),
      std::make_shared<opt::Adamax>(opt::AdamaxOptions{.beta_1 = 0.7, .gradient_accumulation_steps = 4}),
      std::make_shared<opt::Lion>(opt::LionOptions{.beta_1 = 0.95, .beta_2 = 0.98}),
      std::make_shared<opt::Adadelta>(opt::AdadeltaOptions{.rho = 0.9}),
      std::make_shared<opt::Ftrl>(opt::FtrlOptions{.learning_rate_power = -0.25,
                                                   .l1_regularization_strength = 0.01,
                                                   .l2_regularization_strength = 0.02,
                                                   .beta = 0.1}),
      std::make_shared<opt::SGD>(
          opt::SGDOptions{.learning_rate = opt::schedules::ExponentialDecay(0.1, 100, 0.9, {.staircase = true})}),
      std::make_shared<opt::LossScaleOptimizer>(std::make_shared<opt::Adam>(),
                                                opt::LossScaleOptimizerOptions{.initial_scale = 1024.0}),
  };
  for (const auto& optimizer : all) {
    const Json envelope = optimizer->serialize();
    auto copy = opt::deserialize(envelope);
    EXPECT_EQ(copy->class_name(), optimizer->class_name());
    EXPECT_EQ(keras::dump_json_like_python(copy->serialize()), keras::dump_json_like_python(envelope));
  }
  // Keys in Keras' order.
  const Json ftrl = all[9]->get_config();
  std::vector<std::string> keys;
  for (auto it = ftrl.begin(); it != ftrl.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
                      "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
                      "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
                      "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"}));
  const Json lso = all[11]->get_config();
  EXPECT_EQ(lso.at("inner_optimizer").at("class_name"), "Adam");
  EXPECT_EQ(lso.at("initial_scale"), 1024.0);
  EXPECT_EQ(lso.at("dynamic_growth_steps"), 2000);
}

TEST(OptimizerConfig, ConfigsKeepValuesAsGiven) {
  // An int stays an int, missing keys get Keras' defaults, names are case-insensitive.
  auto sgd = opt::deserialize(Json::parse(R"({"module": "keras.optimizers", "class_name": "sgd",
      "config": {"name": "x", "learning_rate": 0.5, "clipvalue": 1}, "registered_name": null})"));
  const Json config = sgd->get_config();
  EXPECT_EQ(keras::dump_json_like_python(config.at("clipvalue")), "1");
  EXPECT_EQ(config.at("momentum"), 0.0);
  EXPECT_EQ(config.at("nesterov"), false);
  EXPECT_EQ(sgd->class_name(), "SGD");
  auto adamw = opt::deserialize(Json{{"class_name", "AdamW"}, {"config", Json::object()}});
  EXPECT_EQ(adamw->get_config().at("weight_decay"), 0.004);
  EXPECT_EQ(opt::get("adam")->class_name(), "Adam");
  EXPECT_EQ(opt::get("RMSprop")->get_config().at("rho"), 0.9);
}

TEST(OptimizerConfig, BadConfigsAreRejected) {
  auto config_of = [](const std::string& cls, Json config) {
    return Json{{"module", "keras.optimizers"},
                {"class_name", cls},
                {"config", std::move(config)},
                {"registered_name", nullptr}};
  };
  EXPECT_THROW(opt::deserialize(config_of("Adam", {{"bogus", 1}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Adam", {{"clipnorm", 1.0}, {"clipvalue", 1.0}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("SGD", {{"momentum", 2.0}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("AdamW", {{"weight_decay", nullptr}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Adam", {{"gradient_accumulation_steps", 1}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Lion", {{"beta_1", 0.0}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Ftrl", {{"learning_rate_power", 0.5}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Adam", {{"learning_rate", "fast"}})), keras::ValueError);
  EXPECT_THROW(opt::deserialize(config_of("Frobnicate", Json::object())), keras::UnknownObjectError);
  EXPECT_THROW(opt::deserialize(config_of("Adafactor", Json::object())), keras::NotImplementedError);
  EXPECT_THROW(opt::get("nope"), keras::UnknownObjectError);
  // Keras 2 leftovers are tolerated.
  auto legacy =
      opt::deserialize(config_of("Adam", {{"decay", 0.0}, {"is_legacy_optimizer", false}, {"jit_compile", true}}));
  EXPECT_EQ(legacy->class_name(), "Adam");
}

// ------------------------------------------------------------ schedules

// Rates by Keras' formulas are the forward references of the schedules' rows in
// tests/classes/class_table.cpp.

TEST(Schedules, ConfigsRoundTripInKerasOrder) {
  std::vector<opt::schedules::Schedule> all = {
      opt::schedules::ExponentialDecay(0.1, 10, 0.5),
      opt::schedules::PiecewiseConstantDecay({10, 20}, {1.0, 0.5, 0.1}),
      opt::schedules::PolynomialDecay(0.1, 10),
      opt::schedules::InverseTimeDecay(0.1, 2, 0.5, {.staircase = true}),
      opt::schedules::CosineDecay(0.1, 100, {.warmup_target = 0.5, .warmup_steps = 3}),
      opt::schedules::CosineDecayRestarts(0.1, 10),
  };
  for (const auto& s : all) {
    const Json envelope = s->serialize();
    EXPECT_EQ(envelope.at("module"), "keras.optimizers.schedules");
    auto copy = opt::schedules::deserialize(envelope);
    EXPECT_EQ(keras::dump_json_like_python(copy->serialize()), keras::dump_json_like_python(envelope));
    EXPECT_FLOAT_EQ((*copy)(7), (*s)(7));
  }
  EXPECT_EQ(keras::dump_json_like_python(all[4]->get_config()),
            R"({"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.0, "name": "CosineDecay", )"
            R"("warmup_target": 0.5, "warmup_steps": 3})");
  EXPECT_THROW(opt::schedules::PiecewiseConstantDecay({1}, {1.0}), keras::ValueError);
  EXPECT_THROW(opt::schedules::ExponentialDecay(0.1, 0, 0.5), keras::ValueError);
  EXPECT_THROW(opt::schedules::deserialize(Json{{"class_name", "Nope"}, {"config", Json::object()}}),
               keras::UnknownObjectError);
}

TEST(Schedules, OptimizerWithScheduleHasNoLearningRateVariable) {
  auto schedule = opt::schedules::InverseTimeDecay(0.5, 1, 1.0);
  opt::SGD sgd(opt::SGDOptions{.learning_rate = schedule});
  auto w =
      std::make_shared<keras::Variable>("w", keras::Shape{1}, keras::DType::float32, keras::initializers::Ones(), true);
  w->set_path("d/w");
  sgd.build({w});
  ASSERT_EQ(sgd.variables().size(), 1U);  // iteration only
  EXPECT_EQ(sgd.variables()[0]->name(), "iteration");
  EXPECT_THROW(sgd.set_learning_rate(0.1), keras::ValueError);
  // step 0: lr 0.5; step 1: lr 0.25.
  sgd.apply_gradients({Tensor::full({1}, 1.0F)}, {w});
  EXPECT_FLOAT_EQ(w->value().item(), 0.5F);
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.25F);
  sgd.apply_gradients({Tensor::full({1}, 1.0F)}, {w});
  EXPECT_FLOAT_EQ(w->value().item(), 0.25F);
  EXPECT_EQ(sgd.get_config().at("learning_rate").at("class_name"), "InverseTimeDecay");
}

// ------------------------------------------------------------ variable layouts

struct TwoVariables {
  VariablePtr kernel = make("kernel", {2, 3});
  VariablePtr bias = make("bias", {3});
  std::vector<VariablePtr> list() const { return {kernel, bias}; }
  static VariablePtr make(const std::string& name, const keras::Shape& shape) {
    auto v = std::make_shared<keras::Variable>(name, shape, keras::DType::float32, keras::initializers::Ones(), true);
    v->set_path("dense/" + name);
    return v;
  }
};

std::vector<std::string> names_of(const keras::Optimizer& optimizer) {
  std::vector<std::string> out;
  for (const auto& v : optimizer.variables()) out.push_back(v->name());
  return out;
}

TEST(OptimizerVariables, LayoutsFollowKeras) {
  TwoVariables model;
  using Names = std::vector<std::string>;
  opt::Adam adam(opt::AdamOptions{.amsgrad = true});
  adam.build(model.list());
  EXPECT_EQ(names_of(adam), (Names{"iteration", "learning_rate", "dense_kernel_momentum", "dense_kernel_velocity",
                                   "dense_bias_momentum", "dense_bias_velocity", "dense_kernel_velocity_hat",
                                   "dense_bias_velocity_hat"}));
  EXPECT_EQ(adam.variables()[0]->dtype(), keras::DType::int32);
  EXPECT_EQ(adam.variables()[1]->dtype(), keras::DType::float32);
  EXPECT_EQ(adam.variables()[0]->path(), adam.name() + "/iteration");
  EXPECT_EQ(adam.variables()[2]->shape(), (keras::Shape{2, 3}));

  opt::RMSprop rms(opt::RMSpropOptions{.momentum = 0.5, .centered = true});
  rms.build(model.list());
  EXPECT_EQ(names_of(rms), (Names{"iteration", "learning_rate", "dense_kernel_velocity", "dense_bias_velocity",
                                  "dense_kernel_momentum", "dense_bias_momentum", "dense_kernel_average_gradient",
                                  "dense_bias_average_gradient"}));

  opt::SGD plain;
  plain.build(model.list());
  EXPECT_EQ(plain.variables().size(), 2U);
  opt::SGD momentum(opt::SGDOptions{.momentum = 0.9});
  momentum.build(model.list());
  EXPECT_EQ(names_of(momentum), (Names{"iteration", "learning_rate", "dense_kernel_momentum", "dense_bias_momentum"}));

  opt::Nadam nadam;
  nadam.build(model.list());
  ASSERT_EQ(nadam.variables().size(), 7U);
  EXPECT_EQ(nadam.variables().back()->shape(), keras::Shape{});
  EXPECT_EQ(nadam.variables().back()->name().rfind("variable", 0), 0U);
  EXPECT_FLOAT_EQ(nadam.variables().back()->value().item(), 1.0F);

  opt::Adagrad adagrad(opt::AdagradOptions{.initial_accumulator_value = 0.25});
  adagrad.build(model.list());
  EXPECT_EQ(names_of(adagrad),
            (Names{"iteration", "learning_rate", "dense_kernel_accumulator", "dense_bias_accumulator"}));
  EXPECT_FLOAT_EQ(adagrad.variables()[2]->value().at(0), 0.25);

  opt::Ftrl ftrl;
  ftrl.build(model.list());
  EXPECT_EQ(names_of(ftrl), (Names{"iteration", "learning_rate", "dense_kernel_accumulator", "dense_kernel_linear",
                                   "dense_bias_accumulator", "dense_bias_linear"}));
  opt::Adadelta adadelta;
  adadelta.build(model.list());
  EXPECT_EQ(names_of(adadelta)[2], "dense_kernel_accumulated_grad");
  EXPECT_EQ(names_of(adadelta)[3], "dense_kernel_accumulated_delta_var");
  opt::Adamax adamax;
  adamax.build(model.list());
  EXPECT_EQ(names_of(adamax)[3], "dense_kernel_norm");
  opt::Lion lion;
  lion.build(model.list());
  EXPECT_EQ(names_of(lion), (Names{"iteration", "learning_rate", "dense_kernel_momentum", "dense_bias_momentum"}));

  // EMA averages, then accumulators, then the slots.
  opt::Adam both(opt::AdamOptions{.use_ema = true, .gradient_accumulation_steps = 2});
  both.build(model.list());
  EXPECT_EQ(names_of(both),
            (Names{"iteration", "learning_rate", "dense_kernel_average", "dense_bias_average",
                   "dense_kernel_gradient_accumulator", "dense_bias_gradient_accumulator", "dense_kernel_momentum",
                   "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity"}));

  opt::LossScaleOptimizer lso(std::make_shared<opt::SGD>(opt::SGDOptions{.momentum = 0.5}));
  lso.build(model.list());
  auto lso_names = names_of(lso);
  EXPECT_EQ(lso_names, (Names{"iteration", "learning_rate", "step_counter", "dynamic_scale", "iteration",
                              "learning_rate", "dense_kernel_momentum", "dense_bias_momentum"}));
  EXPECT_FLOAT_EQ(lso.dynamic_scale(), 32768.0F);
}

// model.trainable_variables in tracking order: MHA query, key, value, output;
// Bidirectional forward before backward.
TEST(OptimizerVariables, ModelOrderIsTrackingOrder) {
  keras::Model attention = keras::load_model(keras_test::fixture_dir("attention") / "model.keras");
  auto mha = attention.get_layer("multi_head_attention")->trainable_variables();
  ASSERT_EQ(mha.size(), 8U);
  const std::vector<std::string> prefixes = {
      "query/", "query/", "key/", "key/", "value/", "value/", "attention_output/", "attention_output/"};
  for (std::size_t i = 0; i < mha.size(); ++i) EXPECT_EQ(mha[i]->path().rfind(prefixes[i], 0), 0U) << mha[i]->path();
  // The model's list holds them in the same order, after the layers before it.
  auto all = attention.trainable_variables();
  auto first = std::find(all.begin(), all.end(), mha.front());
  ASSERT_NE(first, all.end());
  EXPECT_TRUE(std::equal(mha.begin(), mha.end(), first));

  keras::Model bidi = keras::load_model(keras_test::fixture_dir("bidirectional_timedistributed") / "model.keras");
  keras::LayerRef layer = bidi.get_layer("bidirectional");
  std::vector<VariablePtr> forward, backward;
  for (const auto& child : layer->tracked_sublayers()) {
    if (child.attribute == "forward_layer") forward = child.layer->trainable_variables();
    if (child.attribute == "backward_layer") backward = child.layer->trainable_variables();
  }
  ASSERT_FALSE(forward.empty());
  ASSERT_EQ(forward.size(), backward.size());
  auto vars = layer->trainable_variables();
  ASSERT_EQ(vars.size(), forward.size() * 2);
  EXPECT_TRUE(std::equal(forward.begin(), forward.end(), vars.begin()));
  EXPECT_TRUE(std::equal(backward.begin(), backward.end(), vars.begin() + static_cast<std::ptrdiff_t>(forward.size())));
}

// ------------------------------------------------------------ update rules

// One variable [1, -2, 3], gradient [0.5, -0.25, 2], reference computed in double.
struct OneStep {
  VariablePtr w = TwoVariables::make("w", {3});
  std::vector<double> w0{1.0, -2.0, 3.0};
  std::vector<double> g{0.5, -0.25, 2.0};
  OneStep() { w->assign(Tensor::from_vector({3}, {1.0F, -2.0F, 3.0F})); }
  Tensor grad() const { return Tensor::from_vector({3}, {0.5F, -0.25F, 2.0F}); }
  void expect(const std::vector<double>& expected, const std::string& what) const {
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_NEAR(w->value().at(static_cast<std::int64_t>(i)), expected[i], 1e-6 + 1e-5 * std::abs(expected[i]))
          << what << " element " << i;
  }
};

// Adamax, Lion, Adadelta, Ftrl and LossScaleOptimizer steps computed by hand are the
// forward references of their rows in tests/classes/class_table.cpp.

TEST(UpdateRules, ClippingAndWeightDecay) {
  const double norm = std::sqrt(0.25 + 0.0625 + 4.0);
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .clipnorm = 1.0});
    sgd.apply_gradients({s.grad()}, {s.w});
    s.expect({1.0 - 0.5 / norm, -2.0 + 0.25 / norm, 3.0 - 2.0 / norm}, "clipnorm");
  }
  {
    OneStep s;
    auto other = TwoVariables::make("v", {1});
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .global_clipnorm = 1.0});
    sgd.apply_gradients({s.grad(), Tensor::full({1}, 2.0F)}, {s.w, other});
    const double global = std::sqrt(norm * norm + 4.0);
    s.expect({1.0 - 0.5 / global, -2.0 + 0.25 / global, 3.0 - 2.0 / global}, "global_clipnorm");
    EXPECT_NEAR(other->value().item(), 1.0 - 2.0 / global, 1e-6);
  }
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .clipvalue = 0.3});
    sgd.apply_gradients({s.grad()}, {s.w});
    s.expect({0.7, -1.75, 2.7}, "clipvalue");
  }
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 0.5, .weight_decay = 0.1});
    sgd.apply_gradients({s.grad()}, {s.w});
    std::vector<double> e(3);
    for (int i = 0; i < 3; ++i) e[i] = (s.w0[i] - s.w0[i] * 0.1 * 0.5) - 0.5 * s.g[i];
    s.expect(e, "weight_decay");
  }
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .loss_scale_factor = 4.0});
    sgd.apply_gradients({s.grad()}, {s.w});
    s.expect({1.0 - 0.125, -2.0 + 0.0625, 3.0 - 0.5}, "loss_scale_factor");
  }
}

TEST(UpdateRules, EmaAndGradientAccumulation) {
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .use_ema = true, .ema_momentum = 0.5});
    sgd.apply_gradients({s.grad()}, {s.w});  // first step: the average becomes the new value
    sgd.apply_gradients({s.grad()}, {s.w});
    auto average = sgd.variables()[2];
    for (int i = 0; i < 3; ++i) {
      double after1 = s.w0[i] - s.g[i];
      double after2 = after1 - s.g[i];
      EXPECT_NEAR(average->value().at(i), 0.5 * after1 + 0.5 * after2, 1e-6);
    }
    sgd.finalize_variable_values({s.w});
    EXPECT_NEAR(s.w->value().at(0), average->value().at(0), 0.0);
  }
  {
    OneStep s;
    opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0, .gradient_accumulation_steps = 2});
    sgd.apply_gradients({s.grad()}, {s.w});
    s.expect(s.w0, "accumulating step");
    EXPECT_EQ(sgd.iterations(), 0);
    sgd.apply_gradients({Tensor::from_vector({3}, {1.5F, 0.25F, 0.0F})}, {s.w});
    s.expect({1.0 - 1.0, -2.0 - 0.0, 3.0 - 1.0}, "update step with the mean gradient");
    EXPECT_EQ(sgd.iterations(), 1);
    EXPECT_FLOAT_EQ(sgd.variables()[2]->value().at(0), 0.0F);  // accumulator reset
  }
}

TEST(UpdateRules, MissingGradientsAndUnknownVariables) {
  OneStep s;
  auto other = TwoVariables::make("v", {1});
  opt::SGD sgd(opt::SGDOptions{.learning_rate = 1.0});
  sgd.apply_gradients({s.grad(), Tensor()}, {s.w, other});  // a warning, other untouched
  EXPECT_FLOAT_EQ(other->value().item(), 1.0F);
  auto stranger = TwoVariables::make("x", {1});
  EXPECT_THROW(sgd.apply_gradients({Tensor::full({1}, 1.0F)}, {stranger}), keras::ValueError);
  EXPECT_THROW(sgd.apply_gradients({Tensor(), Tensor()}, {s.w, other}), keras::ValueError);
  EXPECT_THROW(sgd.apply_gradients({Tensor::full({2}, 1.0F), Tensor()}, {s.w, other}), keras::ShapeMismatchError);
  opt::Adam unbuilt;
  EXPECT_THROW(unbuilt.apply({Tensor::full({1}, 1.0F)}), keras::ValueError);
}

TEST(UpdateRules, LossScaleOptimizerSkipsNonFiniteSteps) {
  OneStep s;
  opt::LossScaleOptimizer lso(std::make_shared<opt::SGD>(opt::SGDOptions{.learning_rate = 1.0}),
                              {.initial_scale = 4.0, .dynamic_growth_steps = 2});
  lso.apply_gradients({s.grad()}, {s.w});  // unscaled by 4
  s.expect({1.0 - 0.125, -2.0 + 0.0625, 3.0 - 0.5}, "scaled step");
  EXPECT_EQ(lso.iterations(), 1);
  lso.apply_gradients({Tensor::from_vector({3}, {NAN, 0.0F, 0.0F})}, {s.w});
  EXPECT_FLOAT_EQ(lso.dynamic_scale(), 2.0F);
  EXPECT_EQ(lso.iterations(), 1);  // skipped
  lso.apply_gradients({Tensor::full({3}, 0.0F)}, {s.w});
  lso.apply_gradients({Tensor::full({3}, 0.0F)}, {s.w});
  EXPECT_FLOAT_EQ(lso.dynamic_scale(), 4.0F);  // grown after dynamic_growth_steps finite steps
}

TEST(UpdateRules, HalfPrecisionVariablesKeepTheirDtype) {
  auto w =
      std::make_shared<keras::Variable>("w", keras::Shape{2}, keras::DType::float16, keras::initializers::Ones(), true);
  w->set_path("d/w");
  opt::Adam adam(opt::AdamOptions{.learning_rate = 0.1});
  adam.apply_gradients({Tensor::from_vector({2}, {1.0F, -1.0F})}, {w});
  EXPECT_EQ(w->value().dtype(), keras::DType::float16);
  EXPECT_EQ(adam.variables()[2]->dtype(), keras::DType::float16);
  // Every operation rounds to half: 0.9014 / 1.099 (numpy float16 arithmetic),
  // not the float32 0.9 / 1.1, since 0.999 is 0.99902 in half.
  EXPECT_DOUBLE_EQ(w->value().at(0), 0.9013671875);
  EXPECT_DOUBLE_EQ(w->value().at(1), 1.0986328125);
}

}  // namespace
