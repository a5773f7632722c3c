// Checks of keras-cpp against the Keras 3.16 fixtures, shared by every test.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

// The arrays of an .npz file, by name.
std::map<std::string, keras::Tensor> read_npz(const std::filesystem::path& path);
// The datasets of a vars group in the fixture's model.weights.h5, in index order.
std::vector<keras::Tensor> fixture_optimizer_vars(const std::string& case_name,
                                                  const std::string& group = "optimizer/vars");
// An optimizer_* case replayed: from w{i}_0, applying g{i}_s must give w{i}_s
// for the 3 steps of steps.npz, and the optimizer's variables must then equal
// those in Keras' file, each within 1e-6 + 1e-5 |expected|. Returns what
// differs (empty: everything matches).
std::vector<std::string> optimizer_step_mismatches(const std::string& case_name);

// The losses_metrics fixture: cases.json (its "losses" and "metrics" lists)
// and the arrays they name.
const keras::Json& losses_metrics_cases();
const std::map<std::string, keras::Tensor>& losses_metrics_arrays();
// Rows [start, end) of a tensor along its first axis.
keras::Tensor first_axis_rows(const keras::Tensor& t, std::int64_t start, std::int64_t end);
// One case replayed: the loss value (or the metric's result after its
// batches) of the deserialized object. `list` is "losses" or "metrics".
keras::Tensor losses_metrics_value(const std::string& list, std::size_t index);
// How far that value is from Keras' beyond 1e-6 relative (1e-7 absolute
// for exact zeros); <= 0 when it matches.
double losses_metrics_excess(const std::string& list, std::size_t index);

}  // namespace keras_test
