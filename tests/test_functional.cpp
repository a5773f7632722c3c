// Functional graphs: several inputs/outputs, dict inputs/outputs, shared
// layers, nested models, models stored as directories, masks; configs both
// ways, the CLI, and edits of a loaded model that must reach the saved file.
#include <gtest/gtest.h>

#include <filesystem>

#include "keras/keras.hpp"
#include "keras/ops.hpp"
#include "saving/compare.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

namespace L = keras::layers;
using keras::Json;
using keras::KerasTensor;
using keras::Tensor;

class FunctionalFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(FunctionalFixture, PredictsAndConvertsLikeKeras) { keras_test::expect_fixture_matches(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, FunctionalFixture,
                         ::testing::Values("multi_io", "dict_io", "shared_layer", "nested_models", "masking_rnn",
                                           "embedding_mask_rnn"));

TEST(UnzippedDirFixture, PredictsAndConvertsLikeKeras) {
  keras_test::expect_fixture_predicts("unzipped_dir");
  // Keras always writes an (empty) assets/ folder, which git cannot keep:
  // compare against the fixture with that folder restored.
  keras_test::TempDir dir;
  auto original = dir / "keras_dir";
  std::filesystem::copy(keras_test::fixture_dir("unzipped_dir") / "model_dir", original,
                        std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(original / "assets");
  auto converted = dir / "converted_dir";
  std::string output;
  ASSERT_EQ(keras_test::run_cli({"convert", original.string(), converted.string()}, &output), 0) << output;
  auto differences = keras::saving::compare_saved_models(original, converted);
  std::string joined;
  for (const auto& d : differences) joined += "\n  " + d;
  EXPECT_TRUE(differences.empty()) << joined;
}

// ------------------------------------------------- the fixtures, built in C++

keras::Model build_multi_io() {
  auto a = keras::Input({4}, {.name = "a"});
  auto b = keras::Input({6}, {.name = "b"});
  auto ea = L::Dense(8, {.activation = "relu", .name = "enc_a"})(a);
  auto eb = L::Dense(8, {.activation = "relu", .name = "enc_b"})(b);
  auto joined = L::Concatenate({.name = "concatenate_3"})({ea, eb});
  auto summed = L::Add({.name = "add_11"})({ea, eb});
  auto cls = L::Dense(3, {.activation = "softmax", .name = "cls"})(joined);
  auto reg = L::Dense(1, {.name = "reg"})(summed);
  return keras::Model({a, b}, {cls, reg}, "functional_29");
}

keras::Model build_dict_io() {
  auto alpha = keras::Input({4}, {.name = "alpha"});
  auto beta = keras::Input({2}, {.name = "beta"});
  auto h = L::Concatenate({.name = "concatenate_4"})({alpha, beta});
  auto probs = L::Dense(3, {.activation = "softmax", .name = "probs"})(h);
  auto score = L::Dense(1, {.name = "score"})(h);
  return keras::Model(keras::TensorDict{{"alpha", alpha}, {"beta", beta}},
                      keras::TensorDict{{"score", score}, {"probs", probs}}, "functional_30");
}

keras::Model build_shared_layer() {
  auto left = keras::Input({5}, {.name = "left"});
  auto right = keras::Input({5}, {.name = "right"});
  L::Dense shared(4, {.activation = "tanh", .name = "shared"});
  auto diff = L::Subtract({.name = "subtract_2"})({shared(left), shared(right)});
  return keras::Model({left, right}, L::Dense(1, {.name = "dense_7"})(diff), "functional_31");
}

keras::Model build_nested_models() {
  keras::Sequential inner({keras::Input({4}, {.name = "input_layer_16"}),
                           L::Dense(6, {.activation = "relu", .name = "dense_8"}), L::Dense(3, {.name = "dense_9"})},
                          {.name = "inner_seq"});
  auto x = keras::Input({4}, {.name = "input_layer_17"});
  keras::Model mid(x, L::Dense(5, {.activation = "relu", .name = "dense_10"})(inner(x)), "mid_func");
  return keras::Sequential({keras::Input({4}, {.name = "input_layer_18"}), mid, L::Dense(2, {.name = "dense_11"})},
                           {.name = "outer_seq"});
}

keras::Model build_unzipped_dir() {
  return keras::Sequential({keras::Input({3}, {.name = "input_layer_20"}), L::Dense(5, {.name = "dense_13"}),
                            L::Softmax({.name = "softmax_9"})},
                           {.name = "sequential_1"});
}

// A fixture model built in C++ must write Keras' config and, given the
// fixture's weights, predict Keras' outputs.
void expect_built_model_matches(const keras::Model& model, const std::string& case_name) {
  SCOPED_TRACE(case_name);
  keras_test::expect_model_config_matches_fixture(model, case_name);
  auto artifact =
      keras_test::fixture_dir(case_name) / keras_test::fixture_case(case_name).at("artifact").get<std::string>();
  model.set_weights(keras::load_model(artifact).get_weights());
  auto expected = keras_test::fixture_outputs(case_name);
  auto outputs = model.predict(keras_test::fixture_inputs(case_name));
  ASSERT_EQ(outputs.size(), expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i)
    keras_test::expect_close(outputs[i], expected[i], 1e-5, 1e-4, case_name + " output " + std::to_string(i));
}

TEST(BuiltInCpp, MultiIo) { expect_built_model_matches(build_multi_io(), "multi_io"); }
TEST(BuiltInCpp, DictIo) { expect_built_model_matches(build_dict_io(), "dict_io"); }
TEST(BuiltInCpp, SharedLayer) { expect_built_model_matches(build_shared_layer(), "shared_layer"); }
TEST(BuiltInCpp, NestedModels) { expect_built_model_matches(build_nested_models(), "nested_models"); }
TEST(BuiltInCpp, UnzippedDir) { expect_built_model_matches(build_unzipped_dir(), "unzipped_dir"); }

// --------------------------------------------------------------- dict models

TEST(DictModels, InputsAndOutputsAreInSortedKeyOrder) {
  keras::Model model = keras::load_model(keras_test::fixture_dir("dict_io") / "model.keras");
  EXPECT_EQ(model.input_names(), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(model.output_names(), (std::vector<std::string>{"probs", "score"}));
  auto inputs = keras_test::fixture_inputs("dict_io");
  auto expected = keras_test::fixture_outputs("dict_io");
  auto named = model.predict_named({{"beta", inputs[1]}, {"alpha", inputs[0]}});
  ASSERT_EQ(named.size(), 2U);
  keras_test::expect_close(named.at("probs"), expected[0], 1e-5, 1e-4, "probs");
  keras_test::expect_close(named.at("score"), expected[1], 1e-5, 1e-4, "score");
  EXPECT_THROW(model.predict_named({{"alpha", inputs[0]}}), keras::ValueError);
}

TEST(DictModels, CliTakesInputsByName) {
  keras_test::TempDir dir;
  auto fixture = keras_test::fixture_dir("dict_io");
  std::string output;
  ASSERT_EQ(keras_test::run_cli(
                {"predict", (fixture / "model.keras").string(), "--input", "beta=" + (fixture / "x1.npy").string(),
                 "--input", "alpha=" + (fixture / "x0.npy").string(), "--output-dir", dir.path().string()},
                &output),
            0)
      << output;
  auto expected = keras_test::fixture_outputs("dict_io");
  for (std::size_t i = 0; i < expected.size(); ++i)
    keras_test::expect_close(keras::load_npy(dir / ("y" + std::to_string(i) + ".npy")), expected[i], 1e-5, 1e-4,
                             "CLI y" + std::to_string(i));
  // A named input plus a positional one: the positional fills the free slot.
  auto mixed = dir / "mixed";
  ASSERT_EQ(
      keras_test::run_cli({"predict", (fixture / "model.keras").string(), "--input", (fixture / "x0.npy").string(),
                           "--input", "beta=" + (fixture / "x1.npy").string(), "--output-dir", mixed.string()},
                          &output),
      0)
      << output;
  keras_test::expect_close(keras::load_npy(mixed / "y1.npy"), expected[1], 1e-5, 1e-4, "mixed y1");
  EXPECT_EQ(keras_test::run_cli(
                {"predict", (fixture / "model.keras").string(), "--input", "gamma=" + (fixture / "x0.npy").string(),
                 "--input", (fixture / "x1.npy").string(), "--output-dir", dir.path().string()},
                &output),
            1);
  EXPECT_NE(output.find("no input named 'gamma'"), std::string::npos) << output;
  EXPECT_EQ(keras_test::run_cli({"predict", (fixture / "model.keras").string(), "--input",
                                 (fixture / "x0.npy").string(), "--output-dir", dir.path().string()},
                                &output),
            1);
  EXPECT_NE(output.find("missing --input for model input 'beta'"), std::string::npos) << output;
}

TEST(Cli, PredictWithSeparateWeights) {
  keras_test::TempDir dir;
  auto fixture = keras_test::fixture_dir("multi_io");
  keras::Model model = keras::load_model(fixture / "model.keras");
  auto weights = model.get_weights();
  for (auto& w : weights) w = keras::Tensor::full(w.shape(), 0.25F);
  model.set_weights(weights);
  keras::save_weights(model, dir / "changed.weights.h5");
  keras::save_model_config(model, dir / "config.json");
  auto expected = model.predict(keras_test::fixture_inputs("multi_io"));
  for (const std::string& source : {(fixture / "model.keras").string(), (dir / "config.json").string()}) {
    auto out = dir / ("out_" + std::to_string(source.size()));
    std::string output;
    ASSERT_EQ(keras_test::run_cli({"predict", source, "--weights", (dir / "changed.weights.h5").string(), "--input",
                                   (fixture / "x0.npy").string(), "--input", (fixture / "x1.npy").string(),
                                   "--output-dir", out.string()},
                                  &output),
              0)
        << output;
    for (std::size_t i = 0; i < expected.size(); ++i)
      keras_test::expect_close(keras::load_npy(out / ("y" + std::to_string(i) + ".npy")), expected[i], 1e-6, 1e-6,
                               source + " y" + std::to_string(i));
  }
  std::string output;
  EXPECT_EQ(keras_test::run_cli({"predict", (dir / "config.json").string(), "--input", (fixture / "x0.npy").string(),
                                 "--output-dir", dir.path().string()},
                                &output),
            2);
}

// -------------------------------------------------------------- node indices

Json config_of(const keras::Model& model) {
  return keras::saving::strip_shared_object_ids(keras::saving::serialize_operation(model.impl()));
}

const Json& layer_entry(const Json& config, const std::string& name) {
  for (const auto& entry : config.at("config").at("layers")) {
    if (entry.at("name") == name) return entry;
  }
  throw std::runtime_error("no layer " + name);
}

TEST(NodeIndices, CallsOutsideTheModelAreNotCounted) {
  L::Dense shared(3, {.name = "shared_dense"});
  auto outside = keras::Input({2}, {.name = "outside"});
  (void)shared(outside);  // node 0 of shared_dense, not part of the model below
  auto a = keras::Input({2}, {.name = "in_a"});
  auto b = keras::Input({2}, {.name = "in_b"});
  auto ya = shared(a);
  auto yb = shared(b);
  auto out = L::Add({.name = "sum"})({ya, yb});
  keras::Model model({a, b}, {out, yb}, "node_indices");
  Json config = config_of(model);
  const Json& dense = layer_entry(config, "shared_dense");
  ASSERT_EQ(dense.at("inbound_nodes").size(), 2U);
  const Json& add = layer_entry(config, "sum");
  const Json& args = add.at("inbound_nodes").at(0).at("args").at(0);
  EXPECT_EQ(args.at(0).at("config").at("keras_history"), Json::parse(R"(["shared_dense", 0, 0])"));
  EXPECT_EQ(args.at(1).at("config").at("keras_history"), Json::parse(R"(["shared_dense", 1, 0])"));
  EXPECT_EQ(config.at("config").at("output_layers"), Json::parse(R"([["sum", 0, 0], ["shared_dense", 1, 0]])"));

  // The config rebuilds the same model: same config, same predictions.
  keras::Model rebuilt = keras::model_from_json(keras::to_json(model));
  EXPECT_EQ(keras::dump_json_like_python(config_of(rebuilt)), keras::dump_json_like_python(config));
  rebuilt.set_weights(model.get_weights());
  Tensor xa = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor xb = Tensor::from_vector({2, 2}, {-1, 0.5F, 2, 0});
  auto expected = model.predict({xa, xb});
  auto actual = rebuilt.predict({xa, xb});
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(keras::allclose(actual[i], expected[i]));
}

TEST(NodeIndices, NestedFunctionalCalledTwiceIsOffsetInOutputLayers) {
  auto x = keras::Input({3}, {.name = "inner_in"});
  keras::Model inner(x, L::Dense(2, {.name = "inner_dense"})(x), "inner");
  auto a = keras::Input({3}, {.name = "outer_a"});
  auto b = keras::Input({3}, {.name = "outer_b"});
  auto ya = inner(a);
  auto yb = inner(b);
  auto s = L::Subtract({.name = "diff"})({ya, yb});
  keras::Model outer({a, b}, {s, yb}, "outer");
  Json config = config_of(outer);
  // keras_history counts calls from 0; output_layers from 1 for a nested Functional.
  EXPECT_EQ(config.at("config").at("output_layers"), Json::parse(R"([["diff", 0, 0], ["inner", 2, 0]])"));
  const Json& inner_entry = layer_entry(config, "inner");
  ASSERT_EQ(inner_entry.at("inbound_nodes").size(), 2U);
  EXPECT_EQ(inner_entry.at("inbound_nodes").at(1).at("kwargs"), Json::parse(R"({"mask": null})"));
  const Json& diff = layer_entry(config, "diff");
  EXPECT_EQ(diff.at("inbound_nodes").at(0).at("args").at(0).at(1).at("config").at("keras_history"),
            Json::parse(R"(["inner", 1, 0])"));

  keras_test::TempDir dir;
  keras::save_model(outer, dir / "outer.keras");
  keras::Model loaded = keras::load_model(dir / "outer.keras");
  EXPECT_EQ(keras::dump_json_like_python(config_of(loaded)), keras::dump_json_like_python(config));
  Tensor xa = Tensor::from_vector({1, 3}, {1, 2, 3});
  Tensor xb = Tensor::from_vector({1, 3}, {0, -1, 4});
  auto expected = outer.predict({xa, xb});
  auto actual = loaded.predict({xa, xb});
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(keras::allclose(actual[i], expected[i]));
}

TEST(NestedModels, FunctionalInsideFunctionalWithListInputsRecordsAListMask) {
  auto p = keras::Input({2}, {.name = "p"});
  auto q = keras::Input({2}, {.name = "q"});
  keras::Model pair({p, q}, L::Add({.name = "pair_sum"})({p, q}), "pair");
  auto a = keras::Input({2}, {.name = "a"});
  auto b = keras::Input({2}, {.name = "b"});
  auto y = pair.call({std::vector<KerasTensor>{a, b}}).at(0);
  keras::Model outer({a, b}, y, "outer_pair");
  Json config = config_of(outer);
  // Functional never converts its inputs, so Keras records the per-input masks.
  EXPECT_EQ(layer_entry(config, "pair").at("inbound_nodes").at(0).at("kwargs"),
            Json::parse(R"({"mask": [null, null]})"));
  auto out = outer.predict({Tensor::from_vector({1, 2}, {1, 2}), Tensor::from_vector({1, 2}, {10, 20})});
  EXPECT_EQ(out.at(0).to_vector(), (std::vector<float>{11, 22}));
}

// ------------------------------------------------------------- edited models

Json archive_config(const std::filesystem::path& path) {
  auto zip = keras::saving::ZipReader::open(path);
  auto bytes = zip.read("config.json");
  return keras::saving::strip_shared_object_ids(
      keras::parse_json(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string()));
}

std::vector<Tensor> layer_weights(const keras::Model& model, const std::string& name) {
  std::vector<Tensor> out;
  for (const auto& v : model.get_layer(name)->own_variables()) out.push_back(v->value());
  return out;
}

TEST(EditedModel, SavesExactlyTheEdits) {
  auto fixture = keras_test::fixture_dir("multi_io") / "model.keras";
  keras::Model original = keras::load_model(fixture);
  keras::Model model = keras::load_model(fixture);
  auto kernel = model.get_layer("enc_a")->own_variables().at(0);
  ASSERT_EQ(kernel->name(), "kernel");
  kernel->assign(Tensor::full(kernel->shape(), 0.5F));
  model.get_layer("reg")->set_name("regression");
  model.get_layer("cls")->set_trainable(false);

  keras_test::TempDir dir;
  keras::save_model(model, dir / "edited.keras");

  // config.json: the fixture's, with exactly the rename and the option changed.
  Json expected = archive_config(fixture);
  for (auto& entry : expected.at("config").at("layers")) {
    if (entry.at("name") == "reg") {
      entry["name"] = "regression";
      entry["config"]["name"] = "regression";
    }
    if (entry.at("name") == "cls") entry["config"]["trainable"] = false;
  }
  expected["config"]["output_layers"][1][0] = "regression";
  EXPECT_EQ(keras::dump_json_like_python(archive_config(dir / "edited.keras")), keras::dump_json_like_python(expected));

  // Weights: the edited kernel, every other variable as Keras saved it.
  keras::Model reloaded = keras::load_model(dir / "edited.keras");
  auto enc_a = layer_weights(reloaded, "enc_a");
  EXPECT_TRUE(keras::allclose(enc_a.at(0), Tensor::full(kernel->shape(), 0.5F), 0, 0));
  EXPECT_TRUE(keras::allclose(enc_a.at(1), layer_weights(original, "enc_a").at(1), 0, 0));
  for (const auto& [saved_name, original_name] :
       std::vector<std::pair<std::string, std::string>>{{"enc_b", "enc_b"}, {"cls", "cls"}, {"regression", "reg"}}) {
    auto saved = layer_weights(reloaded, saved_name);
    auto before = layer_weights(original, original_name);
    ASSERT_EQ(saved.size(), before.size()) << saved_name;
    for (std::size_t i = 0; i < saved.size(); ++i)
      EXPECT_TRUE(keras::allclose(saved[i], before[i], 0, 0)) << saved_name << " variable " << i;
  }
  EXPECT_FALSE(reloaded.get_layer("cls")->trainable());

  // Undoing the rename and the option gives Keras' file apart from the edited kernel.
  keras::Model renamed_back = keras::load_model(dir / "edited.keras");
  renamed_back.get_layer("regression")->set_name("reg");
  renamed_back.get_layer("cls")->set_trainable(true);
  keras::save_model(renamed_back, dir / "renamed_back.keras");
  keras::saving::CompareOptions options;
  options.ignore_values_of = {"layers/dense/vars/0"};  // enc_a: groups are named by class, not layer name
  auto differences = keras::saving::compare_saved_models(fixture, dir / "renamed_back.keras", options);
  std::string joined;
  for (const auto& d : differences) joined += "\n  " + d;
  EXPECT_TRUE(differences.empty()) << joined;
}

// ------------------------------------------------------------ broken graphs

Json fixture_envelope(const std::string& case_name) {
  return archive_config(keras_test::fixture_dir(case_name) / "model.keras");
}

Json& entry_named(Json& envelope, const std::string& name) {
  for (auto& entry : envelope.at("config").at("layers")) {
    if (entry.at("name") == name) return entry;
  }
  throw std::runtime_error("no layer " + name);
}

// Keras' model.weights (get_weights / set_weights order): layer by layer, each
// layer's trainable then non-trainable variables, not all trainables first.
TEST(Weights, FollowKerasLayerOrder) {
  keras::Model model = keras::Sequential({keras::Input({3}), L::Dense(4, {.name = "d1"}),
                                          L::BatchNormalization({.name = "bn"}), L::Dense(2, {.name = "d2"})});
  auto paths = [](const std::vector<keras::VariablePtr>& variables) {
    std::vector<std::string> out;
    for (const auto& v : variables) out.push_back(v->path());
    return out;
  };
  using Paths = std::vector<std::string>;
  EXPECT_EQ(paths(model.impl().weights()), (Paths{"d1/kernel", "d1/bias", "bn/gamma", "bn/beta", "bn/moving_mean",
                                                  "bn/moving_variance", "d2/kernel", "d2/bias"}));
  EXPECT_EQ(paths(model.impl().trainable_variables()),
            (Paths{"d1/kernel", "d1/bias", "bn/gamma", "bn/beta", "d2/kernel", "d2/bias"}));
  EXPECT_EQ(paths(model.impl().non_trainable_variables()), (Paths{"bn/moving_mean", "bn/moving_variance"}));
  EXPECT_EQ(model.get_weights().at(2).shape(), (keras::Shape{4}));  // gamma, not d2's kernel
  model.get_layer("d1")->set_trainable(false);
  EXPECT_EQ(paths(model.impl().non_trainable_variables()),
            (Paths{"d1/kernel", "d1/bias", "bn/moving_mean", "bn/moving_variance"}));
}

TEST(BrokenGraphs, AreTypedErrors) {
  std::vector<std::pair<std::string, std::function<void(Json&)>>> edits = {
      {"unknown output layer", [](Json& c) { c["config"]["output_layers"][0] = Json::parse(R"(["nope", 0, 0])"); }},
      {"missing call", [](Json& c) { c["config"]["output_layers"][0][1] = 7; }},
      {"missing tensor", [](Json& c) { c["config"]["output_layers"][0][2] = 4; }},
      {"negative node index", [](Json& c) { c["config"]["output_layers"][0][1] = -1; }},
      {"history to a missing call",
       [](Json& c) {
         entry_named(c, "cls")["inbound_nodes"][0]["args"][0]["config"]["keras_history"] =
             Json::parse(R"(["concatenate_3", 3, 0])");
       }},
      {"tensor without config", [](Json& c) { entry_named(c, "cls")["inbound_nodes"][0]["args"][0].erase("config"); }},
      {"history not a triple",
       [](Json& c) { entry_named(c, "cls")["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = "cls"; }},
      {"args not a list", [](Json& c) { entry_named(c, "cls")["inbound_nodes"][0]["args"] = "x"; }},
      {"kwargs not an object", [](Json& c) { entry_named(c, "cls")["inbound_nodes"][0]["kwargs"] = Json::array(); }},
      {"cycle",
       [](Json& c) {
         entry_named(c, "enc_a")["inbound_nodes"][0]["args"][0]["config"]["keras_history"] =
             Json::parse(R"(["cls", 0, 0])");
       }},
      {"layers not a list", [](Json& c) { c["config"]["layers"] = Json::object(); }},
      {"no input_layers", [](Json& c) { c["config"].erase("input_layers"); }},
      {"duplicate layer name", [](Json& c) { entry_named(c, "reg")["name"] = "cls"; }},
      {"lambda in a call", [](Json& c) {
         entry_named(c, "cls")["inbound_nodes"][0]["kwargs"]["fn"] =
             Json::parse(R"({"class_name": "__lambda__", "config": {"value": ["", null, null]}})");
       }}};
  for (const auto& [what, edit] : edits) {
    Json envelope = fixture_envelope("multi_io");
    edit(envelope);
    EXPECT_THROW(keras::model_from_json(envelope.dump()), keras::Error) << what;
  }
}

TEST(BrokenGraphs, RawOpsWithBadArgumentsAreTypedErrors) {
  std::vector<std::pair<std::string, std::function<void(Json&)>>> edits = {
      {"newshape not a list", [](Json& c) { entry_named(c, "reshape_1")["config"]["newshape"] = "abc"; }},
      {"transpose repeats an axis",
       [](Json& c) {
         entry_named(c, "transpose")["config"]["axes"] = {0, 0, 1};
       }},
      {"concatenate out-of-range axis", [](Json& c) { entry_named(c, "concatenate_2")["config"]["axis"] = 9; }},
      {"squeeze a dimension that is not 1", [](Json& c) { entry_named(c, "squeeze")["config"]["axis"] = 2; }},
      {"slice with a string bound",
       [](Json& c) { entry_named(c, "get_item")["inbound_nodes"][0]["args"][1][1]["config"]["start"] = "a"; }},
      {"clip without x_max", [](Json& c) { entry_named(c, "clip")["config"].erase("x_max"); }},
      {"cast to an unknown dtype", [](Json& c) { entry_named(c, "cast")["config"]["dtype"] = "float128"; }},
      {"mean over a missing axis", [](Json& c) { entry_named(c, "mean")["config"]["axis"] = 5; }},
      {"unknown op", [](Json& c) { entry_named(c, "sqrt")["class_name"] = "Frobnicate"; }}};
  for (const auto& [what, edit] : edits) {
    Json envelope = fixture_envelope("raw_ops");
    edit(envelope);
    EXPECT_THROW(keras::model_from_json(envelope.dump()), keras::Error) << what;
  }
}

TEST(BrokenGraphs, ReshapeToAWrongSizeFailsWhenRunning) {
  // With an unknown batch dimension Keras cannot check the size symbolically either.
  Json envelope = fixture_envelope("raw_ops");
  entry_named(envelope, "reshape_1")["config"]["newshape"] = {-1, 5, 5};
  keras::Model model = keras::model_from_json(envelope.dump());
  EXPECT_THROW(model.predict(keras_test::fixture_inputs("raw_ops")), keras::Error);
}

// ------------------------------------------------------------------- masks

TEST(Masks, EmbeddingMaskIsRecordedAsANotEqualNode) {
  auto ids = keras::Input({7}, {.name = "ids", .dtype = "int32"});
  auto e = L::Embedding(20, 6, {.mask_zero = true, .name = "emb"})(ids);
  auto h = L::LSTM(4, {.name = "lstm_m"})(e);
  keras::Model model(ids, h, "masked");
  Json config = config_of(model);
  const Json& lstm = layer_entry(config, "lstm_m");
  const Json& mask = lstm.at("inbound_nodes").at(0).at("kwargs").at("mask");
  EXPECT_EQ(mask.at("config").at("dtype"), "bool");
  std::string producer = mask.at("config").at("keras_history").at(0).get<std::string>();
  const Json& not_equal = layer_entry(config, producer);
  EXPECT_EQ(not_equal.at("class_name"), "NotEqual");
  EXPECT_EQ(not_equal.at("module"), "keras.src.ops.numpy");
  EXPECT_EQ(keras::dump_json_like_python(not_equal.at("inbound_nodes").at(0).at("args").at(1)), "0");

  // Masked steps change nothing: the zero-padded sequence gives what the
  // same weights give on the unpadded sequence without a mask.
  auto short_ids = keras::Input({3}, {.dtype = "int32"});
  auto short_out = L::LSTM(4)(L::Embedding(20, 6)(short_ids));
  keras::Model unpadded(short_ids, short_out);
  unpadded.set_weights(model.get_weights());
  Tensor padded = Tensor::from_vector_i64({1, 7}, {3, 5, 9, 0, 0, 0, 0}, keras::DType::int32);
  Tensor plain = Tensor::from_vector_i64({1, 3}, {3, 5, 9}, keras::DType::int32);
  keras_test::expect_close(model.predict(padded).at(0), unpadded.predict(plain).at(0), 1e-6, 1e-5, "masked LSTM");
}

// The unpadded reference: the same Embedding + LSTM weights on the first three steps, no mask.
Tensor unpadded_reference(const keras::Model& masked_model) {
  auto ids = keras::Input({3}, {.dtype = "int32"});
  keras::Model reference(ids, L::LSTM(4)(L::Embedding(20, 6)(ids)));
  reference.set_weights(masked_model.get_weights());
  return reference.predict(Tensor::from_vector_i64({1, 3}, {3, 5, 9}, keras::DType::int32)).at(0);
}

const Tensor kPadded = Tensor::from_vector_i64({1, 7}, {3, 5, 9, 0, 0, 0, 0}, keras::DType::int32);

TEST(Masks, FlowIntoANestedSequential) {
  keras::Sequential encoder({keras::Input({7, 6}), L::LSTM(4, {.name = "inner_lstm"})}, {.name = "encoder"});
  auto ids = keras::Input({7}, {.name = "ids", .dtype = "int32"});
  auto e = L::Embedding(20, 6, {.mask_zero = true, .name = "emb"})(ids);
  keras::Model model(ids, encoder(e), "outer");
  // Keras records the Embedding's mask on the nested model's node ...
  Json config = config_of(model);
  EXPECT_TRUE(layer_entry(config, "encoder").at("inbound_nodes").at(0).at("kwargs").at("mask").is_object());
  // ... and the nested LSTM uses it at run time.
  keras_test::expect_close(model.predict(kPadded).at(0), unpadded_reference(model), 1e-6, 1e-5, "nested LSTM");
}

TEST(Masks, FlowIntoANestedFunctionalThroughPassThroughLayers) {
  auto x = keras::Input({7, 6}, {.name = "inner_x"});
  auto h = L::Dropout(0.5, {.name = "inner_dropout"})(x);
  keras::Model encoder(x, L::LSTM(4, {.name = "inner_lstm"})(h), "encoder");
  auto ids = keras::Input({7}, {.name = "ids", .dtype = "int32"});
  keras::Model model(ids, encoder(L::Embedding(20, 6, {.mask_zero = true, .name = "emb"})(ids)), "outer");
  keras_test::expect_close(model.predict(kPadded).at(0), unpadded_reference(model), 1e-6, 1e-5, "nested LSTM");
  // The nested model's own config is unchanged by the masked run.
  Json inner = keras::saving::strip_shared_object_ids(keras::saving::serialize_operation(encoder.impl()));
  EXPECT_EQ(layer_entry(inner, "inner_lstm").at("inbound_nodes").size(), 1U);
}

TEST(Masks, FlowOutOfANestedModelAtRunTime) {
  keras::Sequential embed({keras::Input({7}, {.dtype = "int32"}), L::Embedding(20, 6, {.mask_zero = true})},
                          {.name = "embed"});
  auto ids = keras::Input({7}, {.name = "ids", .dtype = "int32"});
  auto h = L::LSTM(4, {.name = "outer_lstm"})(embed(ids));
  keras::Model model(ids, h, "outer");
  // Functional outputs carry no symbolic mask, so Keras records `mask: None` ...
  Json config = config_of(model);
  EXPECT_TRUE(layer_entry(config, "outer_lstm").at("inbound_nodes").at(0).at("kwargs").at("mask").is_null());
  // ... yet the LSTM receives the Embedding's mask at run time.
  keras_test::expect_close(model.predict(kPadded).at(0), unpadded_reference(model), 1e-6, 1e-5, "outer LSTM");
}

TEST(Masks, UnrecordedMaskStillReachesTheLayer) {
  auto ids = keras::Input({7}, {.name = "ids", .dtype = "int32"});
  auto e = L::Embedding(20, 6, {.mask_zero = true, .name = "emb"})(ids);
  // With a keyword argument, Keras' __call__ copies kwargs: the mask is passed
  // but not recorded, and the NotEqual node is not part of the config.
  auto h = L::LSTM(4, {.name = "lstm_kw"}).call({e}, {{"training", Json(false)}}).at(0);
  keras::Model model(ids, h, "unrecorded");
  Json config = config_of(model);
  EXPECT_EQ(layer_entry(config, "lstm_kw").at("inbound_nodes").at(0).at("kwargs"),
            Json::parse(R"({"training": false})"));
  for (const auto& entry : config.at("config").at("layers")) EXPECT_NE(entry.at("class_name"), "NotEqual");
  keras_test::expect_close(model.predict(kPadded).at(0), unpadded_reference(model), 1e-6, 1e-5, "LSTM");
}

TEST(Masks, SequentialFromAListTracesOnce) {
  keras::clear_session();
  // keras.Sequential(layers) traces its graph once; add() traces again once
  // the model has an InputLayer and a layer. Each trace runs the Embedding's
  // compute_mask, whose NotEqual op takes an auto name.
  keras::Sequential listed(
      {keras::Input({5}, {.dtype = "int32"}), L::Embedding(10, 3, {.mask_zero = true}), L::GRU(2)});
  auto probe = keras::Input({5}, {.dtype = "int32"});
  EXPECT_EQ(keras::ops::not_equal(probe, 0).node()->operation->name(), "not_equal_1");
  keras::Sequential added;
  added.add(keras::Input({5}, {.dtype = "int32"}));
  added.add(L::Embedding(10, 3, {.mask_zero = true}));
  added.add(L::GRU(2));
  EXPECT_EQ(keras::ops::not_equal(probe, 0).node()->operation->name(), "not_equal_4");
  // A Sequential holding only its Input is not built, as in Keras.
  keras::Sequential only_input({keras::Input({5})}, {.name = "only_input"});
  Json config = keras::saving::serialize_operation(only_input.impl());
  EXPECT_FALSE(config.at("config").contains("build_input_shape"));
  EXPECT_FALSE(config.contains("build_config"));
}

TEST(Masks, SequentialRecordsMasksInItsInternalGraph) {
  keras::Sequential model({keras::Input({5}, {.dtype = "int32"}), L::Embedding(10, 3, {.mask_zero = true}),
                           L::GRU(2, {.return_sequences = true})});
  auto outputs = model.outputs();
  const auto& gru_node = outputs.at(0).node();
  ASSERT_TRUE(gru_node->kwargs.contains("mask"));
  EXPECT_TRUE(keras::SpecArgs::is_ref(gru_node->kwargs.at("mask")));
  // Keras 3.16's RNN layers support no masking: even with return_sequences
  // the GRU output carries no mask.
  EXPECT_FALSE(outputs.at(0).keras_mask().has_value());
}

}  // namespace
