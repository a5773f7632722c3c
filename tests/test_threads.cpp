// Many threads at once give bit-identical results to one thread: predict on
// one shared model, and load_model + predict + save_model on separate models;
// a batch split by rows over two threads repeats bit for bit.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "keras/keras.hpp"
#include "keras/ops.hpp"
#include "ops/shape_ops.hpp"
#include "ops/threads.hpp"
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

// Restores the thread count a test changed.
struct NumThreads {
  explicit NumThreads(int n) : previous(keras::get_num_threads()) { keras::set_num_threads(n); }
  ~NumThreads() { keras::set_num_threads(previous); }
  int previous;
};

// Each input repeated `times` along the batch axis.
std::vector<keras::Tensor> tiled(const std::vector<keras::Tensor>& inputs, int times) {
  std::vector<keras::Tensor> out;
  for (const auto& t : inputs) out.push_back(keras::kernels::concatenate(std::vector<keras::Tensor>(times, t), 0));
  return out;
}

// Two threads run a batch as two row slices at once (one single-threaded run each): the
// results are one thread's within float32 rounding, and repeat bit for bit.
TEST(Threads, TwoThreadsSplitABatchByRows) {
  for (const auto& name : kCases) {
    SCOPED_TRACE(name);
    const keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
    const auto inputs = tiled(keras_test::fixture_inputs(name), 5);  // 15 rows: slices of 7 and 8
    std::vector<keras::Tensor> one;
    {
      const NumThreads threads(1);
      one = model.predict(inputs, 15);
    }
    const NumThreads threads(2);
    const auto two = model.predict(inputs, 15);
    ASSERT_EQ(two.size(), one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(two[i].shape(), one[i].shape());
      EXPECT_TRUE(keras::allclose(two[i], one[i], 1e-5, 1e-5)) << keras::max_abs_diff(two[i], one[i]);
    }
    for (int repeat = 0; repeat < 3; ++repeat) EXPECT_TRUE(identical(model.predict(inputs, 15), two));
  }
}

// One row through a large Dense kernel (4 MiB and more) on two threads: column blocks side by
// side, the last one narrower (1030 = 528 + 502 columns). The result is one thread's within
// float32 rounding, matches the product computed in double, and repeats bit for bit.
TEST(Threads, TwoThreadsSplitOneRowOfALargeDenseByColumns) {
  constexpr std::int64_t k = 1024, n = 1030;
  keras::KerasTensor x = keras::Input({k});
  keras::LayerRef dense = keras::layers::Dense(n, {.activation = "relu"});
  const keras::Model model(x, dense(x));
  const keras::Tensor row = keras::random::uniform({1, k}, -1.0F, 1.0F, 7);
  std::vector<keras::Tensor> one;
  {
    const NumThreads threads(1);
    one = model.predict({row});
  }
  const NumThreads threads(2);
  const auto two = model.predict({row});
  ASSERT_EQ(two.at(0).shape(), (keras::Shape{1, n}));
  EXPECT_TRUE(keras::allclose(two[0], one[0], 1e-5, 1e-5)) << keras::max_abs_diff(two[0], one[0]);
  const auto weights = model.get_weights();
  const auto kernel = weights.at(0).to_vector();
  const auto bias = weights.at(1).to_vector();
  const auto input = row.to_vector();
  const auto got = two[0].to_vector();
  for (std::int64_t j = 0; j < n; ++j) {
    double sum = bias[static_cast<std::size_t>(j)];
    for (std::int64_t i = 0; i < k; ++i)
      sum += static_cast<double>(input[static_cast<std::size_t>(i)]) * kernel[static_cast<std::size_t>(i * n + j)];
    ASSERT_NEAR(got[static_cast<std::size_t>(j)], std::max(sum, 0.0), 1e-4) << "column " << j;
  }
  for (int repeat = 0; repeat < 3; ++repeat) EXPECT_TRUE(identical(model.predict({row}), two));
}

// Each batch size has its own plan and preparation of the same kernels, and each preparation
// lets the variable's buffer go (Variable::release_into): first calls of several batch sizes
// at once read, rebuild and release the same variables side by side.
TEST(Threads, FirstCallsOfSeveralBatchSizesShareTheKernels) {
  auto make_model = [] {
    keras::KerasTensor x = keras::Input({256});
    keras::KerasTensor y = keras::layers::Dense(256, {.activation = "relu"})(x);
    y = keras::layers::Dense(64, {.activation = "tanh"})(y);
    keras::Model model(x, y);
    std::vector<keras::Tensor> weights;
    std::uint64_t seed = 50;
    for (const auto& w : model.get_weights()) weights.push_back(keras::random::uniform(w.shape(), -0.1F, 0.1F, ++seed));
    model.set_weights(weights);
    return model;
  };
  std::vector<keras::Tensor> inputs;
  std::vector<std::vector<keras::Tensor>> reference;
  {
    const keras::Model separate = make_model();
    for (int t = 0; t < kThreads; ++t) {
      inputs.push_back(keras::random::uniform({1 + 9 * (t % 4), 256}, -1.0F, 1.0F, 60 + t));
      reference.push_back(separate.predict({inputs.back()}));
    }
  }
  for (int round = 0; round < 3; ++round) {
    const keras::Model model = make_model();
    std::vector<int> same(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const auto index = static_cast<std::size_t>(t);
        same[index] = identical(model.predict({inputs[index]}), reference[index]) ? 1 : 0;
        if (t % 2 == 0) same[index] += model.get_weights().size() == 4 ? 1 : 0;  // reads beside the others
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(same[static_cast<std::size_t>(t)], t % 2 == 0 ? 2 : 1) << t;
  }
}

// A raw operation may mix samples (a mean over the batch axis): such a model runs each batch
// whole, as Keras does, whatever the thread count.
TEST(Threads, ModelsWithRawOperationsRunEachBatchWhole) {
  keras::KerasTensor x = keras::Input({3});
  keras::KerasTensor y = keras::layers::Dense(2)(x);
  const keras::Model model({x}, keras::ops::mean(y, 0, /*keepdims=*/true));
  const auto inputs = tiled({keras::Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6})}, 4);
  std::vector<keras::Tensor> one;
  {
    const NumThreads threads(1);
    one = model.predict(inputs, 8);
  }
  const NumThreads threads(2);
  const auto two = model.predict(inputs, 8);
  ASSERT_EQ(two.at(0).shape(), (keras::Shape{1, 2}));
  EXPECT_TRUE(identical(two, one));
}

// run_with_team keeps a second thread waiting for the tasks of each parallel_tasks call in its
// body: over many consecutive jobs, every task of every job runs exactly once, however the two
// threads race for them; a task's own parallel_tasks runs inline; the first exception of a task
// or of the body reaches the caller, and the team can be started again afterwards.
TEST(Threads, ATeamRunsEachTaskOfEachJobOnce) {
  constexpr int kJobs = 5000;
  constexpr int kTasks = 8;
  std::vector<std::atomic<int>> runs(static_cast<std::size_t>(kJobs * kTasks));
  std::atomic<int> nested{0};
  keras::kernels::run_with_team(2, [&] {
    for (int job = 0; job < kJobs; ++job) {
      keras::kernels::parallel_tasks(kTasks, 2, [&](std::int64_t task) {
        runs[static_cast<std::size_t>(job * kTasks + task)].fetch_add(1);
        volatile int spin = 0;  // long enough for the other thread to claim tasks too
        for (int i = 0; i < 200; ++i) spin = spin + i;
        if (job % 500 == 0 && task == 0)
          keras::kernels::parallel_tasks(4, 2, [&](std::int64_t) { nested.fetch_add(1); });
      });
    }
  });
  int wrong = 0;
  for (const auto& r : runs) wrong += r.load() == 1 ? 0 : 1;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(nested.load(), 4 * (kJobs / 500));

  auto throwing_task = [] {
    keras::kernels::run_with_team(2, [] {
      keras::kernels::parallel_tasks(8, 2, [](std::int64_t task) {
        if (task == 5) throw std::runtime_error("task 5 failed");
      });
    });
  };
  EXPECT_THROW(throwing_task(), std::runtime_error);
  EXPECT_THROW(keras::kernels::run_with_team(2, [] { throw keras::ValueError("body failed"); }), keras::ValueError);
  std::atomic<int> after{0};
  keras::kernels::run_with_team(2, [&] { keras::kernels::parallel_tasks(2, 2, [&](std::int64_t) { after++; }); });
  EXPECT_EQ(after.load(), 2);
}

// Batch 1 on two threads runs in a team; a model whose call handed the team nothing runs
// without one afterwards. Both give one thread's results bit for bit, call after call.
TEST(Threads, BatchOneOnTwoThreadsRepeatsOneThreadsResults) {
  for (const auto& name : kCases) {
    SCOPED_TRACE(name);
    const keras::Model model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
    std::vector<keras::Tensor> first;
    for (const auto& t : keras_test::fixture_inputs(name)) {
      keras::Shape size = t.shape();
      size[0] = 1;
      first.push_back(keras::kernels::slice(t, std::vector<std::int64_t>(size.size(), 0), size));
    }
    std::vector<keras::Tensor> one;
    {
      const NumThreads threads(1);
      one = model.predict(first);
    }
    const NumThreads threads(2);
    for (int repeat = 0; repeat < 3; ++repeat) EXPECT_TRUE(identical(model.predict(first), one));
  }
}

}  // namespace
