// Model.compile: compile_config as Keras writes it, losses and metrics as
// identifiers, load_model(compile = true/false), optimizer state in weights
// files (unbuilt optimizers, LossScaleOptimizer, mismatches).
#include <gtest/gtest.h>

#include <cstring>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Tensor;
namespace opt = keras::optimizers;

Json config_json_of(const std::filesystem::path& archive) {
  auto zip = keras::saving::ZipReader::open(archive);
  auto bytes = zip.read("config.json");
  return keras::parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                           archive.string());
}

std::string dump(const Json& j) { return keras::dump_json_like_python(j); }

// Opens model.weights.h5 of a .keras archive.
keras::saving::H5File weights_of(const std::filesystem::path& archive) {
  auto zip = keras::saving::ZipReader::open(archive);
  return keras::saving::H5File::open_image(zip.read("model.weights.h5"), archive.string());
}

std::size_t dataset_count(const keras::saving::H5File& file, const std::string& group) {
  return file.root().group(group).children().size();
}

keras::Model small_model() {
  return keras::Sequential(
      {keras::Input({4}), keras::layers::Dense(5, {.activation = "relu"}), keras::layers::Dense(3)});
}

std::vector<Tensor> ones_like(const std::vector<keras::VariablePtr>& vars) {
  std::vector<Tensor> out;
  for (const auto& v : vars) out.push_back(Tensor::full(v->shape(), 0.5F));
  return out;
}

// A model compiled in C++ as the fixture's was writes the same compile_config
// (and the same config.json).
TEST(Compile, CompileConfigMatchesFixtures) {
  struct Case {
    std::string fixture;
    std::shared_ptr<keras::Optimizer> optimizer;
  };
  std::vector<Case> cases = {
      {"optimizer_adam", std::make_shared<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01, .name = "adam"})},
      {"optimizer_sgd", std::make_shared<opt::SGD>(
                            opt::SGDOptions{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true, .name = "sgd"})},
      {"optimizer_rmsprop",
       std::make_shared<opt::RMSprop>(opt::RMSpropOptions{.learning_rate = 0.01, .momentum = 0.5, .name = "rm_sprop"})},
      {"optimizer_adagrad",
       std::make_shared<opt::Adagrad>(opt::AdagradOptions{.learning_rate = 0.1, .name = "adagrad"})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture);
    const auto path = keras_test::fixture_dir(c.fixture) / "model.keras";
    keras::Model model = keras::load_model(path, {.compile = false});
    EXPECT_FALSE(model.compiled());
    model.compile({.optimizer = c.optimizer, .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    EXPECT_TRUE(model.compiled());
    EXPECT_EQ(model.optimizer(), c.optimizer);
    EXPECT_FALSE(c.optimizer->built());  // compile() does not build
    keras_test::expect_model_config_matches_fixture(model, c.fixture);
    keras_test::TempDir dir;
    keras::save_model(model, dir / "m.keras");
    EXPECT_EQ(dump(config_json_of(dir / "m.keras").at("compile_config")),
              dump(config_json_of(path).at("compile_config")));
  }
}

TEST(Compile, DefaultsAndKeyOrder) {
  keras::Model model = small_model();
  model.compile();
  const Json config = model.impl().get_compile_config();
  std::vector<std::string> keys;
  for (auto it = config.begin(); it != config.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                                            "run_eagerly", "steps_per_execution", "jit_compile"}));
  EXPECT_EQ(config.at("optimizer").at("class_name"), "RMSprop");  // compile()'s default
  EXPECT_EQ(config.at("optimizer").at("module"), "keras.optimizers");
  EXPECT_TRUE(config.at("loss").is_null());
  EXPECT_EQ(config.at("jit_compile"), true);
  EXPECT_EQ(config.at("steps_per_execution"), 1);

  model.compile({.optimizer = "adam", .loss = "mse", .run_eagerly = true, .steps_per_execution = 4});
  const Json eager = model.impl().get_compile_config();
  EXPECT_EQ(eager.at("optimizer").at("class_name"), "Adam");
  EXPECT_EQ(eager.at("jit_compile"), false);  // never true with run_eagerly
  EXPECT_EQ(eager.at("run_eagerly"), true);
  EXPECT_EQ(eager.at("steps_per_execution"), 4);
  model.compile({.optimizer = "sgd", .jit_compile = false});
  EXPECT_EQ(model.impl().get_compile_config().at("jit_compile"), false);
}

// The optimizer entry is serialized when the config is written: a learning
// rate changed after compile() shows up.
TEST(Compile, CompileConfigFollowsTheLiveOptimizer) {
  keras::Model model = small_model();
  model.compile({.optimizer = std::make_shared<opt::Adam>(), .loss = "mse"});
  model.optimizer()->set_learning_rate(0.5);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "m.keras");
  EXPECT_EQ(config_json_of(dir / "m.keras").at("compile_config").at("optimizer").at("config").at("learning_rate"), 0.5);
}

TEST(Compile, LossesAndMetricsAsNamesObjectsAndStructures) {
  keras::Model model = small_model();
  const Json mse_object = Json::parse(
      R"({"module": "keras.losses", "class_name": "MeanSquaredError", "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}, "registered_name": null})");
  const Json mae_metric = Json::parse(
      R"({"module": "keras.metrics", "class_name": "MeanAbsoluteError", "config": {"name": "mean_absolute_error", "dtype": "float32"}, "registered_name": null})");
  model.compile({.optimizer = "adam", .loss = mse_object, .metrics = Json::array({mae_metric, "acc", "AUC", "mse"})});
  const Json config = model.impl().get_compile_config();
  EXPECT_EQ(dump(config.at("loss")), dump(mse_object));
  EXPECT_EQ(config.at("metrics").size(), 4U);
  // Lists and dicts per output, names and function envelopes.
  const Json function_loss = Json::parse(
      R"({"module": "builtins", "class_name": "function", "config": "mean_squared_error", "registered_name": "function"})");
  model.compile({.loss = Json{{"out_a", "binary_crossentropy"}, {"out_b", function_loss}},
                 .loss_weights = Json{{"out_a", 1.0}, {"out_b", 0.5}},
                 .metrics = Json{{"out_a", Json::array({"accuracy"})}, {"out_b", "mae"}},
                 .weighted_metrics = Json::array({"categorical_accuracy"})});
  EXPECT_EQ(model.impl().get_compile_config().at("loss_weights").at("out_b"), 0.5);

  EXPECT_THROW(model.compile({.loss = "mean_squared_errr"}), keras::ValueError);
  EXPECT_THROW(model.compile({.loss = "mse", .metrics = {"accuracyy"}}), keras::ValueError);
  EXPECT_THROW(model.compile({.loss = Json{{"module", "keras.losses"},
                                           {"class_name", "NoSuchLoss"},
                                           {"config", Json::object()},
                                           {"registered_name", nullptr}}}),
               keras::UnknownObjectError);
  EXPECT_THROW(model.compile({.optimizer = "adamm"}), keras::UnknownObjectError);
  EXPECT_THROW(model.compile({.loss = "mse", .loss_weights = "heavy"}), keras::ValueError);
}

// compile = false: no optimizer, and saving writes compile_config {} and no optimizer group.
TEST(Compile, LoadWithoutCompiling) {
  const auto path = keras_test::fixture_dir("optimizer_adam") / "model.keras";
  keras::Model model = keras::load_model(path, {.compile = false});
  EXPECT_EQ(model.optimizer(), nullptr);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "m.keras");
  EXPECT_EQ(dump(config_json_of(dir / "m.keras").at("compile_config")), "{}");
  auto file = weights_of(dir / "m.keras");
  EXPECT_FALSE(file.root().has("optimizer"));
}

// An optimizer saved before it was built holds iteration and learning_rate
// only; loading keeps it unbuilt, so the file converts unchanged.
TEST(Compile, UnbuiltOptimizerStaysUnbuilt) {
  keras::Model model = small_model();
  model.compile({.optimizer = std::make_shared<opt::Adam>(opt::AdamOptions{.learning_rate = 0.02}), .loss = "mse"});
  keras_test::TempDir dir;
  keras::save_model(model, dir / "unbuilt.keras");
  EXPECT_EQ(dataset_count(weights_of(dir / "unbuilt.keras"), "optimizer/vars"), 2U);
  keras::Model loaded = keras::load_model(dir / "unbuilt.keras");
  ASSERT_NE(loaded.optimizer(), nullptr);
  EXPECT_FALSE(loaded.optimizer()->built());
  EXPECT_FLOAT_EQ(loaded.optimizer()->learning_rate(), 0.02F);
  keras::save_model(loaded, dir / "again.keras");
  EXPECT_EQ(dataset_count(weights_of(dir / "again.keras"), "optimizer/vars"), 2U);
  // Once trained it is built for the model's variables.
  loaded.optimizer()->apply_gradients(ones_like(loaded.trainable_variables()), loaded.trainable_variables());
  keras::save_model(loaded, dir / "trained.keras", {.overwrite = true});
  EXPECT_EQ(dataset_count(weights_of(dir / "trained.keras"), "optimizer/vars"), 2U + 2U * 4U);
  // An uncompiled model's file has no optimizer, and loads without one.
  keras::Model plain = small_model();
  keras::save_model(plain, dir / "plain.keras");
  keras::Model compiled_later = keras::load_model(dir / "plain.keras");
  EXPECT_EQ(compiled_later.optimizer(), nullptr);
}

// Weights-only files carry the optimizer too; an optimizer whose variable
// count differs is skipped with Keras' warning, never an error.
TEST(Compile, OptimizerCountMismatchIsAWarning) {
  keras::Model trained = small_model();
  trained.compile({.optimizer = "adam", .loss = "mse"});
  trained.optimizer()->apply_gradients(ones_like(trained.trainable_variables()), trained.trainable_variables());
  keras_test::TempDir dir;
  keras::save_weights(trained, dir / "w.weights.h5");
  auto file = keras::saving::H5File::open_read(dir / "w.weights.h5");
  EXPECT_EQ(dataset_count(file, "optimizer/vars"), 10U);

  keras::Model other = small_model();
  other.compile(
      {.optimizer = std::make_shared<opt::SGD>(opt::SGDOptions{.momentum = 0.9, .name = "mine"}), .loss = "mse"});
  other.optimizer()->build(other.trainable_variables());
  testing::internal::CaptureStderr();
  keras::load_weights(other, dir / "w.weights.h5");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Skipping variable loading for optimizer 'mine', because it has 6 variables whereas the saved "
                     "optimizer has 10 variables."),
            std::string::npos)
      << err;
  // The layers' weights were loaded all the same.
  auto a = trained.get_weights();
  auto b = other.get_weights();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(std::memcmp(a[i].raw_data(), b[i].raw_data(), a[i].nbytes()), 0);

  // A matching optimizer is restored by load_weights.
  keras::Model same = small_model();
  same.compile({.optimizer = "adam", .loss = "mse"});
  same.optimizer()->build(same.trainable_variables());
  keras::load_weights(same, dir / "w.weights.h5");
  EXPECT_EQ(same.optimizer()->iterations(), 1);
}

// A LossScaleOptimizer added by compile() (mixed_float16) is not in
// config.json but in the weights: optimizer/vars holds 4 + inner variables
// and optimizer/inner_optimizer/vars the inner ones. Loading re-creates it.
TEST(Compile, LossScaleOptimizerTakenFromTheFile) {
  keras::Model model = small_model();
  auto adam = std::make_shared<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01, .name = "adam"});
  model.compile({.optimizer = adam, .loss = "mse"});
  // What compile() does under a mixed_float16 model policy.
  model.impl().optimizer =
      std::make_shared<opt::LossScaleOptimizer>(adam, opt::LossScaleOptimizerOptions{.name = "loss_scale_optimizer"});
  model.optimizer()->apply_gradients(ones_like(model.trainable_variables()), model.trainable_variables());
  keras_test::TempDir dir;
  keras::save_model(model, dir / "lso.keras");

  EXPECT_EQ(config_json_of(dir / "lso.keras").at("compile_config").at("optimizer").at("class_name"), "Adam");
  {
    auto file = weights_of(dir / "lso.keras");
    auto vars = file.root().group("optimizer/vars");
    EXPECT_EQ(vars.string_attr("name").value_or(""), "loss_scale_optimizer");
    EXPECT_EQ(vars.children().size(), 4U + 10U);
    EXPECT_EQ(vars.dataset_info("2").dtype, keras::DType::int32);    // step_counter
    EXPECT_EQ(vars.dataset_info("3").dtype, keras::DType::float32);  // dynamic_scale
    EXPECT_EQ(file.root().group("optimizer/inner_optimizer/vars").string_attr("name").value_or(""), "adam");
    EXPECT_EQ(dataset_count(file, "optimizer/inner_optimizer/vars"), 10U);
  }
  keras::Model loaded = keras::load_model(dir / "lso.keras");
  auto* lso = dynamic_cast<opt::LossScaleOptimizer*>(loaded.optimizer().get());
  ASSERT_NE(lso, nullptr);
  EXPECT_EQ(lso->name(), "loss_scale_optimizer");
  EXPECT_EQ(lso->inner_optimizer()->class_name(), "Adam");
  EXPECT_EQ(loaded.optimizer()->iterations(), 1);
  auto before = model.optimizer()->variables();
  auto after = loaded.optimizer()->variables();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    const Tensor x = before[i]->value();
    const Tensor y = after[i]->value();
    EXPECT_EQ(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()), 0) << "variable " << i;
  }
  // And it is written back the same way.
  keras::save_model(loaded, dir / "again.keras");
  auto differences = keras::saving::compare_saved_models(dir / "lso.keras", dir / "again.keras");
  EXPECT_TRUE(differences.empty()) << (differences.empty() ? "" : differences.front());
}

}  // namespace
