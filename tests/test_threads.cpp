// Many threads at once give bit-identical results to one thread: predict on
// one shared model, and load_model + predict + save_model on separate models.
#include <gtest/gtest.h>

#include <thread>

#include "keras/keras.hpp"
#include "support/test_support.hpp"

namespace {

constexpr int kThreads = 8;

bool identical(const std::vector<keras::Tensor>& a, const std::vector<keras::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape() || !keras::allclose(a[i], b[i], 0, 0)) return false;
  }
  return true;
}

const std::vector<std::string> kCases = {"residual_cnn", "recurrent", "attention", "conv2d", "embedding_mask_rnn"};

TEST(Threads, PredictOnOneSharedModel) {
  for (const auto& name : kCases) {
    SCOPED_TRACE(name);
    const keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
    const auto inputs = keras_test::fixture_inputs(name);
    const auto reference = model.predict(inputs);
    std::vector<int> same(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int repeat = 0; repeat < 3; ++repeat) same[t] += identical(model.predict(inputs), reference) ? 1 : 0;
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(same[t], 3) << "thread " << t;
  }
}

TEST(Threads, LoadPredictSaveOnSeparateModels) {
  keras_test::TempDir dir;
  std::vector<std::vector<keras::Tensor>> reference;
  for (const auto& name : kCases) {
    const keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
    reference.push_back(model.predict(keras_test::fixture_inputs(name)));
  }
  std::vector<int> ok(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t c = static_cast<std::size_t>(t) % kCases.size();
      try {
        const auto inputs = keras_test::fixture_inputs(kCases[c]);
        const keras::Model model = keras::load_model(keras_test::fixture_dir(kCases[c]) / "model.keras");
        const auto path = dir / (std::to_string(t) + ".keras");
        keras::save_model(model, path, {.overwrite = true});
        const keras::Model again = keras::load_model(path);
        ok[t] = identical(model.predict(inputs), reference[c]) && identical(again.predict(inputs), reference[c]);
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], 1) << "thread " << t << ": " << errors[t];
}

}  // namespace
