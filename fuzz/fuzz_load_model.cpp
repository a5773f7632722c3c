// libFuzzer target: arbitrary bytes as a .keras archive held in memory (zip -> config.json ->
// layers -> model.weights.h5). keras::Error is the expected answer to bad input; anything else
// escaping (another exception, a crash, a sanitizer report, a huge allocation) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "keras/keras.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    keras::Model model = keras::load_model(std::as_bytes(std::span<const std::uint8_t>(data, size)));
    // A model that loads must also describe itself without failing.
    static_cast<void>(keras::to_json(model));
  } catch (const keras::Error&) {
  }
  return 0;
}
