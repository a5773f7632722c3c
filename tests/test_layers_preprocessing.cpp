// Preprocessing layers: Keras fixtures, configs built in C++, hand-checked math.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "keras/keras.hpp"
#include "keras/layers/preprocessing.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::DType;
using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

Tensor run_layer(const keras::LayerRef& layer, const Tensor& x) {
  Shape feature_shape(x.shape().begin() + 1, x.shape().end());
  auto input = keras::Input(feature_shape, {.dtype = keras::dtype_name(x.dtype())});
  keras::Model model(input, layer(input));
  return model.predict(x).at(0);
}

void expect_values(const Tensor& actual, const std::vector<float>& expected, float tol = 1e-5F) {
  auto got = actual.astype(DType::float32).to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "at " << i;
}

Tensor ids(const Shape& shape, const std::vector<std::int64_t>& values) {
  return Tensor::from_vector_i64(shape, values, DType::int32);
}

// ---------------------------------------------------------------- fixtures

TEST(PreprocessingFixtures, PreprocessingCaseMatchesKeras) { keras_test::expect_fixture_matches("preprocessing"); }

TEST(PreprocessingFixtures, ResizingCaseMatchesKeras) { keras_test::expect_fixture_matches("resizing_spatial"); }

TEST(PreprocessingFixtures, CppBuiltLayersSerializeLikeKeras) {
  keras::clear_session();
  auto img = keras::Input({8, 8, 3});
  auto vec = keras::Input({4});
  auto id_input = keras::Input({3}, {.dtype = "int32"});
  layers::Rescaling rescaling(1.0 / 255, {.offset = -1.0, .name = "rescaling"});
  layers::Normalization normalization({.mean = Json::array({1.0, 2.0, 3.0, 4.0}),
                                       .variance = Json::array({1.0, 4.0, 0.25, 2.0}),
                                       .name = "normalization"});
  layers::CenterCrop crop(4, 6, {.name = "center_crop"});
  layers::Discretization discretization(
      {.bin_boundaries = std::vector<double>{-0.5, 0.0, 0.5}, .name = "discretization"});
  layers::CategoryEncoding multi_hot(6, {.name = "category_encoding"});
  layers::CategoryEncoding count(6, {.output_mode = "count", .name = "category_encoding_1"});
  (void)rescaling(img);
  (void)normalization(vec);
  (void)crop(img);
  auto bins = discretization(vec);
  EXPECT_EQ(bins.dtype(), DType::int32);
  (void)multi_hot(id_input);
  (void)count(id_input);
  keras_test::expect_config_matches_fixture(rescaling, "preprocessing", "rescaling");
  keras_test::expect_config_matches_fixture(normalization, "preprocessing", "normalization");
  keras_test::expect_config_matches_fixture(crop, "preprocessing", "center_crop");
  keras_test::expect_config_matches_fixture(discretization, "preprocessing", "discretization");
  keras_test::expect_config_matches_fixture(multi_hot, "preprocessing", "category_encoding");
  keras_test::expect_config_matches_fixture(count, "preprocessing", "category_encoding_1");

  auto image = keras::Input({8, 9, 3});
  layers::Resizing bilinear(5, 7, {.name = "resizing"});
  layers::Resizing nearest(12, 6, {.interpolation = "nearest", .name = "resizing_1"});
  layers::Resizing cropped(4, 4, {.crop_to_aspect_ratio = true, .name = "resizing_2"});
  for (const auto& layer : {bilinear, nearest, cropped}) (void)layer(image);
  keras_test::expect_config_matches_fixture(bilinear, "resizing_spatial", "resizing");
  keras_test::expect_config_matches_fixture(nearest, "resizing_spatial", "resizing_1");
  keras_test::expect_config_matches_fixture(cropped, "resizing_spatial", "resizing_2");
}

// The same layers built in C++ compute Keras' numbers for the fixture inputs.
TEST(PreprocessingFixtures, CppBuiltResizingMatchesKerasOutputs) {
  auto inputs = keras_test::fixture_inputs("resizing_spatial");
  auto expected = keras_test::fixture_outputs("resizing_spatial");
  const double atol = 1e-5, rtol = 1e-4;
  keras_test::expect_close(run_layer(layers::Resizing(5, 7), inputs[0]), expected[0], atol, rtol, "bilinear");
  keras_test::expect_close(run_layer(layers::Resizing(12, 6, {.interpolation = "nearest"}), inputs[0]), expected[1],
                           atol, rtol, "nearest");
  keras_test::expect_close(run_layer(layers::Resizing(4, 4, {.crop_to_aspect_ratio = true}), inputs[0]), expected[2],
                           atol, rtol, "crop_to_aspect_ratio");
}

// ------------------------------------------------------------- Rescaling

TEST(Rescaling, ScalesAndOffsetsPerChannel) {
  layers::Rescaling rescaling(Json::array({1.0, 2.0}), {.offset = Json::array({0.5, -1.0})});
  Tensor y = run_layer(rescaling, Tensor::from_vector({2, 2}, {1, 1, 3, 4}));
  expect_values(y, {1.5F, 1.0F, 3.5F, 7.0F});
  EXPECT_EQ(rescaling->get_config().at("scale"), Json::array({1.0, 2.0}));
  EXPECT_TRUE(rescaling->own_variables().empty());
}

TEST(Rescaling, IntegerInputsGiveFloats) {
  Tensor y = run_layer(layers::Rescaling(0.5), ids({1, 3}, {2, 4, 7}));
  EXPECT_EQ(y.dtype(), DType::float32);
  expect_values(y, {1.0F, 2.0F, 3.5F});
}

TEST(Rescaling, AcceptsNumpyArrayEnvelopesAndWritesThemBack) {
  Json scale = {{"class_name", "__numpy__"}, {"config", {{"value", Json::array({2.0, 4.0})}, {"dtype", "float32"}}}};
  Json envelope = {{"module", "keras.layers"},
                   {"class_name", "Rescaling"},
                   {"config", {{"name", "r"}, {"scale", scale}, {"offset", 0.0}}},
                   {"registered_name", nullptr}};
  auto layer = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(layer->get_config().at("scale"), scale);
  expect_values(run_layer(keras::LayerRef(layer), Tensor::from_vector({1, 2}, {1, 1})), {2.0F, 4.0F});
}

// --------------------------------------------------------- Normalization

TEST(Normalization, GivenStatisticsAreConstants) {
  layers::Normalization norm({.mean = 3.0, .variance = 4.0});
  Tensor y = run_layer(norm, Tensor::from_vector({3, 1}, {1, 3, 7}));
  expect_values(y, {-1.0F, 0.0F, 2.0F});
  EXPECT_TRUE(norm->own_variables().empty());
  EXPECT_EQ(norm->get_config().at("mean"), 3.0);
  layers::Normalization inverse({.mean = Json::array({1.0, 2.0}), .variance = Json::array({4.0, 9.0}), .invert = true});
  expect_values(run_layer(inverse, Tensor::from_vector({1, 2}, {1, -1})), {3.0F, -1.0F});
}

TEST(Normalization, TinyVarianceIsClampedAtEpsilon) {
  layers::Normalization norm({.mean = 0.0, .variance = 0.0});
  expect_values(run_layer(norm, Tensor::from_vector({1, 1}, {1e-7F})), {1.0F});
}

TEST(Normalization, AdaptedStatisticsAreNonTrainableVariables) {
  layers::Normalization norm;
  norm.adapt(Tensor::from_vector({4, 3}, {0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6}));
  auto vars = norm->own_variables();
  ASSERT_EQ(vars.size(), 3U);
  EXPECT_EQ(vars[0]->name(), "mean");
  EXPECT_EQ(vars[1]->name(), "variance");
  EXPECT_EQ(vars[2]->name(), "count");
  EXPECT_EQ(vars[2]->dtype(), DType::int32);
  EXPECT_EQ(vars[2]->shape(), Shape{});
  for (const auto& v : vars) EXPECT_FALSE(v->trainable());
  expect_values(vars[0]->value(), {1.0F, 8.0F, 5.0F});
  expect_values(vars[1]->value(), {1.0F, 1.0F, 1.0F});
  // Keras' docstring example: [[0, 7, 4]] -> [-1, -1, -1].
  expect_values(norm->forward(Tensor::from_vector({1, 3}, {0, 7, 4}), false), {-1.0F, -1.0F, -1.0F});
  EXPECT_EQ(norm->get_config().at("mean"), nullptr);
  layers::Normalization fixed({.mean = 1.0, .variance = 1.0});
  EXPECT_THROW(fixed.adapt(Tensor::zeros({2, 1})), keras::ValueError);
}

TEST(Normalization, AxisNoneUsesOneScalarStatistic) {
  layers::Normalization norm({.axis = {}});
  norm.adapt(Tensor::from_vector({5}, {1, 2, 3, 4, 5}));
  EXPECT_EQ(norm->get_config().at("axis"), Json::array());
  // Keras' docstring example: [1, 2, 3] -> [-1.4142135, -0.70710677, 0].
  expect_values(norm->forward(Tensor::from_vector({3}, {1, 2, 3}), false), {-1.4142135F, -0.70710677F, 0.0F});
}

TEST(Normalization, MismatchedStatisticsAreRejected) {
  EXPECT_THROW(layers::Normalization({.mean = 1.0}), keras::ValueError);
  EXPECT_THROW(layers::Normalization({.mean = Json::array({1.0, 2.0}), .variance = Json::array({1.0})}),
               keras::ValueError);
  layers::Normalization wrong_width({.mean = Json::array({1.0, 2.0}), .variance = Json::array({1.0, 1.0})});
  EXPECT_THROW(wrong_width->build_for({{-1, 3}}), keras::ValueError);
}

// ---------------------------------------------------------- CenterCrop

TEST(CenterCrop, TakesTheCentralWindow) {
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(i);
  Tensor y = run_layer(layers::CenterCrop(2, 2), Tensor::from_vector({1, 4, 4, 1}, values));
  expect_values(y, {5, 6, 9, 10});
  layers::CenterCrop cf(2, 3, {.data_format = "channels_first"});
  Tensor z = run_layer(cf, Tensor::from_vector({1, 1, 4, 4}, values));
  EXPECT_EQ(z.shape(), Shape({1, 1, 2, 3}));
  expect_values(z, {4, 5, 6, 8, 9, 10});
}

TEST(CenterCrop, SmallerImagesAreCroppedToAspectThenResized) {
  // 2x4 to 4x4: crop the central 2x2 (aspect 1), then upsample bilinearly.
  Tensor x = Tensor::from_vector({1, 2, 4, 1}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor y = run_layer(layers::CenterCrop(4, 4), x);
  Tensor expected = run_layer(layers::Resizing(4, 4), Tensor::from_vector({1, 2, 2, 1}, {1, 2, 5, 6}));
  keras_test::expect_close(y, expected, 1e-6, 0, "center crop via resize");
  EXPECT_THROW(layers::CenterCrop(4, 4)->compute_output_shape({-1, 4}), keras::ValueError);
}

// ------------------------------------------------------------ Resizing

// Integer images come back in their dtype, rounded (half to even) and clipped
// to the image's own range, as Keras' numpy backend resizes them; CenterCrop
// casts to the compute dtype first.
TEST(Resizing, IntegerImagesKeepTheirDtype) {
  Tensor x = Tensor::from_vector({1, 2, 2, 1}, {0, 3, 8, 255});
  Tensor as_float = run_layer(layers::Resizing(3, 3), x);
  for (DType dtype : {DType::uint8, DType::int32}) {
    Tensor y = run_layer(layers::Resizing(3, 3), x.astype(dtype));
    EXPECT_EQ(y.dtype(), dtype);
    auto expected = as_float.to_vector();
    auto got = y.to_vector();
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], std::clamp(std::nearbyint(expected[i]), 0.0F, 255.0F)) << i;
  }
  EXPECT_EQ(run_layer(layers::CenterCrop(1, 1), x.astype(DType::uint8)).dtype(), DType::float32);
  auto input = keras::Input({2, 2, 1}, {.dtype = "uint8"});
  EXPECT_EQ(layers::Resizing(3, 3)(input).dtype(), DType::uint8);
}

TEST(Resizing, BilinearUsesHalfPixelCentres) {
  Tensor y = run_layer(layers::Resizing(1, 4), Tensor::from_vector({1, 1, 2, 1}, {0, 1}));
  expect_values(y, {0.0F, 0.25F, 0.75F, 1.0F});
}

TEST(Resizing, NearestRepeatsPixels) {
  Tensor y = run_layer(layers::Resizing(2, 4, {.interpolation = "nearest"}), Tensor::from_vector({1, 1, 2, 1}, {3, 9}));
  expect_values(y, {3, 3, 9, 9, 3, 3, 9, 9});
}

TEST(Resizing, PadToAspectRatioPadsBothSidesWithFillValue) {
  // 2x2 to 2x4: pad one column of 5 on each side, then the size already matches.
  layers::Resizing resize(2, 4, {.pad_to_aspect_ratio = true, .fill_value = 5.0});
  Tensor y = run_layer(resize, Tensor::from_vector({1, 2, 2, 1}, {1, 2, 3, 4}));
  expect_values(y, {5, 1, 2, 5, 5, 3, 4, 5});
}

TEST(Resizing, CropToAspectRatioKeepsTheCentre) {
  Tensor y = run_layer(layers::Resizing(2, 2, {.crop_to_aspect_ratio = true}),
                       Tensor::from_vector({1, 4, 2, 1}, {1, 2, 3, 4, 5, 6, 7, 8}));
  expect_values(y, {3, 4, 5, 6});
}

TEST(Resizing, ChannelsFirstMatchesChannelsLast) {
  std::vector<float> values(2 * 3 * 5 * 2);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(static_cast<float>(i));
  Tensor last = Tensor::from_vector({2, 3, 5, 2}, values);
  Tensor y_last = run_layer(layers::Resizing(4, 3), last);
  // Transpose NHWC -> NCHW by hand.
  std::vector<float> first_values(values.size());
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t h = 0; h < 3; ++h)
      for (std::size_t w = 0; w < 5; ++w)
        for (std::size_t c = 0; c < 2; ++c)
          first_values[((n * 2 + c) * 3 + h) * 5 + w] = values[((n * 3 + h) * 5 + w) * 2 + c];
  Tensor y_first = run_layer(layers::Resizing(4, 3, {.data_format = "channels_first"}),
                             Tensor::from_vector({2, 2, 3, 5}, first_values));
  ASSERT_EQ(y_first.shape(), Shape({2, 2, 4, 3}));
  auto a = y_last.to_vector(), b = y_first.to_vector();
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t h = 0; h < 4; ++h)
      for (std::size_t w = 0; w < 3; ++w)
        for (std::size_t c = 0; c < 2; ++c)
          EXPECT_NEAR(a[((n * 4 + h) * 3 + w) * 2 + c], b[((n * 2 + c) * 4 + h) * 3 + w], 1e-6F);
}

TEST(Resizing, UnsupportedModesFailAtCall) {
  auto x = Tensor::zeros({1, 2, 2, 1});
  EXPECT_THROW(layers::Resizing(3, 3, {.fill_mode = "reflect"})->forward(x, false), keras::ValueError);
  EXPECT_THROW(layers::Resizing(3, 3, {.interpolation = "area"})->forward(x, false), keras::ValueError);
  EXPECT_THROW(layers::Resizing(3, 3, {.crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true})->forward(x, false),
               keras::ValueError);
}

// ------------------------------------------------------- Discretization

TEST(Discretization, BucketsLikeNumpyDigitize) {
  layers::Discretization d({.bin_boundaries = std::vector<double>{0.0, 1.0, 2.0}});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor y = run_layer(d, Tensor::from_vector({1, 6}, {-1.0F, 0.0F, 0.5F, 1.0F, 2.5F, nan}));
  EXPECT_EQ(y.dtype(), DType::int32);
  EXPECT_EQ(y.to_vector_i64(), (std::vector<std::int64_t>{0, 1, 1, 2, 3, 3}));
}

TEST(Discretization, ComparesFloat32InputsWithDoubleBoundaries) {
  // 0.1f is slightly above the double 0.1, so it falls in the upper bucket.
  layers::Discretization d({.bin_boundaries = std::vector<double>{0.1}});
  EXPECT_EQ(d->forward(Tensor::from_vector({1}, {0.1F}), false).to_vector_i64(), std::vector<std::int64_t>{1});
}

TEST(Discretization, EncodesBucketsInOtherModes) {
  layers::Discretization one_hot({.bin_boundaries = std::vector<double>{0.0, 1.0}, .output_mode = "one_hot"});
  Tensor y = run_layer(one_hot, Tensor::from_vector({2, 1}, {-1.0F, 5.0F}));
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_EQ(y.dtype(), DType::float32);
  expect_values(y, {1, 0, 0, 0, 0, 1});
  layers::Discretization count({.bin_boundaries = std::vector<double>{0.0}, .output_mode = "count"});
  expect_values(run_layer(count, Tensor::from_vector({1, 3}, {1, 2, -1})), {1, 2});
}

TEST(Discretization, ConfigHasNoTrainableAndAPlainDtype) {
  layers::Discretization d({.num_bins = 4, .dtype = "mixed_float16"});
  Json config = d->get_config();
  EXPECT_FALSE(config.contains("trainable"));
  EXPECT_EQ(config.at("dtype"), "float32");
  EXPECT_EQ(config.at("bin_boundaries"), nullptr);
  EXPECT_EQ(config.at("num_bins"), 4);
  EXPECT_THROW(d->forward(Tensor::zeros({1, 1}), false), keras::ValueError);
  EXPECT_THROW(layers::Discretization({}), keras::ValueError);
  EXPECT_THROW(layers::Discretization({.bin_boundaries = std::vector<double>{1}, .num_bins = 2}), keras::ValueError);
  EXPECT_THROW(layers::Discretization({.bin_boundaries = std::vector<double>{1}, .output_mode = "tf_idf"}),
               keras::ValueError);
}

TEST(Discretization, AdaptedConfigKeepsBothNumBinsAndBoundaries) {
  Json envelope = {{"module", "keras.layers"},
                   {"class_name", "Discretization"},
                   {"config",
                    {{"bin_boundaries", Json::array({0, 2.5})},
                     {"num_bins", 3},
                     {"epsilon", 0.01},
                     {"output_mode", "int"},
                     {"sparse", false},
                     {"name", "d"},
                     {"dtype", "float32"}}},
                   {"registered_name", nullptr}};
  auto layer = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(layer->get_config(), envelope.at("config"));
  EXPECT_EQ(layer->forward(Tensor::from_vector({3}, {-1, 1, 3}), false).to_vector_i64(),
            (std::vector<std::int64_t>{0, 1, 2}));
}

// ----------------------------------------------------- CategoryEncoding

TEST(CategoryEncoding, OneHotReplacesATrailingUnitAxis) {
  layers::CategoryEncoding enc(4, {.output_mode = "one_hot"});
  Tensor y = run_layer(enc, ids({3, 1}, {3, 0, 1}));
  EXPECT_EQ(y.shape(), Shape({3, 4}));
  expect_values(y, {0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0});
}

TEST(CategoryEncoding, MultiHotAndCountReduceTheSampleAxis) {
  Tensor x = ids({2, 3}, {1, 1, 3, 0, 2, 2});
  expect_values(run_layer(layers::CategoryEncoding(4), x), {0, 1, 0, 1, 1, 0, 1, 0});
  expect_values(run_layer(layers::CategoryEncoding(4, {.output_mode = "count"}), x), {0, 2, 0, 1, 1, 0, 2, 0});
  // Negative ids count nothing; ids past num_tokens are errors.
  expect_values(layers::CategoryEncoding(2)->forward(ids({1, 2}, {-1, 1}), false), {0, 1});
  EXPECT_THROW(layers::CategoryEncoding(2)->forward(ids({1, 2}, {0, 2}), false), keras::ValueError);
  EXPECT_THROW(layers::CategoryEncoding(0), keras::ValueError);
  EXPECT_THROW(layers::CategoryEncoding(3, {.output_mode = "tf_idf"}), keras::ValueError);
  EXPECT_EQ(layers::CategoryEncoding(3, {.output_mode = "binary"})->get_config().at("output_mode"), "multi_hot");
}

TEST(CategoryEncoding, CountWeightsWeighTheCounts) {
  layers::CategoryEncoding enc(3, {.output_mode = "count"});
  keras::CallArgs args;
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.kwargs = Json{{"count_weights", Json{{"__tensor__", 1}}}};
  args.tensors = {ids({1, 3}, {0, 2, 2}), Tensor::from_vector({1, 3}, {0.5F, 1.0F, 2.0F})};
  expect_values(enc->call(args).at(0), {0.5F, 0.0F, 3.0F});
  layers::CategoryEncoding multi(3);
  EXPECT_THROW(multi->call(args), keras::ValueError);
}

// ------------------------------------------- TensorFlow-only layers

TEST(TensorFlowOnlyLayers, LoadingThemRaisesUnknownObjectError) {
  for (const char* cls : {"IntegerLookup", "StringLookup", "Hashing", "TextVectorization"}) {
    Json envelope = {{"module", "keras.layers"},
                     {"class_name", cls},
                     {"config", {{"name", "lookup"}, {"trainable", true}, {"dtype", "int64"}}},
                     {"registered_name", nullptr}};
    try {
      keras::saving::deserialize_layer(envelope);
      ADD_FAILURE() << cls << " was deserialized";
    } catch (const keras::UnknownObjectError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(std::string("Could not locate class '") + cls + "'"), std::string::npos) << message;
      EXPECT_NE(message.find("needs TensorFlow"), std::string::npos) << message;
      EXPECT_NE(message.find("layer 'lookup'"), std::string::npos) << message;
    }
  }
}

}  // namespace
