// The module-private layers of keras.applications (ConvNeXt's LayerScale and
// StochasticDepth, InceptionResNetV2's CustomScaleLayer): the Keras fixture,
// and real application blocks built in C++, saved and loaded back.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace convnext = keras::applications::convnext;
namespace inception_resnet_v2 = keras::applications::inception_resnet_v2;

Tensor sample_images(const Shape& shape) {
  Tensor x(shape);
  for (std::int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = 0.05F * static_cast<float>(i % 17) - 0.4F;
  return x;
}

TEST(ApplicationsFixture, MatchesKeras) { keras_test::expect_fixture_matches("applications_layers"); }

TEST(ApplicationsFixture, CppBuiltLayersSerializeWithTheirModules) {
  keras::clear_session();
  auto x = keras::Input({8, 8, 4});
  convnext::LayerScale scale(0.1, 4, {.name = "layer_scale"});
  convnext::StochasticDepth depth(0.1, {.name = "stochastic_depth"});
  inception_resnet_v2::CustomScaleLayer custom(0.17, {.name = "custom_scale_layer"});
  auto y = depth(scale(x));
  (void)custom({x, y});
  keras_test::expect_config_matches_fixture(scale, "applications_layers", "layer_scale");
  keras_test::expect_config_matches_fixture(depth, "applications_layers", "stochastic_depth");
  keras_test::expect_config_matches_fixture(custom, "applications_layers", "custom_scale_layer");
}

// One ConvNeXt block, as keras.applications.convnext builds it: depthwise 7x7,
// LayerNormalization, pointwise Dense x4 with GELU, Dense back, LayerScale,
// StochasticDepth and the residual Add.
keras::Model convnext_block(std::int64_t dim, double drop_path_rate) {
  auto input = keras::Input({8, 8, dim});
  auto x = layers::DepthwiseConv2D({7, 7}, {.padding = "same"})(input);
  x = layers::LayerNormalization({.epsilon = 1e-6})(x);
  x = layers::Dense(4 * dim, {.activation = "gelu"})(x);
  x = layers::Dense(dim)(x);
  x = convnext::LayerScale(1e-6, dim)(x);
  x = convnext::StochasticDepth(drop_path_rate)(x);
  return keras::Model(input, layers::Add()({input, x}));
}

TEST(ApplicationsBlocks, ConvNeXtBlockRoundTripsAndPredicts) {
  keras::Model model = convnext_block(8, 0.2);
  // A visible scale so the residual branch matters.
  for (const auto& layer : model.layers())
    if (layer->class_name() == "LayerScale") layer->own_variables()[0]->assign(Tensor::full({8}, 0.5F));
  Tensor x = sample_images({2, 8, 8, 8});
  Tensor expected = model.predict(x).at(0);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "convnext_block.keras");
  Json config = keras::parse_json(keras::to_json(model), "convnext block");
  bool found = false;
  for (const auto& layer : config.at("config").at("layers"))
    if (layer.at("class_name") == "LayerScale") {
      EXPECT_EQ(layer.at("module"), "keras.src.applications.convnext");
      EXPECT_EQ(layer.at("registered_name"), "LayerScale");
      found = true;
    }
  EXPECT_TRUE(found);
  keras::Model loaded = keras::load_model(dir / "convnext_block.keras");
  keras_test::expect_close(loaded.predict(x).at(0), expected, 1e-6, 1e-6, "reloaded ConvNeXt block");
  // And the saved file is what a re-save of the loaded model writes.
  keras::save_model(loaded, dir / "again.keras");
  auto differences = keras::saving::compare_saved_models(dir / "convnext_block.keras", dir / "again.keras");
  EXPECT_TRUE(differences.empty()) << differences.front();
}

TEST(ApplicationsBlocks, StochasticDepthDropsWholeSamplesInTraining) {
  convnext::StochasticDepth depth(0.5);
  Tensor x = Tensor::full({64, 2, 2, 1}, 1.0F);
  depth->build_for({x.shape()});
  EXPECT_EQ(depth->forward(x, false).to_vector(), x.to_vector());
  Tensor y = depth->forward(x, true);
  int dropped = 0;
  for (std::int64_t b = 0; b < 64; ++b) {
    const float v = y.at(b * 4);
    ASSERT_TRUE(v == 0.0F || v == 2.0F) << v;  // dropped, or kept and scaled by 1 / (1 - 0.5)
    for (int i = 1; i < 4; ++i) ASSERT_EQ(y.at(b * 4 + i), v);
    dropped += v == 0.0F ? 1 : 0;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 64);
}

// In training the pullback passes each sample's keep/drop factor: the
// gradient of a dropped sample is zero, of a kept one 1 / (1 - rate).
TEST(ApplicationsBlocks, StochasticDepthTrainsThroughTheSamplesItKeeps) {
  convnext::StochasticDepth depth(0.5);
  keras::CallArgs args;
  args.tensors = {Tensor::full({64, 2, 2, 1}, 1.0F)};
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.training = true;
  depth->build_for({args.tensors[0].shape()});
  keras::VjpResult vjp = depth->call_vjp(args);
  const Tensor grad = vjp.pullback({Tensor::full({64, 2, 2, 1}, 1.0F)}).inputs.at(0);
  // x is ones, so each output element is its own factor.
  EXPECT_EQ(grad.to_vector(), vjp.outputs.at(0).to_vector());
  int dropped = 0;
  for (float v : grad.to_vector()) {
    ASSERT_TRUE(v == 0.0F || v == 2.0F) << v;
    dropped += v == 0.0F ? 1 : 0;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 64 * 4);
}

// A ConvNeXt block trains end to end (LayerScale's gamma included) and lowers its loss.
TEST(ApplicationsBlocks, ConvNeXtBlockTrains) {
  keras::Model model = convnext_block(4, 0.0);
  model.compile(
      {.optimizer = std::make_shared<keras::optimizers::Adam>(keras::optimizers::AdamOptions{.learning_rate = 0.01}),
       .loss = "mse"});
  Tensor x = sample_images({4, 8, 8, 4});
  Tensor y = keras::random::uniform({4, 8, 8, 4}, -0.5F, 0.5F, 3);
  Tensor gamma_before;
  for (const auto& layer : model.layers())
    if (layer->class_name() == "LayerScale") gamma_before = layer->own_variables()[0]->value().clone();
  const double first = model.train_on_batch({x}, {y}).at("loss");
  double last = first;
  for (int step = 0; step < 30; ++step) last = model.train_on_batch({x}, {y}).at("loss");
  EXPECT_LT(last, 0.9 * first);
  for (const auto& layer : model.layers()) {
    if (layer->class_name() == "LayerScale") {
      EXPECT_GT(keras::max_abs_diff(layer->own_variables()[0]->value(), gamma_before), 1e-3);
    }
  }
}

// The Inception-ResNet-A residual: x + scale * conv(branches), through CustomScaleLayer.
TEST(ApplicationsBlocks, InceptionResNetBlockRoundTripsAndPredicts) {
  auto input = keras::Input({8, 8, 6});
  auto b0 = layers::Conv2D(4, {1, 1}, {.padding = "same", .activation = "relu"})(input);
  auto b1 = layers::Conv2D(4, {3, 3}, {.padding = "same", .activation = "relu"})(input);
  auto mixed = layers::Concatenate()({b0, b1});
  auto up = layers::Conv2D(6, {1, 1}, {.padding = "same"})(mixed);
  auto out = inception_resnet_v2::CustomScaleLayer(0.17)({input, up});
  keras::Model model(input, layers::Activation("relu")(out));
  Tensor x = sample_images({2, 8, 8, 6});
  Tensor expected = model.predict(x).at(0);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "block35.keras");
  keras::Model loaded = keras::load_model(dir / "block35.keras");
  keras_test::expect_close(loaded.predict(x).at(0), expected, 1e-6, 1e-6, "reloaded Inception-ResNet block");
}

TEST(ApplicationsBlocks, CustomScaleLayerAddsTheScaledResidual) {
  auto a = keras::Input({2});
  auto b = keras::Input({2});
  keras::Model model({a, b}, inception_resnet_v2::CustomScaleLayer(0.5)({a, b}));
  auto y = model.predict({Tensor::from_vector({1, 2}, {1, 2}), Tensor::from_vector({1, 2}, {4, -2})}).at(0);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{3, 1}));
}

}  // namespace
