// float16 / bfloat16 layers and the mixed_float16 / mixed_bfloat16 policies:
// variables in the variable dtype, outputs in the compute dtype, bfloat16
// stored as opaque 2-byte HDF5 data with a dtype attribute (spec §3.4, §4.6).
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::TempDir;
namespace layers = keras::layers;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

TEST(DTypes, FixtureLoadsPredictsAndConvertsIdentically) { keras_test::expect_fixture_matches("dtypes"); }
// float64 policies computing as Keras 3.16 numpy does, and argmax giving int32.
TEST(DTypes, Float64AndIntsFixtureMatchesKeras) {
  keras_test::expect_fixture_matches("float64_and_ints");
  // Argmax's output keeps Keras' int32.
  keras::Model model = keras::load_model(keras_test::fixture_dir("float64_and_ints") / "model.keras");
  auto outputs = model.predict(keras_test::fixture_inputs("float64_and_ints"));
  ASSERT_EQ(outputs.size(), 2u);
  const keras::Tensor expected = keras::load_npy(keras_test::fixture_dir("float64_and_ints") / "y1.npy");
  EXPECT_EQ(expected.dtype(), keras::DType::int32);
  EXPECT_EQ(outputs[1].dtype(), expected.dtype());
}

TEST(DTypes, VariablesKeepTheVariableDtypeAndOutputsTheComputeDtype) {
  keras::Model model = keras::load_model(keras_test::fixture_dir("dtypes") / "model.keras");
  EXPECT_EQ(model.get_layer("half")->weights()[0]->dtype(), keras::DType::float16);
  EXPECT_EQ(model.get_layer("brain")->weights()[0]->dtype(), keras::DType::bfloat16);
  EXPECT_EQ(model.get_layer("mixed")->weights()[0]->dtype(), keras::DType::float32);
  EXPECT_EQ(model.get_layer("mixed")->compute_dtype(), keras::DType::float16);
  auto outputs = model.predict(keras_test::fixture_inputs("dtypes"));
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[0].dtype(), keras::DType::float16);
  EXPECT_EQ(outputs[1].dtype(), keras::DType::bfloat16);
  EXPECT_EQ(outputs[2].dtype(), keras::DType::float16);
  // Keras' own float16 outputs have that dtype too.
  auto expected = keras_test::fixture_outputs("dtypes");
  EXPECT_EQ(expected[0].dtype(), keras::DType::float16);
  EXPECT_EQ(expected[2].dtype(), keras::DType::float16);
  // Symbolic outputs carry the compute dtype as well.
  EXPECT_EQ(model.outputs()[1].dtype(), keras::DType::bfloat16);
}

TEST(DTypes, Bfloat16IsStoredOpaqueWithDtypeAttribute) {
  auto zip = keras::saving::ZipReader::open(keras_test::fixture_dir("dtypes") / "model.keras");
  auto file = keras::saving::H5File::open_image(zip.read("model.weights.h5"), "dtypes");
  auto root = file.root();
  // Keras' file: the Functional's layers are input_layer, dense (half), dense_1 (brain), dense_2 (mixed).
  EXPECT_EQ(root.dataset_info("layers/dense/vars/0").dtype, keras::DType::float16);
  EXPECT_EQ(root.dataset_info("layers/dense_1/vars/0").dtype, keras::DType::bfloat16);
  EXPECT_EQ(root.group("layers/dense_1/vars").string_attr("name"), "brain");
  EXPECT_EQ(root.dataset_info("layers/dense_2/vars/0").dtype, keras::DType::float32);

  keras::Model model = keras::load_model(keras_test::fixture_dir("dtypes") / "model.keras");
  auto bytes = keras::save_model(model);
  auto out_zip = keras::saving::ZipReader::from_memory(std::span<const std::byte>(bytes));
  auto out = keras::saving::H5File::open_image(out_zip.read("model.weights.h5"), "saved");
  auto kernel = out.root().group("layers/dense_1/vars");
  EXPECT_EQ(kernel.dataset_info("0").dtype, keras::DType::bfloat16);
  EXPECT_TRUE(keras::allclose(kernel.read_dataset("0"), root.read_dataset("layers/dense_1/vars/0"), 0, 0));
}

// The fixture's model written in C++: the same config and, once its weights
// are loaded, the same file as Keras'.
TEST(DTypes, CppBuiltModelSavesLikeKeras) {
  auto x = keras::Input({6}, {.name = "input_layer_25"});
  auto half = layers::Dense(4, {.name = "half", .dtype = "float16"})(x);
  auto brain = layers::Dense(4, {.name = "brain", .dtype = "bfloat16"})(x);
  auto mixed = layers::Dense(4, {.name = "mixed", .dtype = "mixed_float16"})(x);
  keras::Model model({x}, {half, brain, mixed}, "functional_45");
  keras_test::expect_model_config_matches_fixture(model, "dtypes");
  const auto fixture = keras_test::fixture_dir("dtypes") / "model.keras";
  keras::load_weights(model, fixture);
  TempDir tmp;
  keras::save_model(model, tmp / "m.keras");
  auto differences = keras::saving::compare_saved_models(fixture, tmp / "m.keras");
  EXPECT_TRUE(differences.empty()) << joined(differences);
  auto c = keras_test::fixture_case("dtypes");
  auto outputs = model.predict(keras_test::fixture_inputs("dtypes"));
  auto expected = keras_test::fixture_outputs("dtypes");
  for (std::size_t i = 0; i < 3; ++i) keras_test::expect_close(outputs[i], expected[i], c.at("atol"), c.at("rtol"), "");
}

TEST(DTypes, MixedBfloat16ExampleRoundTripsIdentically) {
  const auto source = keras_test::data_path("format-examples") / "ex7_bfloat16.keras";
  keras::Model model = keras::load_model(source);
  EXPECT_EQ(model.get_layer("bf")->weights()[0]->dtype(), keras::DType::bfloat16);
  EXPECT_EQ(model.get_layer("mixed")->weights()[0]->dtype(), keras::DType::float32);
  EXPECT_EQ(model.get_layer("mixed")->compute_dtype(), keras::DType::bfloat16);
  auto y = model.predict(keras::Tensor::full({2, 3}, 0.5f));
  EXPECT_EQ(y[0].dtype(), keras::DType::bfloat16);
  TempDir tmp;
  keras::save_model(model, tmp / "m.keras");
  auto differences = keras::saving::compare_saved_models(source, tmp / "m.keras");
  EXPECT_TRUE(differences.empty()) << joined(differences);
}

// Rounding follows Keras: inputs and variables are cast to the compute
// dtype before the math, and the result is rounded to it.
TEST(DTypes, ComputeDtypeRounding) {
  auto x = keras::Input({1});
  auto f32 = layers::Dense(1, {.kernel_initializer = keras::initializers::Constant(1.00390625), .name = "f32"});
  auto mixed = layers::Dense(
      1, {.kernel_initializer = keras::initializers::Constant(1.00390625), .name = "mbf16", .dtype = "mixed_bfloat16"});
  auto half =
      layers::Dense(1, {.kernel_initializer = keras::initializers::Constant(1.0), .name = "f16", .dtype = "float16"});
  keras::Model model({x}, {f32(x), mixed(x), half(x)});
  // 1 + 2^-8 is exact in float32 but rounds to 1 in bfloat16 (7 mantissa bits).
  auto outputs = model.predict(keras::Tensor::full({1, 1}, 1.0f));
  EXPECT_EQ(outputs[0].at(0), 1.00390625);
  EXPECT_EQ(outputs[1].at(0), 1.0);
  EXPECT_EQ(outputs[1].dtype(), keras::DType::bfloat16);
  // 70000 overflows float16 (max 65504): Keras gives inf.
  auto big = model.predict(keras::Tensor::full({1, 1}, 70000.0f));
  EXPECT_TRUE(std::isinf(big[2].at(0)));
  EXPECT_EQ(big[2].dtype(), keras::DType::float16);
  // The mixed layer's variables stay float32.
  EXPECT_EQ(mixed->weights()[0]->value().dtype(), keras::DType::float32);
  EXPECT_EQ(mixed->weights()[0]->value().at(0), 1.00390625);
}

TEST(DTypes, HalfPrecisionInputLayer) {
  auto x = keras::Input({2}, {.name = "x16", .dtype = "float16"});
  auto y = layers::Dense(1, {.kernel_initializer = keras::initializers::Ones(), .name = "d"})(x);
  keras::Model model(x, y);
  EXPECT_EQ(model.inputs()[0].dtype(), keras::DType::float16);
  keras::Json config = keras::parse_json(keras::to_json(model), "model");
  EXPECT_EQ(config.at("config").at("layers").at(0).at("config").at("dtype"), "float16");
  // A float32 value is converted to the input's float16 first: 1 + 2^-12 becomes 1.
  auto out = model.predict(keras::Tensor::full({1, 2}, 1.000244140625f));
  EXPECT_EQ(out[0].dtype(), keras::DType::float32);
  EXPECT_EQ(out[0].at(0), 2.0);
  // Round trip keeps the input dtype.
  keras::Model back = keras::load_model(std::span<const std::byte>(keras::save_model(model)));
  EXPECT_EQ(back.inputs()[0].dtype(), keras::DType::float16);
}

TEST(DTypes, UnknownPolicyNamesAreRejected) {
  EXPECT_THROW(layers::Dense(1, {.dtype = "mixed_float8"}), keras::Error);
  // Quantized policies parse (tests/test_quantization.cpp); the GPTQ/AWQ/ternary ones and
  // DTypePolicyMap are refused as not implemented.
  keras::Json gptq = keras::Json::parse(
      R"({"module": "keras.dtype_policies", "class_name": "GPTQDTypePolicy",
          "config": {"mode": "gptq/4/128", "source_name": "float32"}, "registered_name": null})");
  EXPECT_THROW(keras::DTypePolicy::from_json(gptq), keras::NotImplementedError);
}

}  // namespace
