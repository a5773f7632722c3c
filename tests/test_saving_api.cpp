// The saving API of the seed's "see also": weights-only files (plain and
// sharded), config-only JSON, custom objects and safe mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "keras/keras.hpp"
#include "ops/linalg.hpp"
#include "saving/compare.hpp"
#include "saving/h5_file.hpp"
#include "saving/weights_walk.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::TempDir;

std::vector<std::byte> file_bytes(const std::filesystem::path& p) {
  std::string s = keras_test::read_text_file(p);
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

void expect_predicts_fixture(const keras::Model& model, const std::string& case_name) {
  auto c = keras_test::fixture_case(case_name);
  auto outputs = model.predict(keras_test::fixture_inputs(case_name));
  auto expected = keras_test::fixture_outputs(case_name);
  ASSERT_EQ(outputs.size(), expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i)
    keras_test::expect_close(outputs[i], expected[i], c.at("atol"), c.at("rtol"), case_name);
}

TEST(WeightsOnly, LoadsKerasWeightsFileIntoConfigModel) {
  auto dir = keras_test::fixture_dir("weights_only");
  keras::Model model = keras::load_model_config(dir / "model.json");
  keras::load_weights(model, dir / "model.weights.h5");
  expect_predicts_fixture(model, "weights_only");
}

TEST(WeightsOnly, SavedWeightsFileIsKerasIdentical) {
  auto dir = keras_test::fixture_dir("weights_only");
  keras::Model model = keras::load_model_config(dir / "model.json");
  keras::load_weights(model, dir / "model.weights.h5");
  TempDir tmp;
  keras::save_weights(model, tmp / "out.weights.h5");
  auto diffs =
      keras::saving::compare_h5_images(file_bytes(dir / "model.weights.h5"), file_bytes(tmp / "out.weights.h5"));
  EXPECT_TRUE(diffs.empty()) << joined(diffs);
}

TEST(WeightsOnly, ExtensionAndOverwriteRules) {
  auto dir = keras_test::fixture_dir("weights_only");
  keras::Model model = keras::load_model_config(dir / "model.json");
  TempDir tmp;
  EXPECT_THROW(keras::save_weights(model, tmp / "out.h5"), keras::ValueError);
  EXPECT_THROW(keras::save_weights(model, tmp / "out.h5", {.max_shard_size = 1.0}), keras::ValueError);
  keras::save_weights(model, tmp / "w.weights.h5");
  EXPECT_THROW(keras::save_weights(model, tmp / "w.weights.h5"), keras::FileExistsError);
  EXPECT_NO_THROW(keras::save_weights(model, tmp / "w.weights.h5", {.overwrite = true}));
  EXPECT_THROW(keras::load_weights(model, tmp / "missing.weights.h5"), keras::FileNotFoundError);
  EXPECT_THROW(keras::load_weights(model, tmp / "w.txt"), keras::ValueError);
}

TEST(WeightsOnly, MismatchFailsOrIsSkipped) {
  TempDir tmp;
  keras::Sequential small({keras::Input({3}), keras::layers::Dense(4)});
  keras::Sequential other({keras::Input({3}), keras::layers::Dense(5)});
  keras::save_weights(small, tmp / "small.weights.h5");
  EXPECT_THROW(keras::load_weights(other, tmp / "small.weights.h5"), keras::ShapeMismatchError);
  auto before = other.get_weights();
  EXPECT_NO_THROW(keras::load_weights(other, tmp / "small.weights.h5", {.skip_mismatch = true}));
  EXPECT_TRUE(keras::allclose(other.get_weights()[0], before[0], 0, 0));
}

TEST(ShardedWeights, LoadsKerasShards) {
  auto dir = keras_test::fixture_dir("sharded_weights");
  keras::Model model = keras::load_model_config(dir / "model.json");
  keras::load_weights(model, dir / "model.weights.json");
  expect_predicts_fixture(model, "sharded_weights");
}

TEST(ShardedWeights, WritesTheSameShardsAsKeras) {
  auto dir = keras_test::fixture_dir("sharded_weights");
  keras::Model model = keras::load_model_config(dir / "model.json");
  keras::load_weights(model, dir / "model.weights.json");
  TempDir tmp;
  // 20000 bytes: the first Dense fits, the second starts a new shard.
  keras::save_weights(model, tmp / "model.weights.json", {.max_shard_size = 20000.0 / (1024.0 * 1024.0 * 1024.0)});
  EXPECT_EQ(keras::Json::parse(keras_test::read_text_file(tmp / "model.weights.json")),
            keras::Json::parse(keras_test::read_text_file(dir / "model.weights.json")));
  for (const char* shard : {"model_00000.weights.h5", "model_00001.weights.h5"}) {
    auto diffs = keras::saving::compare_h5_images(file_bytes(dir / shard), file_bytes(tmp / shard));
    EXPECT_TRUE(diffs.empty()) << shard << joined(diffs);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "model_00002.weights.h5"));
  keras::Model reloaded = keras::load_model_config(dir / "model.json");
  keras::load_weights(reloaded, tmp / "model.weights.json");
  expect_predicts_fixture(reloaded, "sharded_weights");
  EXPECT_THROW(keras::save_weights(model, tmp / "tiny.weights.json", {.max_shard_size = 1e-9}), keras::ValueError);
}

TEST(ConfigOnly, ToJsonAndBack) {
  auto fixture = keras_test::fixture_dir("seed_dense_softmax") / "model.keras";
  keras::Model model = keras::load_model(fixture);
  std::string json = keras::to_json(model);
  EXPECT_EQ(json.find("shared_object_id"), std::string::npos);
  keras::Model rebuilt = keras::model_from_json(json);
  EXPECT_EQ(keras::to_json(rebuilt), json);
  TempDir tmp;
  keras::save_model_config(model, tmp / "config.json");
  EXPECT_EQ(keras_test::read_text_file(tmp / "config.json"), json);
  EXPECT_THROW(keras::save_model_config(model, tmp / "config.json"), keras::FileExistsError);
  EXPECT_EQ(keras::to_json(keras::load_model_config(tmp / "config.json")), json);
  EXPECT_THROW(keras::model_from_json("{not json"), keras::FormatError);
  EXPECT_THROW(keras::load_model_config(tmp / "absent.json"), keras::FileNotFoundError);
}

// The fixture's custom layer: y = scale * (x @ kernel).
class ScaledDense final : public keras::Layer {
 public:
  ScaledDense(std::int64_t units, double scale, const keras::LayerBaseOptions& base)
      : keras::Layer(base, "scaled_dense"), units_(units), scale_(scale) {}
  static keras::LayerPtr from_config(const keras::Json& config) {
    return std::make_shared<ScaledDense>(config.at("units").get<std::int64_t>(), config.at("scale").get<double>(),
                                         base_options_from_config(config));
  }
  std::string class_name() const override { return "ScaledDense"; }
  std::string module() const override { return ""; }
  std::optional<std::string> registered_name() const override { return "Fixtures>ScaledDense"; }
  keras::Json get_config() const override {
    keras::Json config = base_config();
    config["units"] = units_;
    config["scale"] = scale_;
    return config;
  }
  keras::Shape compute_output_shape(const keras::Shape& input) override {
    keras::Shape out = input;
    out.back() = units_;
    return out;
  }
  keras::Tensor forward(const keras::Tensor& x, bool /*training*/) override {
    keras::Tensor y = keras::kernels::dense(x, kernel_->value());
    for (std::int64_t i = 0; i < y.size(); ++i) y.data<float>()[i] *= static_cast<float>(scale_);
    return y;
  }

 protected:
  void build(const std::vector<keras::Shape>& shapes) override {
    kernel_ = add_weight("kernel", {shapes.at(0).back(), units_}, "glorot_uniform");
  }

 private:
  std::int64_t units_;
  double scale_;
  keras::VariablePtr kernel_;
};

TEST(CustomObjects, UnregisteredCustomLayerNamesItself) {
  try {
    keras::load_model(keras_test::fixture_dir("custom_layer") / "model.keras");
    FAIL() << "expected UnknownObjectError";
  } catch (const keras::UnknownObjectError& e) {
    EXPECT_NE(std::string(e.what()).find("Fixtures>ScaledDense"), std::string::npos) << e.what();
  }
}

TEST(CustomObjects, ScopeOverlaysTheRegistryWhileItLives) {
  auto path = keras_test::fixture_dir("custom_layer") / "model.keras";
  {
    keras::saving::CustomObjectScope scope({{"Fixtures>ScaledDense", ScaledDense::from_config}});
    EXPECT_NE(keras::saving::get_registered_object("Fixtures>ScaledDense"), nullptr);
    keras::Model model = keras::load_model(path);
    expect_predicts_fixture(model, "custom_layer");
  }
  EXPECT_EQ(keras::saving::get_registered_object("Fixtures>ScaledDense"), nullptr);
  EXPECT_THROW(keras::load_model(path), keras::UnknownObjectError);
}

TEST(CustomObjects, RegisteredCustomLayerPredictsAndSavesAsKeras) {
  keras::saving::register_keras_serializable("Fixtures", "ScaledDense", ScaledDense::from_config);
  auto fixture = keras_test::fixture_dir("custom_layer") / "model.keras";
  keras::Model model = keras::load_model(fixture);
  expect_predicts_fixture(model, "custom_layer");
  // The CLI does not know this C++ class; save through the API instead.
  TempDir tmp;
  keras::save_model(model, tmp / "custom.keras");
  auto diffs = keras::saving::compare_saved_models(fixture, tmp / "custom.keras");
  EXPECT_TRUE(diffs.empty()) << joined(diffs);
  EXPECT_EQ(keras::saving::get_registered_name(*model.get_layer("scaled")), "Fixtures>ScaledDense");
  EXPECT_EQ(keras::saving::get_registered_name(*model.get_layer("dense_19")), "Dense");
}

TEST(SafeMode, LambdaLayersAreRefused) {
  try {
    keras::load_model(keras_test::fixture_dir("lambda_layer") / "model.keras");
    FAIL() << "expected UnsafeContentError";
  } catch (const keras::UnsafeContentError& e) {
    EXPECT_NE(std::string(e.what()).find("Lambda"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lambda_layer"), std::string::npos) << e.what();
  }
}

TEST(SafeMode, RemotePathsAndNpzAreRefused) {
  EXPECT_THROW(keras::load_model("hf://user/model"), keras::NotImplementedError);
  keras::Sequential model({keras::Input({3}), keras::layers::Dense(2)});
  EXPECT_THROW(keras::save_model(model, "gs://bucket/model.keras"), keras::NotImplementedError);
}

}  // namespace

namespace {

TEST(ShardedWeights, IncludeTheOptimizerState) {
  keras::Model model = keras::load_model(keras_test::fixture_dir("optimizer_adam") / "model.keras");
  TempDir tmp;
  keras::save_weights(model, tmp / "m.weights.json", {.max_shard_size = 1.0});
  auto index = keras::Json::parse(keras_test::read_text_file(tmp / "m.weights.json"));
  ASSERT_TRUE(index.at("weight_map").contains("/optimizer/vars")) << index.dump();
  // Plain and sharded files hold the same tree.
  keras::save_weights(model, tmp / "m.weights.h5");
  auto diffs =
      keras::saving::compare_h5_images(file_bytes(tmp / "m.weights.h5"), file_bytes(tmp / "m_00000.weights.h5"));
  EXPECT_TRUE(diffs.empty()) << joined(diffs);
}

TEST(ConfigOnly, ModelFromJsonCompilesLikeKeras) {
  keras::Model model = keras::load_model(keras_test::fixture_dir("optimizer_adam") / "model.keras");
  keras::Model rebuilt = keras::model_from_json(keras::to_json(model));
  EXPECT_TRUE(rebuilt.compiled());
  EXPECT_EQ(keras::to_json(rebuilt), keras::to_json(model));
}

}  // namespace

namespace {

// The archive of a one-Dense model whose kernel is all `value`.
std::vector<std::byte> archive_with_kernel_of(float value) {
  keras::KerasTensor input = keras::Input({64});
  keras::Model model(input, keras::layers::Dense(64)(input));
  std::vector<keras::Tensor> weights = model.get_weights();
  weights[0] = keras::Tensor::full(weights[0].shape(), value);
  model.set_weights(weights);
  return keras::save_model(model);
}

}  // namespace

// load_model reads the STORED model.weights.h5 in place, so it checks the member's CRC-32
// itself: a flipped byte inside a kernel is refused naming the member, unless verify_crc is off.
TEST(LoadInPlace, CorruptedWeightsFailTheCrcUnlessUnchecked) {
  constexpr float kValue = 1234.5F;
  std::vector<std::byte> archive = archive_with_kernel_of(kValue);
  EXPECT_EQ(keras::load_model(std::span<const std::byte>(archive)).get_weights()[0].to_vector().front(), kValue);

  std::byte pattern[sizeof(float)];
  std::memcpy(pattern, &kValue, sizeof kValue);
  const auto found = std::search(archive.begin(), archive.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(found, archive.end());
  const auto index = static_cast<std::size_t>(found - archive.begin());
  archive[index + 3] ^= std::byte{0x01};  // the sign-and-exponent byte of the first element

  std::string message;
  try {
    keras::load_model(std::span<const std::byte>(archive));
    ADD_FAILURE() << "a corrupted weights member loaded";
  } catch (const keras::FormatError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("model.weights.h5"), std::string::npos) << message;
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;

  keras::LoadModelOptions unchecked;
  unchecked.verify_crc = false;
  const keras::Model loaded = keras::load_model(std::span<const std::byte>(archive), unchecked);
  const std::vector<float> kernel = loaded.get_weights()[0].to_vector();
  EXPECT_NE(kernel.front(), kValue);
  EXPECT_EQ(kernel.back(), kValue);
}

// An archive loaded by path has its weights read with pread() into their tensors and the
// member's CRC-32 computed as they stream by (src/saving/h5_file.cpp, DirectReads): a flipped
// byte anywhere in the member (superblock, kernel, bias, the metadata at its end) is refused as
// a CRC error by load_model and load_weights alike, and the weights read are exact.
TEST(LoadFromPath, ByteFlippedAnywhereInTheWeightsMemberFailsTheCrc) {
  constexpr float kValue = 1234.5F;
  const std::vector<std::byte> archive = archive_with_kernel_of(kValue);
  const std::byte signature[] = {std::byte{0x89}, std::byte{'H'}, std::byte{'D'}, std::byte{'F'}};
  const auto member = static_cast<std::size_t>(
      std::search(archive.begin(), archive.end(), std::begin(signature), std::end(signature)) - archive.begin());
  ASSERT_LT(member, archive.size());
  std::byte pattern[sizeof(float)];
  std::memcpy(pattern, &kValue, sizeof kValue);
  const auto kernel = static_cast<std::size_t>(
      std::search(archive.begin(), archive.end(), std::begin(pattern), std::end(pattern)) - archive.begin());
  ASSERT_LT(kernel, archive.size());
  const std::size_t end_of_member = archive.size() - 200;  // before the central directory

  TempDir dir;
  const auto write = [&](const std::vector<std::byte>& bytes) {
    std::ofstream out(dir / "m.keras", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  write(archive);
  const keras::Model good = keras::load_model(dir / "m.keras");
  const std::vector<keras::Tensor> weights = good.get_weights();
  const keras::Model reference = keras::load_model(std::span<const std::byte>(archive));  // read by libhdf5
  ASSERT_EQ(weights.size(), 2U);
  EXPECT_EQ(weights[0].to_vector(), reference.get_weights()[0].to_vector());
  EXPECT_EQ(weights[1].to_vector(), reference.get_weights()[1].to_vector());
  EXPECT_EQ(weights[0].to_vector().back(), kValue);

  for (const std::size_t at :
       {member + 20, kernel + 3, kernel + 64 * 64 * 4 - 1, kernel + 64 * 64 * 4 + 1, end_of_member - 1}) {
    std::vector<std::byte> damaged = archive;
    damaged[at] ^= std::byte{0x10};
    write(damaged);
    for (const bool whole_model : {true, false}) {
      try {
        if (whole_model) {
          keras::load_model(dir / "m.keras");
        } else {
          keras::load_weights(good, dir / "m.keras");
        }
        ADD_FAILURE() << "byte " << at - member << " of the member flipped, and it loaded";
      } catch (const keras::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("'model.weights.h5' in " + (dir / "m.keras").string() + ": CRC error"),
                  std::string::npos)
            << "byte " << at - member << ": " << e.what();
      }
    }
    keras::LoadModelOptions unchecked;
    unchecked.verify_crc = false;
    if (at == kernel + 3) {
      EXPECT_NE(keras::load_model(dir / "m.keras", unchecked).get_weights()[0].to_vector()[0], kValue);
    }
  }
}

// A loaded model owns its weights: the archive it was read from may go away.
TEST(LoadInPlace, LoadedWeightsOutliveTheArchive) {
  keras::Model loaded;
  {
    TempDir dir;
    std::vector<std::byte> archive = archive_with_kernel_of(0.25F);
    {
      std::ofstream out(dir / "m.keras", std::ios::binary);
      out.write(reinterpret_cast<const char*>(archive.data()), static_cast<std::streamsize>(archive.size()));
    }
    loaded = keras::load_model(dir / "m.keras");
  }
  for (float v : loaded.get_weights()[0].to_vector()) ASSERT_EQ(v, 0.25F);
}

// save_model to a path streams the archive into the target's unnamed temporary file, HDF5
// writing model.weights.h5 in place through the descriptor driver: the file must hold what the
// in-memory archive (libhdf5's core driver) holds, compiled model and optimizer state included,
// and leave nothing else in the directory.
TEST(StreamedSave, FileArchiveMatchesTheInMemoryOne) {
  keras::KerasTensor input = keras::Input({6});
  keras::KerasTensor hidden = keras::layers::Dense(5, {.activation = "relu"})(input);
  keras::Model model(input, keras::layers::Dense(2)(hidden));
  model.compile({.optimizer = std::make_shared<keras::optimizers::Adam>(), .loss = "mse"});
  const keras::Tensor x = keras::random::normal({8, 6}, 0.0F, 1.0F, 3);
  const keras::Tensor y = keras::random::normal({8, 2}, 0.0F, 1.0F, 4);
  model.train_on_batch({x}, {y});

  TempDir dir;
  keras::save_model(model, dir / "m.keras");
  keras::save_model(model, dir / "m.keras", {.overwrite = true});  // replacing an existing file
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"m.keras"});

  const std::vector<std::byte> in_memory = keras::save_model(model);
  auto streamed = keras::saving::ZipReader::open(dir / "m.keras");
  auto reference = keras::saving::ZipReader::view(in_memory);
  ASSERT_EQ(streamed.members(), reference.members());
  for (const auto& name : streamed.members()) EXPECT_EQ(streamed.info(name).method, 0) << name;  // STORED
  EXPECT_EQ(streamed.read("config.json"), reference.read("config.json"));
  // The same HDF5 file, byte for byte (cut to its end, not to the driver's growth step).
  EXPECT_EQ(streamed.read("model.weights.h5"), reference.read("model.weights.h5"));

  const keras::Model loaded = keras::load_model(dir / "m.keras");
  EXPECT_TRUE(keras::allclose(loaded.predict(x).at(0), model.predict(x).at(0), 0, 0));
}

// save_weights builds its HDF5 file inside the target's unnamed temporary file.
TEST(StreamedSave, WeightsFileMatchesTheInMemoryImage) {
  keras::KerasTensor input = keras::Input({4});
  keras::Model model(input, keras::layers::Dense(3)(input));
  TempDir dir;
  keras::save_weights(model, dir / "m.weights.h5");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"m.weights.h5"});
  auto image = keras::saving::H5File::create_in_memory("m.weights.h5");
  keras::saving::save_weights_to(model.impl(), image.root());
  EXPECT_EQ(file_bytes(dir / "m.weights.h5"), image.image());
}
