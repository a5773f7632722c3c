// Merging layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::KerasTensor;
using keras::Shape;
using keras::Tensor;
namespace L = keras::layers;

// Runs a merge layer on concrete inputs through a Functional model.
Tensor merge(const keras::LayerRef& layer, const std::vector<Tensor>& xs) {
  std::vector<KerasTensor> inputs;
  for (const auto& x : xs) inputs.push_back(keras::Input(Shape(x.shape().begin() + 1, x.shape().end())));
  keras::Model model(inputs, {layer(inputs)});
  return model.predict(xs).front();
}

void expect_values(const Tensor& actual, const Shape& shape, const std::vector<float>& expected, double tol = 1e-6) {
  ASSERT_EQ(keras::shape_to_string(actual.shape()), keras::shape_to_string(shape));
  Tensor want = Tensor::from_vector(shape, expected);
  EXPECT_TRUE(keras::allclose(actual, want, tol, tol)) << "max diff " << keras::max_abs_diff(actual, want);
}

Shape merged_shape(const keras::LayerRef& layer, const std::vector<Shape>& shapes) {
  std::vector<KerasTensor> inputs;
  for (const auto& s : shapes) inputs.push_back(keras::Input(s));
  return layer(inputs).shape();
}

// ----------------------------------------------------------------- fixtures

TEST(MergingFixtures, Merging) { keras_test::expect_fixture_matches("merging"); }
TEST(MergingFixtures, MultiIo) { keras_test::expect_fixture_matches("multi_io"); }
TEST(MergingFixtures, SharedLayer) { keras_test::expect_fixture_matches("shared_layer"); }
// Add and ReLU between Conv2D / BatchNormalization / pooling.
TEST(MergingFixtures, ResidualCnn) { keras_test::expect_fixture_matches("residual_cnn"); }

TEST(MergingConfig, ModelBuiltInCppMatchesKeras) {
  KerasTensor a = keras::Input({4, 5}, {.name = "a"});
  KerasTensor b = keras::Input({4, 5}, {.name = "b"});
  KerasTensor c = keras::Input({4, 3}, {.name = "c"});
  std::vector<KerasTensor> outputs = {L::Add({.name = "add"})({a, b}),
                                      L::Subtract({.name = "subtract"})({a, b}),
                                      L::Multiply({.name = "multiply"})({a, b}),
                                      L::Average({.name = "average"})({a, b}),
                                      L::Maximum({.name = "maximum"})({a, b}),
                                      L::Minimum({.name = "minimum"})({a, b}),
                                      L::Concatenate({.name = "concatenate"})({a, c}),
                                      L::Concatenate({.axis = 1, .name = "concatenate_1"})({a, b}),
                                      L::Dot(1, 1, {.name = "dot"})({a, c}),
                                      L::Dot(1, {.normalize = true, .name = "dot_1"})({a, b})};
  keras::Model model({a, b, c}, outputs, "functional_19");
  keras_test::expect_model_config_matches_fixture(model, "merging");
}

// ----------------------------------------------------------------- values and shapes

TEST(Merge, ElementwiseOperations) {
  Tensor x = Tensor::from_vector({1, 3}, {1, -2, 3});
  Tensor y = Tensor::from_vector({1, 3}, {4, 5, -6});
  Tensor z = Tensor::from_vector({1, 3}, {1, 1, 1});
  expect_values(merge(L::Add(), {x, y, z}), {1, 3}, {6, 4, -2});
  expect_values(merge(L::Subtract(), {x, y}), {1, 3}, {-3, -7, 9});
  expect_values(merge(L::Multiply(), {x, y, z}), {1, 3}, {4, -10, -18});
  expect_values(merge(L::Average(), {x, y, z}), {1, 3}, {2, 4.0F / 3.0F, -2.0F / 3.0F});
  expect_values(merge(L::Maximum(), {x, y}), {1, 3}, {4, 5, 3});
  expect_values(merge(L::Minimum(), {x, y}), {1, 3}, {1, -2, -6});
}

TEST(Merge, LowerRankInputsGainAxesAfterTheBatch) {
  EXPECT_EQ(merged_shape(L::Add(), {{3}, {2, 3}}), (Shape{-1, 2, 3}));
  EXPECT_EQ(merged_shape(L::Add(), {{1, 3}, {2, 1}}), (Shape{-1, 2, 3}));
  Tensor x = Tensor::from_vector({1, 3}, {1, 2, 3});
  Tensor y = Tensor::from_vector({1, 2, 3}, {10, 20, 30, 40, 50, 60});
  expect_values(merge(L::Add(), {x, y}), {1, 2, 3}, {11, 22, 33, 41, 52, 63});
  EXPECT_THROW(merged_shape(L::Add(), {{3}, {4}}), keras::ValueError);
  EXPECT_THROW(merged_shape(L::Subtract(), {{3}, {3}, {3}}), keras::ValueError);
}

TEST(Merge, MasksAreCombinedWithLogicalOr) {
  KerasTensor a = L::Masking()(keras::Input({4, 2}));
  KerasTensor b = L::Masking()(keras::Input({4, 2}));
  KerasTensor sum = L::Add()({a, b});
  auto mask = sum.keras_mask();
  ASSERT_TRUE(mask.has_value());
  EXPECT_EQ(mask->node()->operation->class_name(), "LogicalOr");
  // One unmasked input: no output mask, as in Keras.
  EXPECT_FALSE(L::Add()({a, keras::Input({4, 2})}).keras_mask().has_value());
}

// Concatenate's mask, as concatenate.py computes it: each input's [B, T]
// mask broadcast to its [B, T, C] shape (all True for an unmasked input),
// concatenated, then any() over the last axis.
TEST(Concatenate, MasksOfMaskedInputs) {
  keras::clear_session();
  auto ids_a = keras::Input({4}, {.dtype = "int32"});
  auto ids_b = keras::Input({4}, {.dtype = "int32"});
  auto plain = keras::Input({4, 3});
  KerasTensor a = L::Embedding(5, 3, {.mask_zero = true})(ids_a);
  KerasTensor b = L::Embedding(5, 2, {.mask_zero = true})(ids_b);
  auto both = L::Concatenate()({a, b}).keras_mask();
  auto with_plain = L::Concatenate()({a, plain}).keras_mask();
  ASSERT_TRUE(both && with_plain);
  EXPECT_EQ(both->node()->operation->class_name(), "Any");
  keras::Model model({ids_a, ids_b, plain}, std::vector<KerasTensor>{*both, *with_plain});
  Tensor va = Tensor::from_vector({1, 4}, {1, 0, 2, 0}).astype(keras::DType::int32);
  Tensor vb = Tensor::from_vector({1, 4}, {0, 0, 3, 4}).astype(keras::DType::int32);
  auto out = model.predict({va, vb, Tensor::zeros({1, 4, 3})});
  EXPECT_EQ(out[0].dtype(), keras::DType::bool_);
  EXPECT_EQ(out[0].astype(keras::DType::float32).to_vector(), (std::vector<float>{1, 0, 1, 1}));
  EXPECT_EQ(out[1].astype(keras::DType::float32).to_vector(), (std::vector<float>{1, 1, 1, 1}));
}

TEST(Concatenate, JoinsAlongTheAxis) {
  Tensor x = Tensor::from_vector({1, 2, 1}, {1, 2});
  Tensor y = Tensor::from_vector({1, 2, 2}, {3, 4, 5, 6});
  expect_values(merge(L::Concatenate(), {x, y}), {1, 2, 3}, {1, 3, 4, 2, 5, 6});
  expect_values(merge(L::Concatenate({.axis = 1}), {y, y}), {1, 4, 2}, {3, 4, 5, 6, 3, 4, 5, 6});
  EXPECT_EQ(merged_shape(L::Concatenate(), {{2, 3}, {-1, 4}}), (Shape{-1, 2, 7}));
  EXPECT_EQ(merged_shape(L::Concatenate({.axis = 1}), {{2, 3}, {-1, 3}}), (Shape{-1, -1, 3}));
  EXPECT_THROW(merged_shape(L::Concatenate(), {{2, 3}, {4, 3}}), keras::ValueError);
  EXPECT_THROW(merged_shape(L::Concatenate(), {{2, 3}, {3}}), keras::ValueError);
}

TEST(Dot, BatchDotAlongAxes) {
  // [1, 2, 3] . [1, 3, 2] over axes (2, 1): a plain matrix product per sample.
  Tensor a = Tensor::from_vector({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({1, 3, 2}, {1, 0, 0, 1, 1, 1});
  expect_values(merge(L::Dot(2, 1), {a, b}), {1, 2, 2}, {4, 5, 10, 11});
  // Contracting axis 1 of both: a^T b.
  Tensor c = Tensor::from_vector({1, 2, 2}, {1, 0, 0, 1});
  expect_values(merge(L::Dot(1), {a, c}), {1, 3, 2}, {1, 4, 2, 5, 3, 6});
  // Two vectors give [batch, 1].
  Tensor u = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor v = Tensor::from_vector({2, 2}, {5, 6, 7, 8});
  expect_values(merge(L::Dot(-1), {u, v}), {2, 1}, {17, 53});
  EXPECT_EQ(merged_shape(L::Dot(1), {{4, 5}, {4, 3}}), (Shape{-1, 5, 3}));
  EXPECT_THROW(merged_shape(L::Dot(1), {{4, 5}, {3, 5}}), keras::ValueError);
}

TEST(Dot, NormalizeGivesCosineSimilarity) {
  Tensor u = Tensor::from_vector({1, 2}, {3, 4});
  Tensor v = Tensor::from_vector({1, 2}, {4, 3});
  expect_values(merge(L::Dot(1, {.normalize = true}), {u, v}), {1, 1}, {24.0F / 25.0F});
  // A zero vector stays zero (numpy backend: its norm counts as 1).
  Tensor zero = Tensor::from_vector({1, 2}, {0, 0});
  expect_values(merge(L::Dot(1, {.normalize = true}), {u, zero}), {1, 1}, {0});
}

TEST(MergeFunctions, CreateAndCallTheLayer) {
  KerasTensor a = keras::Input({3}, {.name = "fa"});
  KerasTensor b = keras::Input({3}, {.name = "fb"});
  KerasTensor s = L::add({a, b}, {.name = "summed"});
  EXPECT_EQ(s.node()->operation->name(), "summed");
  EXPECT_EQ(L::concatenate({a, b}).shape(), (Shape{-1, 6}));
  EXPECT_EQ(L::dot({a, b}, 1).shape(), (Shape{-1, 1}));
  keras::Model model(
      {a, b}, {L::maximum({a, b}), L::minimum({a, b}), L::average({a, b}), L::subtract({a, b}), L::multiply({a, b})});
  auto out = model.predict({Tensor::from_vector({1, 3}, {1, 5, 3}), Tensor::from_vector({1, 3}, {2, 4, 3})});
  expect_values(out[0], {1, 3}, {2, 5, 3});
  expect_values(out[1], {1, 3}, {1, 4, 3});
  expect_values(out[2], {1, 3}, {1.5F, 4.5F, 3});
  expect_values(out[3], {1, 3}, {-1, 1, 0});
  expect_values(out[4], {1, 3}, {2, 20, 9});
}

}  // namespace
