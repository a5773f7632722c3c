// `keras-cpp predict` and `keras-cpp convert` on every format: .keras zips,
// model directories, legacy .h5, config JSON with --weights (.weights.h5,
// sharded .weights.json, legacy .h5), and the forms convert writes.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::run_cli;
using keras_test::TempDir;

// Runs `keras-cpp predict` and compares with the case's outputs.
void expect_cli_predicts(const std::string& case_name, std::vector<std::string> model_args) {
  SCOPED_TRACE(case_name);
  auto c = keras_test::fixture_case(case_name);
  TempDir out;
  std::vector<std::string> args = {"predict"};
  args.insert(args.end(), model_args.begin(), model_args.end());
  for (const auto& input : c.at("inputs")) {
    args.emplace_back("--input");
    args.push_back((keras_test::fixture_dir(case_name) / input.get<std::string>()).string());
  }
  args.emplace_back("--output-dir");
  args.push_back(out.path().string());
  std::string output;
  ASSERT_EQ(run_cli(args, &output), 0) << output;
  auto expected = keras_test::fixture_outputs(case_name);
  for (std::size_t i = 0; i < expected.size(); ++i)
    keras_test::expect_close(keras::load_npy(out / ("y" + std::to_string(i) + ".npy")), expected[i], c.at("atol"),
                             c.at("rtol"), case_name + " CLI output " + std::to_string(i));
}

void expect_same_weights(const keras::Model& a, const keras::Model& b) {
  auto wa = a.get_weights();
  auto wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(keras::allclose(wa[i], wb[i], 0, 0)) << "weight " << i;
}

std::vector<std::byte> file_bytes(const std::filesystem::path& p) {
  std::string s = keras_test::read_text_file(p);
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string path_of(const std::string& case_name, const std::string& file) {
  return (keras_test::fixture_dir(case_name) / file).string();
}

TEST(CliFormats, PredictReadsEveryFormat) {
  expect_cli_predicts("legacy_h5", {path_of("legacy_h5", "model.h5")});
  expect_cli_predicts("unzipped_dir", {path_of("unzipped_dir", "model_dir")});
  expect_cli_predicts("weights_only", {path_of("weights_only", "model.json"), "--weights",
                                       path_of("weights_only", "model.weights.h5")});
  expect_cli_predicts("sharded_weights", {path_of("sharded_weights", "model.json"), "--weights",
                                          path_of("sharded_weights", "model.weights.json")});
  // A config JSON with the weights of a legacy .h5 file.
  TempDir tmp;
  keras::save_model_config(keras::load_model(path_of("legacy_h5", "model.h5")), tmp / "legacy.json");
  expect_cli_predicts("legacy_h5", {(tmp / "legacy.json").string(), "--weights", path_of("legacy_h5", "model.h5")});
  // ... and with the weights of a .keras file.
  keras::save_model(keras::load_model(path_of("legacy_h5", "model.h5")), tmp / "w.keras");
  expect_cli_predicts("legacy_h5", {(tmp / "legacy.json").string(), "--weights", (tmp / "w.keras").string()});
}

TEST(CliFormats, WeightsOnlyFilesNeedAConfig) {
  TempDir out;
  std::string output;
  EXPECT_EQ(run_cli({"predict", path_of("sharded_weights", "model.weights.json"), "--input",
                     path_of("sharded_weights", "x0.npy"), "--output-dir", out.path().string()},
                    &output),
            2);
  EXPECT_NE(output.find("holds only weights"), std::string::npos) << output;
  EXPECT_EQ(run_cli({"convert", path_of("weights_only", "model.weights.h5"), (out / "m.keras").string()}, &output), 2);
  EXPECT_EQ(run_cli({"convert", path_of("weights_only", "model.json"), (out / "m.keras").string()}, &output), 2);
  EXPECT_NE(output.find("--weights"), std::string::npos) << output;
}

TEST(CliFormats, ConvertLegacyToZipAndDirectory) {
  TempDir tmp;
  const std::string src = path_of("legacy_h5", "model.h5");
  std::string output;
  ASSERT_EQ(run_cli({"convert", src, (tmp / "m.keras").string()}, &output), 0) << output;
  ASSERT_EQ(run_cli({"convert", src, (tmp / "m_dir").string()}, &output), 0) << output;
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "m.keras"));
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "m_dir" / "config.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "m_dir" / "model.weights.h5"));
  // Both forms hold the same model.
  EXPECT_EQ(keras::to_json(keras::load_model(tmp / "m.keras")), keras::to_json(keras::load_model(tmp / "m_dir")));
  expect_same_weights(keras::load_model(tmp / "m.keras"), keras::load_model(tmp / "m_dir"));
  expect_cli_predicts("legacy_h5", {(tmp / "m.keras").string()});
  expect_cli_predicts("legacy_h5", {(tmp / "m_dir").string()});
  // Existing targets are kept unless --overwrite.
  EXPECT_EQ(run_cli({"convert", src, (tmp / "m.keras").string()}, &output), 1);
  EXPECT_NE(output.find("already exists"), std::string::npos) << output;
  EXPECT_EQ(run_cli({"convert", src, (tmp / "m.keras").string(), "--overwrite"}, &output), 0) << output;
}

TEST(CliFormats, ConvertNeverWritesLegacyH5) {
  TempDir tmp;
  std::string output;
  EXPECT_EQ(run_cli({"convert", path_of("legacy_h5", "model.h5"), (tmp / "out.h5").string()}, &output), 1);
  EXPECT_NE(output.find("legacy HDF5"), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out.h5"));
  EXPECT_EQ(run_cli({"convert", path_of("legacy_h5", "model.h5"), (tmp / "out.hdf5").string()}, &output), 1);
  EXPECT_FALSE(std::filesystem::exists(tmp / "out.hdf5"));
}

TEST(CliFormats, ConvertWeightsOnly) {
  TempDir tmp;
  std::string output;
  // A config JSON plus weights, converted to a .keras model and to a weights file.
  const std::string config = path_of("weights_only", "model.json");
  const std::string weights = path_of("weights_only", "model.weights.h5");
  ASSERT_EQ(run_cli({"convert", config, "--weights", weights, (tmp / "m.keras").string()}, &output), 0) << output;
  expect_cli_predicts("weights_only", {(tmp / "m.keras").string()});
  ASSERT_EQ(
      run_cli({"convert", (tmp / "m.keras").string(), (tmp / "out.weights.h5").string(), "--weights-only"}, &output), 0)
      << output;
  // The weights file is the one Keras wrote.
  auto differences = keras::saving::compare_h5_images(file_bytes(weights), file_bytes(tmp / "out.weights.h5"));
  EXPECT_TRUE(differences.empty()) << (differences.empty() ? "" : differences.front());
  expect_cli_predicts("weights_only", {config, "--weights", (tmp / "out.weights.h5").string()});
  // --weights-only needs a .weights.h5 name; a .weights.h5 name needs --weights-only.
  EXPECT_EQ(run_cli({"convert", (tmp / "m.keras").string(), (tmp / "w.keras").string(), "--weights-only"}, &output), 1);
  EXPECT_EQ(run_cli({"convert", (tmp / "m.keras").string(), (tmp / "x.weights.h5").string()}, &output), 2);
  EXPECT_NE(output.find("--weights-only"), std::string::npos) << output;
}

TEST(CliFormats, ConvertToShardedWeights) {
  TempDir tmp;
  std::string output;
  const std::string config = path_of("sharded_weights", "model.json");
  const std::string index = path_of("sharded_weights", "model.weights.json");
  // 20000 bytes per shard (in GB), as the fixture was written: the same index and shards as Keras'.
  ASSERT_EQ(run_cli({"convert", config, "--weights", index, (tmp / "model.weights.json").string(), "--max-shard-size",
                     "1.862645149230957e-05"},
                    &output),
            0)
      << output;
  EXPECT_EQ(keras::parse_json(keras_test::read_text_file(tmp / "model.weights.json"), "ours"),
            keras::parse_json(keras_test::read_text_file(index), "Keras'"));
  for (const char* shard : {"model_00000.weights.h5", "model_00001.weights.h5"}) {
    auto differences = keras::saving::compare_h5_images(file_bytes(keras_test::fixture_dir("sharded_weights") / shard),
                                                        file_bytes(tmp / shard));
    EXPECT_TRUE(differences.empty()) << shard << ": " << (differences.empty() ? "" : differences.front());
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "model_00002.weights.h5"));
  expect_cli_predicts("sharded_weights", {config, "--weights", (tmp / "model.weights.json").string()});
  // Smaller shards: more files, the same weights.
  ASSERT_EQ(run_cli({"convert", config, "--weights", index, (tmp / "s.weights.json").string(), "--max-shard-size",
                     "0.000016"},
                    &output),
            0)
      << output;
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "s_00002.weights.h5"));
  keras::Model a = keras::load_model_config(config);
  keras::load_weights(a, index);
  keras::Model b = keras::load_model_config(config);
  keras::load_weights(b, tmp / "s.weights.json");
  expect_same_weights(a, b);
  // Bad sizes are usage errors.
  EXPECT_EQ(run_cli({"convert", config, "--weights", index, (tmp / "t.weights.json").string(), "--max-shard-size", "0"},
                    &output),
            2);
  EXPECT_EQ(
      run_cli({"convert", config, "--weights", index, (tmp / "t.weights.json").string(), "--max-shard-size", "big"},
              &output),
      2);
}

}  // namespace
