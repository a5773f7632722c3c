// Training throughput: one epoch of Model::fit on synthetic MNIST-sized data
// (28x28 grayscale images, 10 classes, sparse integer labels), batch 128,
// shuffled, Adam, sparse categorical crossentropy with an accuracy metric.
//   train/mlp_epoch/threads:T   Flatten -> Dense(128, relu) -> Dense(10, softmax), 60000 samples
//   train/cnn_epoch/threads:T   Keras' "simple MNIST convnet": Conv2D(32, 3, relu) -> MaxPooling2D(2) ->
//                               Conv2D(64, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dropout(0.5) ->
//                               Dense(10, softmax), on the first 6000 samples (a tenth of MNIST's
//                               training set, so that one row takes seconds, not minutes)
// Items per second are samples per second; T is keras::set_num_threads. KERAS_BENCH_TRAIN_SAMPLES
// overrides both sample counts (e.g. 60000 for the whole set, or a few hundred for a smoke run).
// One iteration is one epoch; the model is built and compiled outside the timed loop, and each
// iteration trains a fresh copy of the same initial weights.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "keras/keras.hpp"

namespace {

namespace layers = keras::layers;

constexpr std::int64_t kBatch = 128;

std::int64_t samples(std::int64_t fallback) {
  if (const char* env = std::getenv("KERAS_BENCH_TRAIN_SAMPLES"); env != nullptr && *env != '\0') {
    const long long value = std::atoll(env);
    if (value > 0) return value;
  }
  return fallback;
}

struct Data {
  keras::Tensor x;
  keras::Tensor y;
};

// Pixels uniform in [0, 1), labels uniform over 0..9 (as float, what sparse losses take).
Data mnist_like(std::int64_t n) {
  Data d;
  d.x = keras::random::uniform({n, 28, 28, 1}, 0.0F, 1.0F, 11);
  std::vector<float> labels = keras::random::uniform({n}, 0.0F, 10.0F, 12).to_vector();
  for (float& l : labels) l = static_cast<float>(static_cast<int>(l));
  d.y = keras::Tensor::from_vector({n}, labels);
  return d;
}

keras::Model mlp() {
  return keras::Sequential({keras::Input({28, 28, 1}), layers::Flatten(), layers::Dense(128, {.activation = "relu"}),
                            layers::Dense(10, {.activation = "softmax"})});
}

keras::Model cnn() {
  return keras::Sequential({keras::Input({28, 28, 1}), layers::Conv2D(32, {3, 3}, {.activation = "relu"}),
                            layers::MaxPooling2D({2, 2}), layers::Conv2D(64, {3, 3}, {.activation = "relu"}),
                            layers::MaxPooling2D({2, 2}), layers::Flatten(), layers::Dropout(0.5),
                            layers::Dense(10, {.activation = "softmax"})});
}

void compile(const keras::Model& model) {
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
}

void train_epoch(benchmark::State& state, keras::Model (*build)(), std::int64_t default_samples) {
  const int threads = static_cast<int>(state.range(0));
  const std::int64_t n = samples(default_samples);
  try {
    const Data data = mnist_like(n);
    keras::Model model = build();
    compile(model);
    const auto initial = keras::save_model(model);
    keras::set_num_threads(threads);
    for (auto _ : state) {
      state.PauseTiming();
      keras::Model fresh = keras::load_model(initial);
      state.ResumeTiming();
      auto history = fresh.fit(data.x, data.y, {.batch_size = kBatch, .epochs = 1, .verbose = 0, .seed = 1});
      benchmark::DoNotOptimize(history);
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.SetLabel("samples=" + std::to_string(n) + " batch=" + std::to_string(kBatch) +
                   " threads=" + std::to_string(threads));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void register_all() {
  for (const auto& [name, build, fallback] : {std::tuple{"train/mlp_epoch", &mlp, std::int64_t{60000}},
                                              std::tuple{"train/cnn_epoch", &cnn, std::int64_t{6000}}}) {
    auto* b = benchmark::RegisterBenchmark(
        name, [build = build, fallback = fallback](benchmark::State& s) { train_epoch(s, build, fallback); });
    b->ArgName("threads")->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
}

const int registered = (register_all(), 0);

}  // namespace
