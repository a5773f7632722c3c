// libFuzzer target (c): whole .keras archives through keras::load_model, with a custom mutator
// that unpacks the archive with libzip, mutates one member (JSON by tree, HDF5 by bytes) or the
// member list, and packs it again with valid headers and CRCs (fuzz/zip_members.hpp); the
// crossover swaps members between archives. Seeds: the fixture archives.
// See keras_fuzz::run_archive (fuzz/targets.hpp).
#include "fuzz_report.hpp"
#include "targets.hpp"
#include "zip_members.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static_cast<void>(keras_fuzz::class_names());
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return keras_fuzz::mutate_archive(data, size, max_size, seed);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2, std::uint8_t* out,
                                                 std::size_t max_out, unsigned int seed) {
  return keras_fuzz::cross_over_archives(data1, size1, data2, size2, out, max_out, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return keras_fuzz::report(keras_fuzz::run_archive({data, size}));
}
