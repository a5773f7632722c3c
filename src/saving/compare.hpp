// Structural comparison of two saved models (.keras zips or directories): the
// test of "the same file Keras writes". Members, metadata.json apart from
// date_saved, config.json apart from shared_object_id (key order, value types
// and numbers as written), and the HDF5 tree: paths, attributes, dtypes,
// shapes and bit-identical values.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "keras/json.hpp"

namespace keras::saving {

struct CompareOptions {
  bool compare_values = true;  // false: datasets must agree in dtype and shape only
  // Dataset paths (e.g. "layers/dense/vars/0") whose values may differ.
  std::vector<std::string> ignore_values_of;
  std::size_t max_differences = 20;
};

// An empty list means equal; otherwise one line per difference.
std::vector<std::string> compare_saved_models(const std::filesystem::path& a, const std::filesystem::path& b,
                                              const CompareOptions& options = {});
// Two weights .h5 files (or in-memory images) compared as HDF5 trees.
std::vector<std::string> compare_h5_images(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
                                           const CompareOptions& options = {});
// Removes every "shared_object_id" key, recursively.
Json strip_shared_object_ids(const Json& value);

}  // namespace keras::saving
