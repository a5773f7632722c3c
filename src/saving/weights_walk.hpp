// The saving walk (spec §4.3): which object's variables live at which HDF5
// path. Weights are matched by this path, never by layer name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keras/models.hpp"
#include "saving/h5_file.hpp"

namespace keras::saving {

struct WalkEntry {
  std::string path;  // "" for the root model, else "layers/dense", "layers/lstm/cell", ...
  Layer* layer;      // each object appears once, at the first path reached
  // Reached as an attribute of its parent (an RNN's cell, AugMix's
  // random_shear, ...) rather than as an item of a layer list.
  bool attribute = false;
};

std::vector<WalkEntry> walk_model(const ModelImpl& model);

// Writes every object's variables (and empty named vars groups) under `root`.
void save_weights_to(const ModelImpl& model, const H5Group& root);
// An upper bound on the size of the file save_weights_to() writes: the
// variables' bytes and a generous allowance for HDF5's groups, headers and
// B-trees.
std::uint64_t weights_file_size_bound(const ModelImpl& model);
// Loads every object's variables from `root`, checking counts and shapes
// before allocating. Errors are collected and raised together, naming `origin`.
void load_weights_from(const ModelImpl& model, const H5Group& root, const std::string& origin);

// The vars groups holding an object's variables: one for a plain file, or
// several when a sharded set splits the group across shards. Empty: absent.
using VarsGroupLookup = std::function<std::vector<H5Group>(const std::string& object_path)>;
struct LoadWeightsReport {
  std::vector<std::string> warnings;  // with skip_mismatch: what was skipped
};
LoadWeightsReport load_weights_with(const ModelImpl& model, const VarsGroupLookup& lookup, const std::string& origin,
                                    bool skip_mismatch);
bool has_vars_group(const H5Group& root, const std::string& path);
// Sets variables[i] from dataset "i" of the first of `groups` that holds it,
// after checking that every dataset exists and has the variable's shape
// (FormatError / ShapeMismatchError naming `group_path` and the `what`).
void assign_from_vars(const std::vector<VariablePtr>& variables, const std::vector<H5Group>& groups,
                      const std::string& group_path, const std::string& what);

// Opens path/vars (creating intermediate groups when `create`).
H5Group open_vars_group(const H5Group& root, const std::string& path);
H5Group create_vars_group(const H5Group& root, const std::string& path);

}  // namespace keras::saving
