// libFuzzer target: arbitrary bytes as a .npy file. See keras_fuzz::run_npy (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_npy({data, size}));
}
