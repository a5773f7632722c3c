// Older file dialects a reader must tolerate (spec §7.3, §8): Keras 2 model
// configs (legacy HDF5 `model_config`, to_json, Keras 2.12-2.15 `.keras`),
// Keras 3.0-3.15 configs, and the Keras 2.12-2.14 weight layout under
// `_layer_checkpoint_dependencies`.
#pragma once

#include "keras/json.hpp"
#include "keras/models.hpp"
#include "saving/h5_file.hpp"
#include "saving/weights_walk.hpp"

namespace keras::saving {

// Rewrites a model (or layer) envelope into the form the 3.16 deserializers
// read. Returns 3.16 configs unchanged. What it rewrites:
//  - the legacy JSON encoder's {"class_name": "__tuple__" | "TensorShape", "items": [...]} (lists),
//    {"class_name": "__ellipsis__"} and {"class_name": "__bytes__", "value": ...} (Keras 3 forms);
//  - layer entries without `module` (Keras' legacy model_from_config): a one-element list `axis`
//    becomes an int; InputLayer's batch_input_shape becomes batch_shape;
//  - a Sequential whose first layer is not an InputLayer but carries batch_input_shape gets an
//    InputLayer with that batch shape; a bare-list Sequential config becomes {"name", "layers"};
//  - Keras 2 list-form inbound nodes become the dict form, with Keras 2's +1 node offset removed
//    for nested graph models (a Functional, or a Sequential that starts with an InputLayer), and
//    the same offset removed from input_layers/output_layers for such Sequentials (the Functional
//    loader already removes it for Functionals).
Json normalize_config_dialect(const Json& envelope);

// The vars groups of one object in a weights file rooted at `root`: the
// walk path, else (Keras 2.12-2.14 `.keras`) the path under
// `_layer_checkpoint_dependencies`, whose container counter advances twice for
// every layer with weights; else Keras' own fallback (the path with "layers"
// replaced). `root` must outlive the returned lookup.
VarsGroupLookup vars_group_lookup(const ModelImpl& model, const H5Group& root);

// For each object path of the Keras 3 walk, the path Keras 2.12-2.14 wrote it
// at (only objects inside model layer lists differ; others map to themselves).
std::vector<std::pair<std::string, std::string>> checkpoint_dependency_paths(const ModelImpl& model);

}  // namespace keras::saving
