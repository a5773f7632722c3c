// Training loops against Keras 3.16: evaluate() on the losses_metrics model,
// test_on_batch, the data plumbing (validation split, class weights,
// shuffles), and the callbacks (History, EarlyStopping, ReduceLROnPlateau,
// LearningRateScheduler, TerminateOnNaN, CSVLogger, ModelCheckpoint, the
// progress bar).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "keras/callbacks.hpp"
#include "keras/keras.hpp"
#include "support/test_support.hpp"
#include "training/data.hpp"

namespace {

using keras::Json;
using keras::Logs;
using keras::Tensor;

std::filesystem::path fixture() { return keras_test::fixture_dir("losses_metrics"); }

Json evaluate_case() {
  return keras::parse_json(keras_test::read_text_file(fixture() / "cases.json"), "cases.json").at("evaluate");
}

// evaluate(x, y, batch_size=16) reproduces Keras' loss, accuracy and
// sparse_top_k_categorical_accuracy.
TEST(Evaluate, ReproducesKerasOnTheFixtureModel) {
  const Json c = evaluate_case();
  keras::Model model = keras::load_model(fixture() / c.at("model").get<std::string>());
  Tensor x = keras::load_npy(fixture() / c.at("x").get<std::string>());
  Tensor y = keras::load_npy(fixture() / c.at("y").get<std::string>());
  Logs logs = model.evaluate(x, y, {.batch_size = c.at("batch_size").get<std::int64_t>(), .verbose = 0});
  ASSERT_EQ(logs.keys(), (std::vector<std::string>{"loss", "accuracy", "sparse_top_k_categorical_accuracy"}));
  for (const auto& [name, expected] : c.at("result").items()) {
    const double e = expected.get<double>();
    EXPECT_NEAR(logs.at(name), e, 1e-6 * std::abs(e)) << name;
  }
  // test_on_batch on everything at once: the same metrics (the loss is a
  // plain mean, so it differs only by the batches' weighting).
  Logs one = model.test_on_batch({x}, {y});
  EXPECT_NEAR(one.at("accuracy"), c.at("result").at("accuracy").get<double>(), 1e-6);
  EXPECT_NEAR(one.at("loss"), c.at("result").at("loss").get<double>(), 1e-5);
}

TEST(Evaluate, NeedsCompile) {
  keras::Model model = keras::load_model(fixture() / "evaluate_model.keras", {.compile = false});
  EXPECT_THROW(model.evaluate(Tensor::zeros({2, 5}), Tensor::zeros({2})), keras::ValueError);
}

// ------------------------------------------------------------ data

TEST(TrainingData, SplitWeightsAndShuffles) {
  Tensor x = Tensor::from_vector({5, 1}, {0, 1, 2, 3, 4});
  Tensor y = Tensor::from_vector({5}, {0, 1, 1, 2, 0});
  auto [train, val] = keras::training::train_validation_split({{x}, {y}, {}}, 0.4);
  EXPECT_EQ(train.x[0].to_vector(), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(val.y[0].to_vector(), (std::vector<float>{2, 0}));
  EXPECT_THROW(keras::training::train_validation_split({{x}, {y}, {}}, 0.9), keras::ValueError);
  EXPECT_THROW(keras::training::num_samples({{x}, {Tensor::zeros({4})}, {}}), keras::ValueError);
  EXPECT_EQ(keras::training::class_weight_to_sample_weights(y, {{1, 2.0}, {2, 0.5}}).to_vector(),
            (std::vector<float>{1, 2, 2, 0.5F, 1}));
  Tensor onehot = Tensor::from_vector({2, 3}, {0, 0, 1, 1, 0, 0});
  EXPECT_EQ(keras::training::class_weight_to_sample_weights(onehot, {{2, 3.0}}).to_vector(),
            (std::vector<float>{3, 1}));
  // Seeded shuffles: reproducible, different per epoch, a permutation with a partial last batch.
  auto a = keras::training::epoch_batches(10, 4, true, 7, 0);
  auto b = keras::training::epoch_batches(10, 4, true, 7, 0);
  auto c = keras::training::epoch_batches(10, 4, true, 7, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a[2].size(), 2U);
  std::vector<std::int64_t> all;
  for (const auto& batch : a) all.insert(all.end(), batch.begin(), batch.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(keras::training::epoch_batches(5, 2, false, std::nullopt, 3)[1], (std::vector<std::int64_t>{2, 3}));
}

// ------------------------------------------------------------ callbacks

// Drives a callback through epochs with the given monitored values.
void run_epochs(keras::Callback& cb, const std::vector<double>& values, const std::string& key, bool* stop) {
  cb.set_stop_flag(stop);
  cb.on_train_begin({});
  for (std::size_t e = 0; e < values.size(); ++e) {
    cb.on_epoch_begin(static_cast<std::int64_t>(e), {});
    Logs logs{{"loss", values[e]}, {key, values[e]}};
    cb.on_epoch_end(static_cast<std::int64_t>(e), logs);
    if (*stop) break;
  }
  cb.on_train_end({});
}

keras::Model compiled_model() {
  keras::Model model = keras::load_model(fixture() / "evaluate_model.keras");
  return model;
}

TEST(Callbacks, EarlyStoppingPatienceBaselineAndRestore) {
  keras::Model model = compiled_model();
  keras::callbacks::EarlyStopping es({.monitor = "val_loss", .patience = 2});
  es.set_model(model);
  bool stop = false;
  run_epochs(es, {1.0, 0.9, 0.95, 0.92, 0.5}, "val_loss", &stop);
  EXPECT_TRUE(stop);
  EXPECT_EQ(es.stopped_epoch(), 3);
  EXPECT_EQ(es.best_epoch(), 1);
  // min_delta: improvements smaller than it do not count.
  keras::callbacks::EarlyStopping delta({.monitor = "val_loss", .min_delta = 0.2, .patience = 1});
  delta.set_model(model);
  stop = false;
  run_epochs(delta, {1.0, 0.9, 0.85}, "val_loss", &stop);
  EXPECT_TRUE(stop);
  EXPECT_EQ(delta.stopped_epoch(), 1);
  // "auto" mode reads the metric's direction: accuracy goes up.
  keras::callbacks::EarlyStopping acc({.monitor = "val_accuracy", .patience = 1, .restore_best_weights = true});
  acc.set_model(model);
  model.evaluate(Tensor::zeros({2, 5}), Tensor::zeros({2}), {.verbose = 0});  // builds the metrics
  const auto before = model.get_weights();
  stop = false;
  acc.set_stop_flag(&stop);
  acc.on_train_begin({});
  Logs l0{{"val_accuracy", 0.5}};
  acc.on_epoch_end(0, l0);
  auto changed = before;
  changed[0] = Tensor::full(changed[0].shape(), 3.0F);
  model.set_weights(changed);
  Logs l1{{"val_accuracy", 0.4}};
  acc.on_epoch_end(1, l1);
  EXPECT_TRUE(stop);
  acc.on_train_end({});
  EXPECT_EQ(model.get_weights()[0].to_vector(), before[0].to_vector());  // restored from epoch 0
  keras::callbacks::EarlyStopping unknown({.monitor = "val_mystery"});
  unknown.set_model(model);
  Logs l2{{"val_mystery", 1.0}};
  EXPECT_THROW(unknown.on_epoch_end(0, l2), keras::ValueError);
}

TEST(Callbacks, LearningRateCallbacks) {
  keras::Model model = compiled_model();
  auto optimizer = model.optimizer();
  keras::callbacks::ReduceLROnPlateau plateau({.monitor = "val_loss", .factor = 0.5, .patience = 1, .min_lr = 2e-4});
  plateau.set_model(model);
  bool stop = false;
  run_epochs(plateau, {1.0, 1.0, 1.0, 1.0, 1.0}, "val_loss", &stop);
  // 1e-3 -> 5e-4 -> 2.5e-4 -> 2e-4 (min_lr), then no change.
  EXPECT_NEAR(optimizer->learning_rate(), 2e-4, 1e-9);
  EXPECT_THROW(keras::callbacks::ReduceLROnPlateau({.factor = 1.0}), keras::ValueError);

  keras::callbacks::LearningRateScheduler scheduler(
      [](std::int64_t epoch, double lr) { return epoch < 1 ? lr : lr / 2; });
  scheduler.set_model(model);
  scheduler.on_epoch_begin(0, {});
  EXPECT_NEAR(optimizer->learning_rate(), 2e-4, 1e-9);
  scheduler.on_epoch_begin(1, {});
  EXPECT_NEAR(optimizer->learning_rate(), 1e-4, 1e-9);
  Logs logs;
  scheduler.on_epoch_end(1, logs);
  EXPECT_NEAR(logs.at("learning_rate"), 1e-4, 1e-9);
}

TEST(Callbacks, TerminateOnNaNAndHistory) {
  bool stop = false;
  keras::callbacks::TerminateOnNaN nan_stop;
  nan_stop.set_stop_flag(&stop);
  nan_stop.on_train_batch_end(0, {{"loss", 1.0}});
  EXPECT_FALSE(stop);
  nan_stop.on_train_batch_end(1, {{"loss", std::nan("")}});
  EXPECT_TRUE(stop);
  keras::callbacks::TerminateOnNaN raising(true);
  EXPECT_THROW(raising.on_train_batch_end(0, {{"loss", INFINITY}}), keras::Error);

  keras::callbacks::History history;
  history.on_train_begin({});
  Logs e0{{"loss", 1.0}, {"accuracy", 0.5}};
  Logs e1{{"loss", 0.5}, {"accuracy", 0.7}};
  history.on_epoch_end(0, e0);
  history.on_epoch_end(1, e1);
  EXPECT_EQ(history["loss"], (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(history.history()[1].first, "accuracy");
  EXPECT_EQ(history.epoch(), (std::vector<std::int64_t>{0, 1}));
}

TEST(Callbacks, CSVLoggerWritesWhatKerasWrites) {
  keras_test::TempDir dir;
  const auto path = dir / "log.csv";
  keras::callbacks::CSVLogger logger(path.string());
  logger.on_train_begin({});
  Logs e0{{"loss", 0.5}, {"accuracy", 0.25}};
  Logs e1{{"loss", 0.125}, {"accuracy", 1.0 / 3.0}};
  logger.on_epoch_end(0, e0);
  logger.on_epoch_end(1, e1);
  logger.on_train_end({});
  // Sorted keys, val_ columns added (NA without validation), \r\n line ends, repr floats.
  EXPECT_EQ(keras_test::read_text_file(path),
            "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,NA,NA\r\n1,0.3333333333333333,0.125,NA,NA\r\n");
  keras::callbacks::CSVLogger appending(path.string(), ";", true);
  appending.on_train_begin({});
  Logs e2{{"loss", 1.0}, {"val_loss", 2.0}};
  appending.on_epoch_end(2, e2);
  appending.on_train_end({});
  EXPECT_NE(keras_test::read_text_file(path).find("\r\n2;1.0;2.0\r\n"), std::string::npos);
}

TEST(Callbacks, ModelCheckpointPathsAndBestOnly) {
  keras_test::TempDir dir;
  keras::Model model = compiled_model();
  keras::callbacks::ModelCheckpoint ckpt((dir / "m_{epoch:02d}_{val_loss:.2f}.keras").string(),
                                         {.save_best_only = true});
  ckpt.set_model(model);
  EXPECT_EQ(ckpt.file_path(0, std::nullopt, {{"val_loss", 0.256}}), (dir / "m_01_0.26.keras").string());
  bool stop = false;
  run_epochs(ckpt, {0.5, 0.7, 0.25}, "val_loss", &stop);
  EXPECT_TRUE(std::filesystem::exists(dir / "m_01_0.50.keras"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m_02_0.70.keras"));
  EXPECT_TRUE(std::filesystem::exists(dir / "m_03_0.25.keras"));
  keras::Model loaded = keras::load_model(dir / "m_03_0.25.keras");
  EXPECT_TRUE(loaded.compiled());
  keras::callbacks::ModelCheckpoint weights((dir / "w.weights.h5").string(), {.save_weights_only = true});
  weights.set_model(model);
  run_epochs(weights, {1.0}, "val_loss", &stop);
  EXPECT_TRUE(std::filesystem::exists(dir / "w.weights.h5"));
  EXPECT_THROW(keras::callbacks::ModelCheckpoint("model.h5x"), keras::ValueError);
  EXPECT_THROW(keras::callbacks::ModelCheckpoint("w.keras", {.save_weights_only = true}), keras::ValueError);
  EXPECT_THROW(ckpt.file_path(0, std::nullopt, {}), keras::ValueError);
}

std::string capture_progbar(int verbose, bool terminal, std::int64_t epochs) {
  keras_test::TempDir dir;
  const auto path = dir / "out.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  keras::callbacks::ProgbarLogger bar(f, terminal);
  bar.set_params({verbose, epochs, 3});
  bar.on_train_begin({});
  for (std::int64_t e = 0; e < epochs; ++e) {
    bar.on_epoch_begin(e, {});
    for (std::int64_t b = 0; b < 3; ++b) bar.on_train_batch_end(b, {{"loss", 0.5}, {"accuracy", 0.00012}});
    Logs logs{{"loss", 0.25}, {"accuracy", 0.75}};
    bar.on_epoch_end(e, logs);
  }
  std::fclose(f);
  return keras_test::read_text_file(path);
}

TEST(Callbacks, ProgressBarFormats) {
  // verbose 2: one line per epoch, after Keras' "Epoch i/n" header.
  const std::string two = capture_progbar(2, false, 2);
  EXPECT_NE(two.find("Epoch 1/2\n3/3 - 0s -"), std::string::npos) << two;
  EXPECT_NE(two.find("/step - loss: 0.2500 - accuracy: 0.7500\n"), std::string::npos) << two;
  EXPECT_EQ(two.find('\x1b'), std::string::npos);
  // verbose 1 off a terminal: the final line only, no escape codes.
  const std::string plain = capture_progbar(1, false, 1);
  EXPECT_EQ(plain.find("Epoch"), std::string::npos);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 1) << plain;
  EXPECT_EQ(plain.find('\b'), std::string::npos);
  // verbose 1 on a terminal: Keras' bar with its escape codes, redrawn with \b and \r.
  const std::string bar = capture_progbar(1, true, 1);
  EXPECT_NE(bar.find("\x1b[1m3/3\x1b[0m \x1b[32m"), std::string::npos) << bar;
  EXPECT_NE(bar.find("\r"), std::string::npos);
  EXPECT_NE(bar.find(" - loss: 0.2500 - accuracy: 0.7500"), std::string::npos) << bar;
  EXPECT_EQ(capture_progbar(0, true, 2), "");
}

}  // namespace
