// Checks of keras-cpp against the Keras 3.16 fixtures, shared by every test.
#pragma once

#include <string>

#include "keras/keras.hpp"

namespace keras_test {

// The fixture case tests/data/keras-3.16/<case>: loads the artifact, predicts
// every x*.npy and compares with Keras' y*.npy within the case's atol/rtol
// (through the API and through `keras-cpp predict`), then converts it with
// `keras-cpp convert` and checks the result is structurally identical to
// Keras' file.
void expect_fixture_matches(const std::string& case_name);
// Only the prediction part (API + CLI).
void expect_fixture_predicts(const std::string& case_name);
// Only the conversion part.
void expect_fixture_converts_identically(const std::string& case_name);

// The config entry of the layer named `layer_name` in the fixture's
// config.json (searched recursively), without name/inbound_nodes and
// shared_object_id.
keras::Json fixture_layer_entry(const std::string& case_name, const std::string& layer_name);
// A layer built in C++ serializes (module, class_name, config,
// registered_name, build_config) exactly as Keras did for that layer.
void expect_config_matches_fixture(const keras::LayerRef& layer, const std::string& case_name,
                                   const std::string& layer_name);
// A whole model's config.json equals the fixture's (apart from shared_object_id).
void expect_model_config_matches_fixture(const keras::Model& model, const std::string& case_name);

// Elementwise comparison with the case tolerance, as a gtest assertion.
void expect_close(const keras::Tensor& actual, const keras::Tensor& expected, double atol, double rtol,
                  const std::string& what);

}  // namespace keras_test
