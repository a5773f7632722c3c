// Reading the legacy Keras 2 / HDF5 whole-model format (`.h5`, `.hdf5`,
// spec §7): the model_config attribute and the model_weights groups. Writing
// it is deliberately not supported (save as `.keras`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "keras/saving.hpp"
#include "saving/h5_file.hpp"

namespace keras::saving {

struct LegacyWeightsOptions {
  // Shape mismatches become warnings and the weight is skipped (Keras' skip_mismatch).
  bool skip_mismatch = false;
  // Match file groups to model layers by name instead of by position.
  bool by_name = false;
};

// keras.models.load_model on a legacy whole-model file: the model from the
// root's model_config (Keras 2 or Keras 3 dialect), then its weights by
// topological order. With options.compile, the model is compiled from the
// training_config and the optimizer variables are set from optimizer_weights;
// as in Keras, state that does not fit (e.g. Keras 2 optimizers) only warns.
// ValueError "No model config found in the file at {path}." without one.
Model load_legacy_h5_model(const std::filesystem::path& path, const LoadModelOptions& options = {});

// keras.Model.load_weights on a legacy `.h5`: the weights of the root (when
// it has layer_names) or of its model_weights group.
void load_legacy_h5_weights(const Model& model, const std::filesystem::path& path,
                            const LegacyWeightsOptions& options = {});

// Spec §7.2 on a group holding layer_names; Keras' error messages, prefixed
// with `origin`. Returns the warnings of skip_mismatch (also printed).
std::vector<std::string> load_legacy_weights_from_group(const ModelImpl& model, const H5Group& group,
                                                        const std::string& origin,
                                                        const LegacyWeightsOptions& options = {});

// An attribute list as Keras' load_attributes_from_hdf5_group reads it: the
// attribute `name`, or the chunks name0, name1, ... concatenated; empty when
// absent (or an empty numeric array).
std::vector<std::string> read_chunked_string_list(const H5Group& group, const std::string& name);

}  // namespace keras::saving
