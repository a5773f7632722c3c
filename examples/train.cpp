// Training in C++: build a model, compile it, fit it on a synthetic data set,
// save it, load it back and continue training where it stopped.
//
//   x: 512 samples of 8 features from a standard normal (seed 2024)
//   y: 1 where the sum of the first three features is positive, else 0
//   Input(8) -> Dense(16, relu) -> Dense(1, sigmoid), Adam(0.01), binary crossentropy
//   30 epochs of batch 32 (480 optimizer steps), then 5 more after reloading
//
// Usage: example_train [OUT_DIR] (default out/train). It writes model.keras
// (after 30 epochs), resumed.keras (after 35), x.npy and y.npy, and exits 1
// unless the model reaches a training accuracy of 0.95 with 480 optimizer
// iterations in the saved file, predicts the same after loading, and keeps
// learning from the saved optimizer state. Python Keras loads both files:
//   keras.saving.load_model("out/train/model.keras").optimizer.iterations  # 480
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "keras/callbacks.hpp"  // History, beside keras/keras.hpp
#include "keras/keras.hpp"

namespace {

// The data set, reproducible from the seed.
std::pair<keras::Tensor, keras::Tensor> sum_of_three(std::int64_t samples, std::uint64_t seed) {
  keras::Tensor x = keras::random::normal({samples, 8}, 0.0F, 1.0F, seed);
  const std::vector<float> values = x.to_vector();
  std::vector<float> y(static_cast<std::size_t>(samples));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = values[i * 8] + values[i * 8 + 1] + values[i * 8 + 2] > 0 ? 1 : 0;
  return {x, keras::Tensor::from_vector({samples, 1}, y)};
}

bool check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok:     " : "FAILED: ") << what << "\n";
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  namespace layers = keras::layers;
  try {
    const fs::path out_dir = argc > 1 ? argv[1] : "out/train";
    fs::create_directories(out_dir);
    auto [x, y] = sum_of_three(512, 2024);

    keras::KerasTensor input = keras::Input({8});
    keras::KerasTensor hidden = layers::Dense(16, {.activation = "relu"})(input);
    keras::Model model(input, layers::Dense(1, {.activation = "sigmoid"})(hidden));
    model.compile(
        {.optimizer = std::make_shared<keras::optimizers::Adam>(keras::optimizers::AdamOptions{.learning_rate = 0.01}),
         .loss = "binary_crossentropy",
         .metrics = {"accuracy"}});

    // verbose 2: one line per epoch, as Keras prints it.
    auto history = model.fit(x, y, {.batch_size = 32, .epochs = 30, .verbose = 2, .seed = 7});
    const keras::Logs trained = model.evaluate(x, y, {.verbose = 0});
    std::printf("\nafter 30 epochs: loss %.4f, accuracy %.4f (history: loss %.4f -> %.4f)\n", trained.at("loss"),
                trained.at("accuracy"), (*history)["loss"].front(), (*history)["loss"].back());

    const fs::path path = out_dir / "model.keras";
    keras::save_model(model, path, {.overwrite = true});
    keras::save_npy(out_dir / "x.npy", x);
    keras::save_npy(out_dir / "y.npy", y);

    // A new process would start here: everything comes back from the file.
    keras::Model loaded = keras::load_model(path);
    const std::int64_t iterations = loaded.optimizer()->iterations();
    const double difference = keras::max_abs_diff(loaded.predict(x).front(), model.predict(x).front());
    std::printf("loaded %s: %s, %lld optimizer iterations, largest prediction difference %g\n\n", path.string().c_str(),
                loaded.optimizer()->class_name().c_str(), static_cast<long long>(iterations), difference);

    auto more = loaded.fit(x, y, {.batch_size = 32, .epochs = 35, .verbose = 2, .seed = 7, .initial_epoch = 30});
    const keras::Logs resumed = loaded.evaluate(x, y, {.verbose = 0});
    keras::save_model(loaded, out_dir / "resumed.keras", {.overwrite = true});
    std::printf("\nafter 35 epochs: loss %.4f, accuracy %.4f, %lld optimizer iterations; wrote %s\n\n",
                resumed.at("loss"), resumed.at("accuracy"), static_cast<long long>(loaded.optimizer()->iterations()),
                (out_dir / "resumed.keras").string().c_str());

    bool ok = check(trained.at("accuracy") >= 0.95, "training accuracy >= 0.95 after 30 epochs");
    ok = check(iterations == 480, "480 optimizer iterations in the saved file") && ok;
    ok = check(difference == 0.0, "the loaded model predicts what the trained one did") && ok;
    ok = check(loaded.optimizer()->iterations() == 480 + 5 * 16, "5 more epochs continue the iteration count") && ok;
    ok = check(resumed.at("loss") < trained.at("loss"), "continued training lowers the loss further") && ok;
    return ok ? 0 : 1;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
