// libFuzzer target (b): the HDF5 weight store opened from an in-memory file image (the core
// driver, H5Pset_file_image) and loaded into one of the fixture models of
// fuzz/weights_models.txt. An input is a byte choosing the model, then the file image. The
// custom mutator keeps the choice (mostly) and mutates the image (fuzz/h5_mutator.hpp).
// Seeds: each model's own model.weights.h5. See keras_fuzz::run_weights_h5 (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "h5_mutator.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static_cast<void>(keras_fuzz::weights_models());
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  std::minstd_rand rng(seed);
  if (size < 2 || max_size < 2) return LLVMFuzzerMutate(data, size, max_size);
  // One time in 32 the file goes to another model: weights that do not fit it.
  if (keras_fuzz::h5_pick(rng, 32) == 0) {
    data[0] = static_cast<std::uint8_t>(keras_fuzz::h5_pick(rng, 256));
    return size;
  }
  return 1 + keras_fuzz::mutate_h5_bytes(data + 1, size - 1, max_size - 1, rng);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_weights_h5({data, size}));
}
