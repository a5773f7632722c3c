// compile_config handling shared by model loading: Keras'
// compile_from_config (spec §3.11) and the checks on loss / metric identifiers.
#pragma once

#include "keras/models.hpp"

namespace keras::detail {

// Keras' compile_from_config: deserializes a non-empty compile_config and
// compiles `model` with it. The optimizer is not built here: loading decides
// that from the weights file (spec §4.3, reader recipe step 6).
void compile_from_config(ModelImpl& model, const Json& compile_config);

// Checks loss / metric identifiers (names, envelopes, lists and dicts of
// them). `check_names` also rejects unknown strings (Keras only does so at
// training time; compile() checks them early, loading does not).
void validate_losses(const Json& loss, bool check_names);
void validate_metrics(const Json& metrics, bool check_names);

}  // namespace keras::detail
