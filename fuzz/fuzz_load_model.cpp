// libFuzzer target: arbitrary bytes as a .keras archive held in memory (zip -> config.json ->
// layers -> model.weights.h5), mutated as plain bytes; fuzz_archive mutates the members instead.
// See keras_fuzz::run_load_model (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_load_model({data, size}));
}
