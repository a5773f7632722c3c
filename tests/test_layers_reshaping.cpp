// Reshaping layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include <numeric>

#include "keras/keras.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::KerasTensor;
using keras::Shape;
using keras::Tensor;
namespace L = keras::layers;

Tensor iota(const Shape& shape) {
  std::vector<float> values(static_cast<std::size_t>(keras::shape_size(shape)));
  std::iota(values.begin(), values.end(), 0.0F);
  return Tensor::from_vector(shape, values);
}

// Runs `layer` on x through a one-layer Functional model (input shape = x's without the batch).
Tensor predict_one(const keras::LayerRef& layer, const Tensor& x) {
  KerasTensor in = keras::Input(Shape(x.shape().begin() + 1, x.shape().end()));
  keras::Model model(in, layer(in));
  return model.predict(x).front();
}

void expect_values(const Tensor& actual, const Shape& shape, const std::vector<float>& expected) {
  ASSERT_EQ(keras::shape_to_string(actual.shape()), keras::shape_to_string(shape));
  Tensor want = Tensor::from_vector(shape, expected);
  EXPECT_TRUE(keras::allclose(actual, want, 1e-6, 1e-6)) << "max diff " << keras::max_abs_diff(actual, want);
}

Shape output_shape(const keras::LayerRef& layer, const Shape& input_shape) {
  return layer(keras::Input(input_shape)).shape();
}

// ----------------------------------------------------------------- fixtures

TEST(ReshapingFixtures, Reshaping) { keras_test::expect_fixture_matches("reshaping"); }

TEST(ReshapingConfig, ModelBuiltInCppMatchesKeras) {
  KerasTensor seq = keras::Input({6, 4}, {.name = "seq"});
  KerasTensor img = keras::Input({5, 6, 3}, {.name = "img"});
  KerasTensor vol = keras::Input({4, 4, 3, 2}, {.name = "vol"});
  KerasTensor flat_seq = L::Flatten({.name = "flatten_2"})(seq);
  std::vector<KerasTensor> outputs = {L::Flatten({.name = "flatten_1"})(img),
                                      L::Reshape({3, -1}, {.name = "reshape"})(img),
                                      L::Permute({2, 1}, {.name = "permute"})(seq),
                                      L::Permute({3, 1, 2}, {.name = "permute_1"})(img),
                                      L::RepeatVector(3, {.name = "repeat_vector"})(flat_seq),
                                      L::UpSampling1D({.name = "up_sampling1d"})(seq),
                                      L::UpSampling2D({.size = {2, 3}, .name = "up_sampling2d"})(img),
                                      L::UpSampling2D({.interpolation = "bilinear", .name = "up_sampling2d_1"})(img),
                                      L::UpSampling3D({.name = "up_sampling3d"})(vol),
                                      L::ZeroPadding1D({.padding = {1, 2}, .name = "zero_padding1d"})(seq),
                                      L::ZeroPadding2D({.padding = {{1, 0}, {2, 1}}, .name = "zero_padding2d"})(img),
                                      L::ZeroPadding3D({.name = "zero_padding3d"})(vol),
                                      L::Cropping1D({.cropping = {1, 2}, .name = "cropping1d"})(seq),
                                      L::Cropping2D({.cropping = {{1, 1}, {2, 0}}, .name = "cropping2d"})(img),
                                      L::Cropping3D({.name = "cropping3d"})(vol)};
  keras::Model model({seq, img, vol}, outputs, "functional_18");
  keras_test::expect_model_config_matches_fixture(model, "reshaping");
}

TEST(ReshapingConfig, KeysFollowEachKerasClass) {
  keras::Json pad = L::ZeroPadding1D({.padding = {2, 0}, .data_format = "channels_first", .name = "z"})->get_config();
  EXPECT_EQ(pad.at("padding"), keras::Json::parse("[2, 0]"));
  EXPECT_EQ(pad.at("data_format"), "channels_first");
  EXPECT_FALSE(L::Cropping1D({.name = "c"})->get_config().contains("data_format"));
  EXPECT_FALSE(L::UpSampling3D({.name = "u"})->get_config().contains("interpolation"));
  EXPECT_EQ(L::UpSampling1D({.size = 3, .name = "u"})->get_config().at("size"), 3);
  // Reshape writes -1 as -1 (not null) and has no build_config.
  L::Reshape reshape({-1, 2}, {.name = "r"});
  (void)reshape(keras::Input({4}));
  EXPECT_EQ(reshape->get_config().at("target_shape"), keras::Json::parse("[-1, 2]"));
  EXPECT_FALSE(reshape->build_config().has_value());
  // Accepts Keras' int and symmetric forms from files.
  auto crop = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "Cropping2D", "config": {"name": "c", "cropping": [1, [0, 2]]}, "registered_name": null})"));
  EXPECT_EQ(crop->get_config().at("cropping"), keras::Json::parse("[[1, 1], [0, 2]]"));
  auto pad3 = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "ZeroPadding3D", "config": {"name": "z", "padding": 2}, "registered_name": null})"));
  EXPECT_EQ(pad3->get_config().at("padding"), keras::Json::parse("[[2, 2], [2, 2], [2, 2]]"));
}

// ----------------------------------------------------------------- values and shapes

TEST(Flatten, ChannelsFirstFlattensInChannelsLastOrder) {
  Tensor x = iota({1, 2, 3});  // 2 channels of length 3
  expect_values(predict_one(L::Flatten({.data_format = "channels_first"}), x), {1, 6}, {0, 3, 1, 4, 2, 5});
  expect_values(predict_one(L::Flatten(), x), {1, 6}, {0, 1, 2, 3, 4, 5});
}

TEST(Flatten, ShapesWithUnknownAndMissingDimensions) {
  EXPECT_EQ(output_shape(L::Flatten(), {-1, 4}), (Shape{-1, -1}));
  EXPECT_EQ(output_shape(L::Flatten(), {}), (Shape{-1, 1}));
  expect_values(predict_one(L::Flatten(), iota({2})), {2, 1}, {0, 1});
}

TEST(Reshape, ResolvesMinusOne) {
  EXPECT_EQ(output_shape(L::Reshape({3, -1}), {5, 6, 3}), (Shape{-1, 3, 30}));
  EXPECT_EQ(output_shape(L::Reshape({3, -1}), {-1, 6}), (Shape{-1, 3, -1}));
  expect_values(predict_one(L::Reshape({-1, 2}), iota({1, 2, 2})), {1, 2, 2}, {0, 1, 2, 3});
  EXPECT_THROW(output_shape(L::Reshape({7}), {2, 3}), keras::ValueError);
  EXPECT_THROW(output_shape(L::Reshape({4, -1}), {2, 3}), keras::ValueError);
  EXPECT_THROW(L::Reshape({-1, -1}), keras::ValueError);
}

TEST(Permute, TransposesAllButTheBatch) {
  expect_values(predict_one(L::Permute({2, 1}), iota({1, 2, 3})), {1, 3, 2}, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(output_shape(L::Permute({3, 1, 2}), {5, 6, 3}), (Shape{-1, 3, 5, 6}));
  EXPECT_THROW(L::Permute({0, 1}), keras::ValueError);
  EXPECT_THROW(output_shape(L::Permute({2, 1}), {5, 6, 3}), keras::ValueError);
}

TEST(RepeatVector, RepeatsTheVector) {
  expect_values(predict_one(L::RepeatVector(3), iota({1, 2})), {1, 3, 2}, {0, 1, 0, 1, 0, 1});
  EXPECT_THROW(L::RepeatVector(0), keras::ValueError);
}

TEST(UpSampling, NearestRepeats) {
  expect_values(predict_one(L::UpSampling1D(), iota({1, 2, 1})), {1, 4, 1}, {0, 0, 1, 1});
  expect_values(predict_one(L::UpSampling2D({.size = {2, 1}}), iota({1, 2, 2, 1})), {1, 4, 2, 1},
                {0, 1, 0, 1, 2, 3, 2, 3});
  // channels_first repeats the last two axes.
  expect_values(predict_one(L::UpSampling2D({.size = {1, 2}, .data_format = "channels_first"}), iota({1, 1, 2, 2})),
                {1, 1, 2, 4}, {0, 0, 1, 1, 2, 2, 3, 3});
  EXPECT_EQ(output_shape(L::UpSampling3D({.size = {1, 2, 3}}), {2, -1, 2, 4}), (Shape{-1, 2, -1, 6, 4}));
}

TEST(UpSampling, BilinearUsesHalfPixelCentres) {
  Tensor x = Tensor::from_vector({1, 2, 2, 1}, {1, 2, 3, 4});
  // Along each axis the new samples sit at -0.25, 0.25, 0.75, 1.25 (edges clamp).
  expect_values(
      predict_one(L::UpSampling2D({.interpolation = "bilinear"}), x), {1, 4, 4, 1},
      {1.0F, 1.25F, 1.75F, 2.0F, 1.5F, 1.75F, 2.25F, 2.5F, 2.5F, 2.75F, 3.25F, 3.5F, 3.0F, 3.25F, 3.75F, 4.0F});
  EXPECT_THROW(L::UpSampling2D({.interpolation = "cubic_spline"}), keras::ValueError);
}

TEST(ZeroPadding, PadsSpatialAxesOnly) {
  expect_values(predict_one(L::ZeroPadding1D({.padding = {1, 2}}), iota({1, 2, 1})), {1, 5, 1}, {0, 0, 1, 0, 0});
  expect_values(predict_one(L::ZeroPadding2D({.padding = {{1, 0}, {0, 1}}}), iota({1, 2, 2, 1})), {1, 3, 3, 1},
                {0, 0, 0, 0, 1, 0, 2, 3, 0});
  expect_values(predict_one(L::ZeroPadding1D({.padding = {0, 1}, .data_format = "channels_first"}), iota({1, 1, 2})),
                {1, 1, 3}, {0, 1, 0});
  EXPECT_EQ(output_shape(L::ZeroPadding3D(), {-1, 2, 3, 4}), (Shape{-1, -1, 4, 5, 4}));
}

TEST(Cropping, CropsSpatialAxesOnly) {
  expect_values(predict_one(L::Cropping1D({.cropping = {1, 2}}), iota({1, 5, 1})), {1, 2, 1}, {1, 2});
  expect_values(predict_one(L::Cropping2D({.cropping = {{1, 0}, {0, 1}}}), iota({1, 3, 3, 1})), {1, 2, 2, 1},
                {3, 4, 6, 7});
  expect_values(
      predict_one(L::Cropping2D({.cropping = {{0, 1}, {1, 0}}, .data_format = "channels_first"}), iota({1, 1, 3, 3})),
      {1, 1, 2, 2}, {1, 2, 4, 5});
  EXPECT_EQ(output_shape(L::Cropping3D(), {4, -1, 3, 2}), (Shape{-1, 2, -1, 1, 2}));
  EXPECT_THROW(output_shape(L::Cropping1D({.cropping = {2, 2}}), {4, 1}), keras::ValueError);
  EXPECT_THROW(predict_one(L::Cropping1D({.cropping = {2, 2}}), iota({1, 3, 1})), keras::ValueError);
}

}  // namespace
