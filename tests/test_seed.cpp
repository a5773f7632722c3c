// Foundation I: the seed example end to end, Dense/Activation/Softmax against
// Keras' fixtures, and the save/load contract of save_model().
#include <gtest/gtest.h>

#include <fstream>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::TempDir;

keras::Sequential seed_model() {
  return keras::Sequential({keras::Input({3}), keras::layers::Dense(5), keras::layers::Softmax()});
}

std::string read_bytes(const std::filesystem::path& p) { return keras_test::read_text_file(p); }

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

TEST(SeedFixtures, SeedDenseSoftmax) { keras_test::expect_fixture_matches("seed_dense_softmax"); }
TEST(SeedFixtures, DenseActivations) { keras_test::expect_fixture_matches("dense_activations"); }
TEST(SeedFixtures, DenseOptions) { keras_test::expect_fixture_matches("dense_options"); }
TEST(SeedFixtures, UnzippedDirectory) { keras_test::expect_fixture_matches("unzipped_dir"); }

TEST(SeedExample, SaveLoadPredictsTheSame) {
  TempDir dir;
  auto model = seed_model();
  keras::save_model(model, dir / "model.keras");
  auto loaded = keras::load_model(dir / "model.keras");
  keras::Tensor x = keras::random::uniform({10, 3});
  auto expected = model.predict(x).front();
  auto actual = loaded.predict(x).front();
  EXPECT_EQ(actual.shape(), (keras::Shape{10, 5}));
  EXPECT_TRUE(keras::allclose(actual, expected, 0, 0));
  EXPECT_EQ(keras::saving::archive_members(dir / "model.keras"),
            (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
}

TEST(SeedExample, CppModelMatchesKerasFileApartFromWeightValues) {
  keras::clear_session();
  TempDir dir;
  keras::save_model(seed_model(), dir / "model.keras");
  keras::saving::CompareOptions options;
  options.compare_values = false;
  auto diffs = keras::saving::compare_saved_models(keras_test::fixture_dir("seed_dense_softmax") / "model.keras",
                                                   dir / "model.keras", options);
  EXPECT_TRUE(diffs.empty()) << joined(diffs);
  // With values compared, exactly the two weight datasets differ.
  auto value_diffs = keras::saving::compare_saved_models(keras_test::fixture_dir("seed_dense_softmax") / "model.keras",
                                                         dir / "model.keras");
  EXPECT_EQ(value_diffs.size(), 2U) << joined(value_diffs);
}

TEST(SeedExample, ChangingOneWeightChangesOnlyThatDataset) {
  TempDir dir;
  auto fixture = keras_test::fixture_dir("seed_dense_softmax") / "model.keras";
  auto model = keras::load_model(fixture);
  auto weights = model.get_weights();
  ASSERT_EQ(weights.size(), 2U);
  weights[1] = weights[1].clone();
  weights[1].data<float>()[2] += 0.25F;
  model.set_weights(weights);
  keras::save_model(model, dir / "changed.keras");
  keras::saving::CompareOptions options;
  options.ignore_values_of = {"layers/dense/vars/1"};
  EXPECT_TRUE(keras::saving::compare_saved_models(fixture, dir / "changed.keras", options).empty());
  auto diffs = keras::saving::compare_saved_models(fixture, dir / "changed.keras");
  ASSERT_EQ(diffs.size(), 1U) << joined(diffs);
  EXPECT_NE(diffs[0].find("layers/dense/vars/1"), std::string::npos);
}

TEST(SeedExample, ArchiveInMemoryRoundTrips) {
  auto model = seed_model();
  std::vector<std::byte> bytes = keras::save_model(model);
  ASSERT_GT(bytes.size(), 100U);
  EXPECT_EQ(static_cast<char>(bytes[0]), 'P');
  EXPECT_EQ(static_cast<char>(bytes[1]), 'K');
  auto loaded = keras::load_model(std::span<const std::byte>(bytes));
  keras::Tensor x = keras::random::uniform({4, 3}, 0, 1, 7);
  EXPECT_TRUE(keras::allclose(loaded.predict(x).front(), model.predict(x).front(), 0, 0));
}

TEST(SeedExample, UnzippedDirectoryRoundTrips) {
  TempDir dir;
  auto model = seed_model();
  keras::save_model(model, dir / "model_dir", {.zipped = false});
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "model_dir" / "config.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "model_dir" / "model.weights.h5"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "model_dir" / "assets"));
  auto loaded = keras::load_model(dir / "model_dir");
  keras::Tensor x = keras::random::uniform({4, 3}, 0, 1, 3);
  EXPECT_TRUE(keras::allclose(loaded.predict(x).front(), model.predict(x).front(), 0, 0));
}

TEST(SaveModelErrors, WrongExtension) {
  TempDir dir;
  try {
    keras::save_model(seed_model(), dir / "model.txt");
    FAIL() << "expected ValueError";
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Invalid filepath extension"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.txt"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "model.txt"));
  EXPECT_THROW(keras::save_model(seed_model(), dir / "m.keras", {.zipped = false}), keras::ValueError);
}

TEST(SaveModelErrors, ExistingTargetWithoutOverwriteIsUntouched) {
  TempDir dir;
  auto target = dir / "model.keras";
  { std::ofstream(target) << "precious"; }
  try {
    keras::save_model(seed_model(), target);  // stdin is not a terminal under ctest
    FAIL() << "expected FileExistsError";
  } catch (const keras::FileExistsError& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_bytes(target), "precious");
  // A callback that declines behaves the same; one that accepts overwrites.
  std::filesystem::path asked;
  EXPECT_THROW(keras::save_model(seed_model(), target,
                                 {.confirm_overwrite =
                                      [&](const std::filesystem::path& p) {
                                        asked = p;
                                        return false;
                                      }}),
               keras::FileExistsError);
  EXPECT_EQ(asked, target);
  EXPECT_EQ(read_bytes(target), "precious");
  keras::save_model(seed_model(), target, {.confirm_overwrite = [](const std::filesystem::path&) { return true; }});
  EXPECT_NO_THROW(keras::load_model(target));
}

TEST(SaveModelErrors, FailedSaveLeavesTargetAndNoTemporaries) {
  TempDir dir;
  auto target = dir / "model.keras";
  std::filesystem::create_directory(target);  // a directory where the zip should go: rename must fail
  { std::ofstream(target / "keep.txt") << "keep"; }
  EXPECT_THROW(keras::save_model(seed_model(), target, {.overwrite = true}), keras::Error);
  EXPECT_EQ(read_bytes(target / "keep.txt"), "keep");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1U) << "a temporary file was left behind";
}

TEST(LoadModelErrors, MissingFile) {
  TempDir dir;
  try {
    keras::load_model(dir / "absent.keras");
    FAIL() << "expected FileNotFoundError";
  } catch (const keras::FileNotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.keras"), std::string::npos) << e.what();
  }
}

TEST(LoadModelErrors, EmptyAndNonZipFiles) {
  for (const char* name : {"empty.keras", "not_a_zip.keras", "truncated.keras"}) {
    auto path = keras_test::data_path(std::string("malformed/") + name);
    try {
      keras::load_model(path);
      ADD_FAILURE() << name << ": expected FormatError";
    } catch (const keras::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(LoadModelErrors, MalformedArchivesRaiseTypedErrors) {
  struct Case {
    const char* file;
    const char* fragment;  // expected in the message
  };
  auto expect = [](const Case& c, auto type_check) {
    auto path = keras_test::data_path(std::string("malformed/") + c.file);
    try {
      keras::load_model(path);
      ADD_FAILURE() << c.file << ": loaded without error";
    } catch (const keras::Error& e) {
      EXPECT_TRUE(type_check(e)) << c.file << ": wrong error type: " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos) << c.file << ": " << e.what();
    }
  };
  auto is = [](auto* probe) {
    return [](const keras::Error& e) { return dynamic_cast<decltype(probe)>(&e) != nullptr; };
  };
  expect({"missing_config.keras", "config.json"}, is(static_cast<const keras::FormatError*>(nullptr)));
  expect({"missing_weights.keras", "model.weights.h5"}, is(static_cast<const keras::FormatError*>(nullptr)));
  expect({"bad_json.keras", "config.json"}, is(static_cast<const keras::FormatError*>(nullptr)));
  expect({"unknown_layer.keras", "Could not locate class"}, is(static_cast<const keras::UnknownObjectError*>(nullptr)));
  expect({"shape_mismatch.keras", "layers/dense/vars/0"}, is(static_cast<const keras::ShapeMismatchError*>(nullptr)));
  expect({"missing_variable.keras", "dense"}, is(static_cast<const keras::FormatError*>(nullptr)));
  expect({"h5_garbage.keras", "model.weights.h5"}, is(static_cast<const keras::FormatError*>(nullptr)));
  expect({"path_traversal.keras", "../escape.txt"}, is(static_cast<const keras::UnsafeContentError*>(nullptr)));
  expect({"h5_external_link.keras", "ExternalLink"}, is(static_cast<const keras::UnsafeContentError*>(nullptr)));
}

TEST(ModelApi, WrongInputShapeIsAClearError) {
  auto model = seed_model();
  try {
    model.predict(keras::Tensor({2, 4}));
    FAIL() << "expected ShapeMismatchError";
  } catch (const keras::ShapeMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("expected shape=(None, 3)"), std::string::npos) << e.what();
  }
}

TEST(ModelApi, LayersWeightsAndCounts) {
  keras::clear_session();
  auto model = seed_model();
  auto layers = model.layers();
  ASSERT_EQ(layers.size(), 2U);
  EXPECT_EQ(layers[0]->name(), "dense");
  EXPECT_EQ(layers[1]->name(), "softmax");
  EXPECT_EQ(model.get_layer("dense")->class_name(), "Dense");
  EXPECT_THROW(model.get_layer("nope"), keras::ValueError);
  EXPECT_EQ(model.count_params(), 20);
  EXPECT_EQ(model.get_weights().size(), 2U);
  EXPECT_THROW(model.set_weights({keras::Tensor({3, 5})}), keras::ValueError);
  EXPECT_THROW(model.set_weights({keras::Tensor({3, 4}), keras::Tensor({5})}), keras::ShapeMismatchError);
  EXPECT_NE(model.summary().find("Total params: 20"), std::string::npos);
}

TEST(ModelApi, PredictBatchesAgree) {
  auto model = seed_model();
  keras::Tensor x = keras::random::uniform({70, 3}, 0, 1, 11);
  auto whole = model.predict(x, 100).front();
  auto batched = model.predict(x, 8).front();
  EXPECT_TRUE(keras::allclose(whole, batched, 1e-6, 1e-7));
}

TEST(AutoNames, CountersAndClearSession) {
  keras::clear_session();
  keras::layers::Dense a(2);
  keras::layers::Dense b(2);
  EXPECT_EQ(a->name(), "dense");
  EXPECT_EQ(b->name(), "dense_1");
  keras::clear_session();
  keras::layers::Dense c(2);
  EXPECT_EQ(c->name(), "dense");
  EXPECT_EQ(keras::to_snake_case("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(keras::to_snake_case("RMSprop"), "rm_sprop");
  EXPECT_EQ(keras::to_snake_case("ReLU"), "re_lu");
  EXPECT_EQ(keras::to_snake_case("HTTPServer2"), "http_server2");
  EXPECT_EQ(keras::to_snake_case("X2Y"), "x2y");
  EXPECT_EQ(keras::to_snake_case("_Private"), "__private");
}

TEST(DenseConfig, MatchesKerasForEveryOption) {
  keras::layers::Dense dense(5, {.use_bias = false,
                                 .kernel_initializer = keras::initializers::HeNormal({.seed = 3}),
                                 .kernel_regularizer = keras::regularizers::L1L2(0.01, 0.001),
                                 .kernel_constraint = keras::constraints::MaxNorm(2.0, 0),
                                 .name = "no_bias"});
  dense->build_for({{-1, 4, 6}});
  keras_test::expect_config_matches_fixture(dense, "dense_options", "no_bias");
}

TEST(DenseConfig, ActivityRegularizerAndConstantBias) {
  keras::layers::Dense dense(3, {.activation = "tanh",
                                 .bias_initializer = keras::initializers::Constant(0.1),
                                 .activity_regularizer = keras::regularizers::L2(0.01),
                                 .name = "dense_1"});
  dense->build_for({{-1, 4, 5}});
  keras_test::expect_config_matches_fixture(dense, "dense_options", "dense_1");
}

TEST(DenseConfig, UnknownActivationIsRejected) {
  EXPECT_THROW(keras::layers::Dense(3, {.activation = "no_such_activation"}), keras::UnknownObjectError);
}

}  // namespace
