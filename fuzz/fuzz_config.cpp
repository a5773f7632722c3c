// libFuzzer target (a): config.json-shaped JSON through the model builder, with a custom
// mutator that mutates the parsed tree (fuzz/json_mutator.hpp) and a crossover that grafts a
// subtree of one config into another. Seeds: the config.json of every fixture archive.
// See keras_fuzz::run_config (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "json_mutator.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static_cast<void>(keras_fuzz::class_names());
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return keras_fuzz::mutate_json_input(data, size, max_size, seed);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2, std::uint8_t* out,
                                                 std::size_t max_out, unsigned int seed) {
  return keras_fuzz::cross_over_json(data1, size1, data2, size2, out, max_out, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_config({data, size}));
}
