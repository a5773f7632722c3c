// keras-cpp fit and evaluate: training a compiled model file with its own
// compile config, saving it with its optimizer state, and Keras' metric names
// and values; their usage errors and exit codes.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "support/cli_run.hpp"
#include "support/sum_of_three.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Tensor;
using keras_test::data_path;
using keras_test::read_text_file;
using keras_test::sum_of_three;
using keras_test::TempDir;
namespace layers = keras::layers;
using Run = keras_test::CliRun;

// The CLI of this build.
Run run(const std::vector<std::string>& args) { return keras_test::run_program(KERAS_CLI_PATH, args); }

using keras_test::count_lines;

// Input(8) -> Dense(16, relu) -> Dense(1, sigmoid), Adam(0.01), binary crossentropy, saved to `dir`.
struct Files {
  std::string model, x, y;
};
Files acceptance_files(const TempDir& dir, bool compiled = true) {
  keras::KerasTensor input = keras::Input({8});
  keras::KerasTensor h = layers::Dense(16, {.activation = "relu"})(input);
  keras::Model model(input, layers::Dense(1, {.activation = "sigmoid"})(h));
  if (compiled)
    model.compile(
        {.optimizer = std::make_shared<keras::optimizers::Adam>(keras::optimizers::AdamOptions{.learning_rate = 0.01}),
         .loss = "binary_crossentropy",
         .metrics = {"accuracy"}});
  auto [x, y] = sum_of_three();
  Files f{(dir / (compiled ? "model.keras" : "plain.keras")).string(), (dir / "x.npy").string(),
          (dir / "y.npy").string()};
  keras::save_model(model, f.model, {.overwrite = true});
  keras::save_npy(f.x, x);
  keras::save_npy(f.y, y);
  return f;
}

// The issue's acceptance case through the CLI: 30 epochs of batch 32 on 512
// samples are 480 optimizer iterations in the saved file, and the model learned.
TEST(CliFit, TrainsTheIssueDataSetAndSavesTheOptimizerState) {
  TempDir dir;
  const Files f = acceptance_files(dir);
  const std::string out = (dir / "trained.keras").string();
  auto r = run({"fit", f.model, "--x", f.x, "--y", f.y, "--epochs", "30", "--batch-size", "32", "--seed", "7",
                "--verbose", "0", "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  keras::Model trained = keras::load_model(out);
  ASSERT_TRUE(trained.compiled());
  EXPECT_EQ(trained.optimizer()->iterations(), 480);
  EXPECT_EQ(trained.optimizer()->class_name(), "Adam");
  EXPECT_NEAR(trained.optimizer()->learning_rate(), 0.01, 1e-9);
  const Tensor x = keras::load_npy(f.x);
  const Tensor y = keras::load_npy(f.y);
  const keras::Logs logs = trained.evaluate(x, y, {.verbose = 0});
  EXPECT_GE(logs.at("accuracy"), 0.95);

  // evaluate prints Keras' names and values, in Keras' order.
  r = run({"evaluate", out, "--x", f.x, "--y", f.y});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no bar: stderr is no terminal
  std::istringstream lines(r.out);
  std::string line;
  std::vector<std::string> names;
  while (std::getline(lines, line)) {
    const auto colon = line.find(": ");
    ASSERT_NE(colon, std::string::npos) << line;
    names.push_back(line.substr(0, colon));
    EXPECT_DOUBLE_EQ(std::stod(line.substr(colon + 2)), logs.at(names.back())) << line;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"loss", "accuracy"}));
  r = run({"evaluate", out, "--x", f.x, "--y", f.y, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(json.at("accuracy").get<double>(), logs.at("accuracy"));
  EXPECT_DOUBLE_EQ(json.at("loss").get<double>(), logs.at("loss"));

  // Training goes on from the saved state: 2 more epochs are 32 more iterations.
  const std::string again = (dir / "again").string();  // a model directory this time
  const std::string output_name = trained.output_names().at(0);
  r = run({"fit", out, "--input", f.x, "--y", output_name + "=" + f.y, "--epochs", "2", "--verbose", "2", "-o", again});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Epoch 2/2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accuracy: "), std::string::npos) << r.out;
  EXPECT_EQ(keras::load_model(again).optimizer()->iterations(), 512);
}

TEST(CliFit, SameSeedSameModelAndValidationMetrics) {
  TempDir dir;
  const Files f = acceptance_files(dir);
  auto fit = [&](const std::string& name, const std::string& seed) {
    const std::string out = (dir / name).string();
    auto r = run({"fit", f.model, "--x", f.x, "--y", f.y, "--epochs", "3", "--validation-split", "0.25", "--seed", seed,
                  "--verbose", "2", "-o", out});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("val_loss: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("val_accuracy: "), std::string::npos) << r.out;
    EXPECT_EQ(count_lines(r.out), 6) << r.out;  // "Epoch i/3" and one line per epoch
    // 384 training samples in batches of 32.
    keras::Model model = keras::load_model(out);
    EXPECT_EQ(model.optimizer()->iterations(), 36);
    return model.get_weights();
  };
  const auto a = fit("a.keras", "3");
  const auto b = fit("b.keras", "3");
  const auto c = fit("c.keras", "4");
  ASSERT_EQ(a.size(), b.size());
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(keras::allclose(a[i], b[i], 0, 0)) << "weight " << i;
    differs = differs || !keras::allclose(a[i], c[i], 0, 0);
  }
  EXPECT_TRUE(differs) << "another seed shuffles differently";
}

// evaluate on the model Keras evaluated (losses_metrics/evaluate_*): Keras' numbers.
TEST(CliEvaluate, GivesKerasNumbersOnItsModel) {
  const auto dir = data_path("keras-3.16/losses_metrics");
  const auto cases = nlohmann::json::parse(read_text_file(dir / "cases.json")).at("evaluate");
  auto r =
      run({"evaluate", (dir / cases.at("model").get<std::string>()).string(), "--x",
           (dir / cases.at("x").get<std::string>()).string(), "--y", (dir / cases.at("y").get<std::string>()).string(),
           "--batch-size", std::to_string(cases.at("batch_size").get<int>()), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto got = nlohmann::ordered_json::parse(r.out);  // in the order printed
  ASSERT_EQ(got.size(), cases.at("result").size()) << r.out;
  EXPECT_EQ(got.begin().key(), "loss");
  for (const auto& [name, value] : cases.at("result").items()) {
    ASSERT_TRUE(got.contains(name)) << name << " missing: " << r.out;
    EXPECT_NEAR(got.at(name).get<double>(), value.get<double>(), 1e-6 * std::abs(value.get<double>())) << name;
  }
}

TEST(CliFit, UsageAndErrors) {
  TempDir dir;
  const Files f = acceptance_files(dir);
  const std::string out = (dir / "out.keras").string();
  // Bad usage: exit 2, one line pointing to --help, nothing written.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"fit", f.model, "--x", f.x, "-o", out},
           {"fit", f.model, "--x", f.x, "--y", f.y},
           {"fit", f.model, "--x", f.x, "--y", f.y, "-o", out, "--epochs", "0"},
           {"fit", f.model, "--x", f.x, "--y", f.y, "-o", out, "--validation-split", "1"},
           {"fit", f.model, "--x", f.x, "--y", f.y, "-o", out, "--verbose", "3"},
           {"evaluate", f.model, "--y", f.y},
           {"evaluate", f.model, "--x", f.x, "--y", f.y, "--batch-size", "-1"}}) {
    keras_test::expect_usage_error(run(args), args);
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  // Errors: exit 1, one line naming the file at fault, nothing written.
  auto expect_error = [&](const std::vector<std::string>& args, const std::string& what) {
    auto r = run(args);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("keras-cpp: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  };
  const Files plain = acceptance_files(dir, false);
  expect_error({"fit", plain.model, "--x", f.x, "--y", f.y, "-o", out}, "plain.keras: the model is not compiled");
  expect_error({"evaluate", plain.model, "--x", f.x, "--y", f.y}, "plain.keras: the model is not compiled");
  keras::save_npy(dir / "short.npy", Tensor::full({100, 1}, 1.0F));
  expect_error({"fit", f.model, "--x", f.x, "--y", (dir / "short.npy").string(), "-o", out}, "short.npy holds 100");
  expect_error({"fit", f.model, "--x", f.x, "--y", "nope=" + f.y, "-o", out}, "no output named 'nope'");
  expect_error({"fit", f.model, "--x", f.x, "--y", f.y, "--y", f.y, "-o", out}, "too many outputs");
  expect_error({"fit", f.model, "--x", (dir / "missing.npy").string(), "--y", f.y, "-o", out}, "missing.npy");
  expect_error({"fit", (dir / "missing.keras").string(), "--x", f.x, "--y", f.y, "-o", out}, "missing.keras");
  keras::save_npy(dir / "wide.npy", Tensor::full({512, 5}, 1.0F));
  expect_error({"fit", f.model, "--x", (dir / "wide.npy").string(), "--y", f.y, "-o", out},
               "wide.npy: shape (512, 5) does not fit the model's input");
  // An existing output is kept without --overwrite (and training does not start).
  ASSERT_EQ(run({"fit", f.model, "--x", f.x, "--y", f.y, "--verbose", "0", "-o", out}).status, 0);
  const auto before = read_text_file(out);
  auto r = run({"fit", f.model, "--x", f.x, "--y", f.y, "--verbose", "0", "-o", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(read_text_file(out), before);
  r = run({"fit", f.model, "--x", f.x, "--y", f.y, "--verbose", "0", "-o", out, "--overwrite"});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace
