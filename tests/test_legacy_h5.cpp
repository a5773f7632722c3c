// The legacy Keras 2 / HDF5 whole-model format (spec §7): load_model("x.h5"),
// load_weights from legacy files with Keras' messages, conversion to .keras.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "saving/h5_file.hpp"
#include "saving/legacy_h5.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::TempDir;
namespace layers = keras::layers;

std::filesystem::path legacy_fixture() { return keras_test::fixture_dir("legacy_h5") / "model.h5"; }

void expect_same_weights(const keras::Model& a, const keras::Model& b) {
  auto wa = a.get_weights();
  auto wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(keras::allclose(wa[i], wb[i], 0, 0)) << "weight " << i;
}

template <typename E>
std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no exception";
  return {};
}

// The fixture's architecture with other layer names (weights by position).
keras::Model fixture_shaped_model(std::int64_t first_units = 8, bool first_bias = true) {
  auto x = keras::Input({6});
  auto h = layers::Dense(first_units, {.activation = "relu", .use_bias = first_bias, .name = "d0"})(x);
  h = layers::BatchNormalization({.name = "bn"})(h);
  auto y = layers::Dense(3, {.activation = "softmax", .name = "d1"})(h);
  return keras::Model(x, y, "other");
}

TEST(LegacyH5, FixturePredictsThroughApiAndCli) { keras_test::expect_fixture_predicts("legacy_h5"); }

TEST(LegacyH5, LoadsKerasLayerNamesAndWeightsFromDatasets) {
  keras::Model model = keras::load_model(legacy_fixture());
  EXPECT_EQ(model.name(), "functional_42");
  EXPECT_EQ(model.get_layer("dense_17")->class_name(), "Dense");
  // Values straight from the file's datasets, located through weight_names.
  auto file = keras::saving::H5File::open_read(legacy_fixture());
  auto group = file.root().group("model_weights/batch_normalization_5");
  auto names = keras::saving::read_chunked_string_list(group, "weight_names");
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[3], "batch_normalization_5/moving_variance");
  auto bn = model.get_layer("batch_normalization_5");
  auto variables = bn->weights();
  ASSERT_EQ(variables.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(keras::allclose(variables[i]->value(), group.read_dataset(names[i]), 0, 0)) << names[i];
}

TEST(LegacyH5, ConvertsToKerasFormatWithTheSameModel) {
  TempDir tmp;
  std::string output;
  ASSERT_EQ(keras_test::run_cli({"convert", legacy_fixture().string(), (tmp / "m.keras").string()}, &output), 0)
      << output;
  keras::Model legacy = keras::load_model(legacy_fixture());
  keras::Model converted = keras::load_model(tmp / "m.keras");
  expect_same_weights(legacy, converted);
  auto c = keras_test::fixture_case("legacy_h5");
  keras_test::expect_close(converted.predict(keras_test::fixture_inputs("legacy_h5"))[0],
                           keras_test::fixture_outputs("legacy_h5")[0], c.at("atol"), c.at("rtol"), "converted");
  // The native file has Keras 3.16's envelopes (module, build_config) that the legacy dialect lacks.
  keras::Json config = keras::parse_json(keras::to_json(converted), "converted");
  EXPECT_EQ(config.at("module"), "keras.src.models.functional");
  EXPECT_EQ(config.at("config").at("layers").at(1).at("build_config").at("input_shape"),
            keras::Json::parse("[null, 6]"));
  auto members = keras::saving::archive_members(tmp / "m.keras");
  EXPECT_EQ(members, (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
}

TEST(LegacyH5, WritingLegacyFilesIsRefused) {
  TempDir tmp;
  keras::Model model = keras::load_model(legacy_fixture());
  EXPECT_THROW(keras::save_model(model, tmp / "x.h5"), keras::ValueError);
  std::string output;
  EXPECT_NE(keras_test::run_cli({"convert", legacy_fixture().string(), (tmp / "y.h5").string()}, &output), 0);
  EXPECT_FALSE(std::filesystem::exists(tmp / "y.h5"));
}

TEST(LegacyH5, SequentialWithTrainingConfigMatchesItsWeightsFile) {
  auto dir = keras_test::data_path("format-examples");
  keras::Model legacy = keras::load_model(dir / "ex5_legacy.h5");
  EXPECT_EQ(legacy.name(), "seqm");
  EXPECT_EQ(legacy.layers().size(), 3u);
  // The same weights, written by Keras as a .weights.h5 file.
  keras::Model fresh = keras::model_from_json(keras::to_json(legacy));
  keras::load_weights(fresh, dir / "ex5.weights.h5");
  expect_same_weights(legacy, fresh);
  std::vector<float> values(12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25f * static_cast<float>(i) - 1.0f;
  keras::Tensor x = keras::Tensor::from_vector({4, 3}, values);
  EXPECT_TRUE(keras::allclose(legacy.predict(x)[0], fresh.predict(x)[0], 0, 0));
}

TEST(LegacyH5, TrainingConfigAndOptimizerStateAreRestored) {
  auto dir = keras_test::data_path("format-examples");
  keras::Model legacy = keras::load_model(dir / "ex5_legacy.h5");
  ASSERT_TRUE(legacy.impl().optimizer);
  EXPECT_EQ(legacy.impl().optimizer->class_name(), "Adam");
  EXPECT_EQ(legacy.impl().compile_config.at("loss"), "mse");
  // Keras saved the same compiled model with save_weights: model and optimizer
  // variables, which keras-cpp now writes identically.
  TempDir tmp;
  keras::save_weights(legacy, tmp / "out.weights.h5");
  auto read = [](const std::filesystem::path& p) {
    std::string s = keras_test::read_text_file(p);
    std::vector<std::byte> out(s.size());
    std::memcpy(out.data(), s.data(), s.size());
    return out;
  };
  auto differences = keras::saving::compare_h5_images(read(dir / "ex5.weights.h5"), read(tmp / "out.weights.h5"));
  std::string joined;
  for (const auto& d : differences) joined += "\n  " + d;
  EXPECT_TRUE(differences.empty()) << joined;
  // compile = false: no optimizer.
  keras::Model uncompiled = keras::load_model(dir / "ex5_legacy.h5", {.compile = false});
  EXPECT_FALSE(uncompiled.impl().optimizer);
}

// ex5_legacy.h5 rewritten with another optimizer config and Keras 2's optimizer_weights.
void write_with_training_config(const std::filesystem::path& path, const keras::Json& optimizer_config) {
  auto dir = keras_test::data_path("format-examples");
  keras::Model source = keras::load_model(dir / "ex5_legacy.h5", {.compile = false});
  auto file = keras::saving::H5File::open_read(dir / "ex5_legacy.h5");
  keras::Json training = keras::parse_json(*file.root().string_attr("training_config"), "training_config");
  training["optimizer_config"] = optimizer_config;
  auto out = keras::saving::H5File::create(path);
  out.root().set_string_attr("model_config", *file.root().string_attr("model_config"));
  out.root().set_string_attr("training_config", keras::dump_json_like_python(training));
  auto weights = out.root().create_group("model_weights");
  std::vector<std::string> names;
  for (const auto& layer : source.layers()) {
    names.push_back(layer->name());
    auto group = weights.create_group(layer->name());
    std::vector<std::string> weight_names;
    for (const auto& v : layer->weights()) {
      weight_names.push_back(v->name() + ":0");
      group.write_dataset(v->name() + ":0", v->value());
    }
    group.set_string_list_attr("weight_names", weight_names);
  }
  weights.set_string_list_attr("layer_names", names);
  // Keras 2's slot names and count differ from Keras 3's.
  auto optimizer = out.root().create_group("optimizer_weights");
  optimizer.write_dataset("iter:0", keras::Tensor::scalar(3, keras::DType::int64));
  optimizer.set_string_list_attr("weight_names", {"iter:0"});
  out.close();
}

TEST(LegacyH5, UnusableOptimizerStateOnlyWarns) {
  TempDir tmp;
  // Keras 2's optimizer arguments: compiled, but the optimizer state does not fit.
  write_with_training_config(tmp / "k2.h5", keras::Json::parse(R"({"class_name": "Adam", "config": {"name": "Adam",
      "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}})"));
  keras::Model model = keras::load_model(tmp / "k2.h5");
  ASSERT_TRUE(model.impl().optimizer);
  EXPECT_EQ(model.impl().optimizer->iterations(), 0);
  std::string output;
  ASSERT_EQ(keras_test::run_cli({"convert", (tmp / "k2.h5").string(), (tmp / "k2.keras").string()}, &output), 0);
  EXPECT_NE(output.find("freshly initialized optimizer"), std::string::npos) << output;
  // An optimizer keras-cpp does not know: the model loads uncompiled.
  write_with_training_config(tmp / "unknown.h5",
                             keras::Json::parse(R"({"class_name": "NoSuchOptimizer", "config": {"name": "x"}})"));
  keras::Model uncompiled = keras::load_model(tmp / "unknown.h5");
  EXPECT_FALSE(uncompiled.impl().optimizer);
  expect_same_weights(model, uncompiled);
  ASSERT_EQ(keras_test::run_cli({"convert", (tmp / "unknown.h5").string(), (tmp / "u.keras").string()}, &output), 0);
  EXPECT_NE(output.find("not* compiled"), std::string::npos) << output;
}

TEST(LegacyH5, LoadWeightsFromLegacyFileByPosition) {
  keras::Model model = fixture_shaped_model();
  keras::load_weights(model, legacy_fixture());
  auto c = keras_test::fixture_case("legacy_h5");
  keras_test::expect_close(model.predict(keras_test::fixture_inputs("legacy_h5"))[0],
                           keras_test::fixture_outputs("legacy_h5")[0], c.at("atol"), c.at("rtol"), "by position");
}

TEST(LegacyH5, LoadWeightsByName) {
  keras::Model legacy = keras::load_model(legacy_fixture());
  // Only the layer named like a file group receives weights.
  auto x = keras::Input({6});
  auto y = layers::Dense(3, {.name = "dense_9"})(layers::Dense(8, {.name = "dense_17"})(x));
  keras::Model model(x, y);
  auto untouched = model.get_layer("dense_9")->weights()[0]->value().clone();
  keras::saving::load_legacy_h5_weights(model, legacy_fixture(), {.by_name = true});
  EXPECT_TRUE(keras::allclose(model.get_layer("dense_17")->weights()[0]->value(),
                              legacy.get_layer("dense_17")->weights()[0]->value(), 0, 0));
  EXPECT_TRUE(keras::allclose(model.get_layer("dense_9")->weights()[0]->value(), untouched, 0, 0));
  // A same-named layer of another size: Keras' count message, or a warning with skip_mismatch.
  auto x2 = keras::Input({6});
  keras::Model no_bias(x2, layers::Dense(8, {.use_bias = false, .name = "dense_17"})(x2));
  EXPECT_EQ(error_message<keras::ValueError>(
                [&] { keras::saving::load_legacy_h5_weights(no_bias, legacy_fixture(), {.by_name = true}); }),
            legacy_fixture().string() +
                ": Weight count mismatch for layer #1 (named dense_17). Layer expects 1 weight(s). Received 2 saved "
                "weight(s)");
  EXPECT_NO_THROW(
      keras::saving::load_legacy_h5_weights(no_bias, legacy_fixture(), {.skip_mismatch = true, .by_name = true}));
}

TEST(LegacyH5, LayerCountMismatchHasKerasMessage) {
  auto x = keras::Input({6});
  keras::Model model(x, layers::Dense(3, {.name = "only"})(x));
  EXPECT_EQ(error_message<keras::ValueError>([&] { keras::load_weights(model, legacy_fixture()); }),
            legacy_fixture().string() +
                ": Layer count mismatch when loading weights from file. Model expected 1 layers, found 3 saved "
                "layers.");
}

TEST(LegacyH5, WeightCountMismatchHasKerasMessage) {
  keras::Model model = fixture_shaped_model(8, false);
  EXPECT_EQ(error_message<keras::ValueError>([&] { keras::load_weights(model, legacy_fixture()); }),
            legacy_fixture().string() +
                ": Weight count mismatch for layer #0 (named d0 in the current model, dense_17 in the save file). "
                "Layer expects 1 weight(s). Received 2 saved weight(s)");
}

TEST(LegacyH5, ShapeMismatchFailsOrIsSkipped) {
  keras::Model model = fixture_shaped_model(9);
  EXPECT_EQ(error_message<keras::ShapeMismatchError>([&] { keras::load_weights(model, legacy_fixture()); }),
            legacy_fixture().string() +
                ": Shape mismatch in layer #0 (named d0)for weight d0/kernel. Weight expects shape (6, 9). Received "
                "saved weight with shape (6, 8)");
  // skip_mismatch: the mismatching weights keep their values, the others load.
  keras::Model fresh = fixture_shaped_model(9);
  auto kernel_before = fresh.get_layer("d0")->weights()[0]->value().clone();
  auto file = keras::saving::H5File::open_read(legacy_fixture());
  auto last = file.root().group("model_weights/dense_18");
  EXPECT_THROW(keras::load_weights(fresh, legacy_fixture()), keras::ShapeMismatchError);
  auto warnings = keras::saving::load_legacy_weights_from_group(fresh.impl(), file.root().group("model_weights"), "f",
                                                                {.skip_mismatch = true});
  ASSERT_FALSE(warnings.empty());
  EXPECT_EQ(warnings[0],
            "f: Skipping loading weights for layer #0 (named d0)due to mismatch in shape for weight d0/kernel. Weight "
            "expects shape (6, 9). Received saved weight with shape (6, 8)");
  EXPECT_TRUE(keras::allclose(fresh.get_layer("d0")->weights()[0]->value(), kernel_before, 0, 0));
  // d1's bias (3,) fits.
  EXPECT_TRUE(keras::allclose(fresh.get_layer("d1")->weights()[1]->value(), last.read_dataset("dense_18/bias"), 0, 0));
  EXPECT_FALSE(keras::allclose(fresh.get_layer("d1")->weights()[1]->value(), keras::Tensor::zeros({3}), 0, 0));
}

TEST(LegacyH5, MissingModelConfigHasKerasMessage) {
  TempDir tmp;
  {
    auto file = keras::saving::H5File::create(tmp / "empty.h5");
    file.root().set_string_attr("keras_version", "3.16.0", keras::saving::H5StringKind::vlen_ascii);
    file.close();
  }
  EXPECT_EQ(error_message<keras::ValueError>([&] { keras::load_model(tmp / "empty.h5"); }),
            "No model config found in the file at " + (tmp / "empty.h5").string() + ".");
  EXPECT_THROW(keras::load_model(tmp / "missing.h5"), keras::FileNotFoundError);
  std::ofstream(tmp / "text.h5") << "not hdf5";
  EXPECT_THROW(keras::load_model(tmp / "text.h5"), keras::FormatError);
}

// A legacy file written from scratch: chunked layer_names/weight_names
// attributes (Keras splits attributes above 64512 bytes), .hdf5 extension,
// and a Lambda layer refused in safe mode.
void write_legacy_file(const std::filesystem::path& path, const keras::Json& model_config, const keras::Model& source,
                       bool chunked) {
  auto file = keras::saving::H5File::create(path);
  auto root = file.root();
  root.set_string_attr("model_config", keras::dump_json_like_python(model_config));
  root.set_string_attr("keras_version", "2.13.1", keras::saving::H5StringKind::vlen_ascii);
  auto weights = root.create_group("model_weights");
  std::vector<std::string> layer_names;
  for (const auto& layer : source.layers()) {
    layer_names.push_back(layer->name());
    auto group = weights.create_group(layer->name());
    std::vector<std::string> names;
    auto sub = group.create_group(layer->name());
    for (const auto& v : layer->weights()) {
      names.push_back(v->path() + ":0");
      sub.write_dataset(v->name() + ":0", v->value());
    }
    if (chunked && names.size() > 1) {
      group.set_string_list_attr("weight_names0", {names.begin(), names.begin() + 1});
      group.set_string_list_attr("weight_names1", {names.begin() + 1, names.end()});
    } else {
      group.set_string_list_attr("weight_names", names);
    }
  }
  if (chunked) {
    weights.set_string_list_attr("layer_names0", {layer_names.front()});
    weights.set_string_list_attr("layer_names1", {layer_names.begin() + 1, layer_names.end()});
  } else {
    weights.set_string_list_attr("layer_names", layer_names);
  }
  file.close();
}

TEST(LegacyH5, ChunkedAttributesAndHdf5Extension) {
  keras::Model source = keras::load_model(legacy_fixture());
  auto file = keras::saving::H5File::open_read(legacy_fixture());
  keras::Json config = keras::parse_json(*file.root().string_attr("model_config"), "model_config");
  TempDir tmp;
  write_legacy_file(tmp / "chunked.hdf5", config, source, true);
  {
    auto written = keras::saving::H5File::open_read(tmp / "chunked.hdf5");
    auto names = keras::saving::read_chunked_string_list(written.root().group("model_weights"), "layer_names");
    EXPECT_EQ(names, (std::vector<std::string>{"input_layer_22", "dense_17", "batch_normalization_5", "dense_18"}));
  }
  keras::Model model = keras::load_model(tmp / "chunked.hdf5");
  expect_same_weights(source, model);
}

TEST(LegacyH5, LambdaIsRefusedInSafeMode) {
  keras::Model source = keras::load_model(legacy_fixture());
  auto file = keras::saving::H5File::open_read(legacy_fixture());
  keras::Json config = keras::parse_json(*file.root().string_attr("model_config"), "model_config");
  // Keras 2's Lambda: function as [code, defaults, closure] plus function_type.
  keras::Json& layers_json = config.at("config").at("layers");
  layers_json.at(3) = keras::Json::parse(R"({"class_name": "Lambda", "config": {"name": "dense_18", "trainable": true,
      "dtype": "float32", "function": ["4wEAAAAAAAAA", null, null], "function_type": "lambda", "module": "__main__",
      "output_shape": null, "output_shape_type": "raw", "output_shape_module": null, "arguments": {}},
      "name": "dense_18", "inbound_nodes": [[["batch_normalization_5", 0, 0, {}]]]})");
  TempDir tmp;
  write_legacy_file(tmp / "lambda.h5", config, source, false);
  EXPECT_THROW(keras::load_model(tmp / "lambda.h5"), keras::UnsafeContentError);
}

}  // namespace
