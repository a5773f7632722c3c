// The seed example of keras3's save_model() reference page, in C++:
//
//   model <- keras_model_sequential(input_shape = c(3)) |>
//     layer_dense(5) |> layer_activation_softmax()
//   model |> save_model("model.keras")
//   loaded_model <- load_model("model.keras")
//   x <- random_uniform(c(10, 3))
//   stopifnot(all.equal(predict(model, x), predict(loaded_model, x)))
//   zip::zip_list("model.keras")[, "filename"]
//
// It also leaves out/demo/{model.keras, x.npy, y.npy} for checking the file
// with Python Keras.
#include <filesystem>
#include <iostream>

#include "keras/keras.hpp"

int main() {
  namespace fs = std::filesystem;
  try {
    keras::Sequential model({keras::Input({3}), keras::layers::Dense(5), keras::layers::Softmax()});

    const fs::path out_dir = "out/demo";
    fs::create_directories(out_dir);
    const fs::path path = out_dir / "model.keras";
    keras::save_model(model, path, {.overwrite = true});
    keras::Model loaded_model = keras::load_model(path);

    keras::Tensor x = keras::random::uniform({10, 3});
    keras::Tensor expected = model.predict(x).front();
    keras::Tensor actual = loaded_model.predict(x).front();
    if (!keras::allclose(actual, expected, 1.5e-8, 1.5e-8)) {  // R's all.equal tolerance
      std::cerr << "predictions differ after loading (max |diff| = " << keras::max_abs_diff(actual, expected) << ")\n";
      return 1;
    }
    std::cout << "predict(model, x) and predict(loaded_model, x) are equal\n\n";

    model.print_summary();
    std::cout << "\nzip_list(\"" << path.string() << "\"):\n";
    int i = 1;
    for (const auto& member : keras::saving::archive_members(path))
      std::cout << "[" << i++ << "] \"" << member << "\"\n";

    keras::save_npy(out_dir / "x.npy", x);
    keras::save_npy(out_dir / "y.npy", expected);
    std::cout << "\nwrote " << path.string() << ", " << (out_dir / "x.npy").string() << ", "
              << (out_dir / "y.npy").string() << "\n";
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
