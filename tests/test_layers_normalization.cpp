// Normalization layers: Keras fixtures, configs built in C++, hand-checked math.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "keras/layers/normalization.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

// Runs a one-layer functional model on `x` (shape with batch) and returns the output.
Tensor run_layer(const keras::LayerRef& layer, const Tensor& x) {
  Shape feature_shape(x.shape().begin() + 1, x.shape().end());
  auto input = keras::Input(feature_shape);
  keras::Model model(input, layer(input));
  return model.predict(x).at(0);
}

void expect_values(const Tensor& actual, const std::vector<float>& expected, float tol = 1e-5F) {
  auto got = actual.astype(keras::DType::float32).to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "at " << i;
}

// ---------------------------------------------------------------- fixtures

TEST(NormalizationFixtures, NormalizationCaseMatchesKeras) { keras_test::expect_fixture_matches("normalization"); }

TEST(NormalizationFixtures, ConvChannelsFirstWithBatchNormMatchesKeras) {
  keras_test::expect_fixture_matches("conv2d_channels_first");
}

TEST(NormalizationFixtures, ResidualCnnMatchesKeras) { keras_test::expect_fixture_matches("residual_cnn"); }

// Layers built in C++ with the fixture's non-default options serialize as Keras did.
TEST(NormalizationFixtures, CppBuiltLayersSerializeLikeKeras) {
  keras::clear_session();
  auto x = keras::Input({5, 8});
  layers::BatchNormalization bn_default({.name = "batch_normalization_1"});
  layers::BatchNormalization bn(
      {.axis = 1, .epsilon = 0.01, .center = false, .scale = false, .name = "batch_normalization_2"});
  layers::LayerNormalization ln({.name = "layer_normalization"});
  layers::LayerNormalization ln2({.axis = {1, 2}, .center = false, .name = "layer_normalization_1"});
  layers::GroupNormalization gn({.groups = 4, .name = "group_normalization"});
  layers::UnitNormalization un({.name = "unit_normalization"});
  layers::RMSNormalization rms({.name = "rms_normalization"});
  for (const auto& layer : {bn_default.ptr(), bn.ptr(), ln.ptr(), ln2.ptr(), gn.ptr(), un.ptr(), rms.ptr()})
    (void)keras::LayerRef(layer)(x);
  keras_test::expect_config_matches_fixture(bn_default, "normalization", "batch_normalization_1");
  keras_test::expect_config_matches_fixture(bn, "normalization", "batch_normalization_2");
  keras_test::expect_config_matches_fixture(ln, "normalization", "layer_normalization");
  keras_test::expect_config_matches_fixture(ln2, "normalization", "layer_normalization_1");
  keras_test::expect_config_matches_fixture(gn, "normalization", "group_normalization");
  keras_test::expect_config_matches_fixture(un, "normalization", "unit_normalization");
  keras_test::expect_config_matches_fixture(rms, "normalization", "rms_normalization");
}

// The fixture's weights land in the C++-built layers in Keras' variable order.
TEST(NormalizationFixtures, VariableOrderMatchesTheFixtureFile) {
  keras::Model model = keras::load_model(keras_test::fixture_dir("normalization") / "model.keras");
  auto bn = model.get_layer("batch_normalization_1");
  auto vars = bn->own_variables();
  ASSERT_EQ(vars.size(), 4U);
  EXPECT_EQ(vars[0]->name(), "gamma");
  EXPECT_EQ(vars[1]->name(), "beta");
  EXPECT_EQ(vars[2]->name(), "moving_mean");
  EXPECT_EQ(vars[3]->name(), "moving_variance");
  EXPECT_TRUE(vars[0]->trainable());
  EXPECT_FALSE(vars[2]->trainable());
  EXPECT_FALSE(vars[3]->trainable());
  auto bn2 = model.get_layer("batch_normalization_2");
  ASSERT_EQ(bn2->own_variables().size(), 2U);
  EXPECT_EQ(bn2->own_variables()[0]->shape(), Shape({5}));
  auto ln2 = model.get_layer("layer_normalization_1");
  ASSERT_EQ(ln2->own_variables().size(), 1U);
  EXPECT_EQ(ln2->own_variables()[0]->shape(), Shape({5, 8}));
  EXPECT_EQ(model.get_layer("rms_normalization")->own_variables().at(0)->name(), "scale");
}

// ------------------------------------------------------- BatchNormalization

TEST(BatchNormalization, InferenceUsesMovingStatistics) {
  layers::BatchNormalization bn({.epsilon = 0.0});
  auto input = keras::Input({2});
  keras::Model model(input, bn(input));
  bn->own_variables()[0]->assign(Tensor::from_vector({2}, {2.0F, 1.0F}));   // gamma
  bn->own_variables()[1]->assign(Tensor::from_vector({2}, {0.0F, 1.0F}));   // beta
  bn->own_variables()[2]->assign(Tensor::from_vector({2}, {1.0F, 2.0F}));   // moving_mean
  bn->own_variables()[3]->assign(Tensor::from_vector({2}, {4.0F, 0.25F}));  // moving_variance
  Tensor y = model.predict(Tensor::from_vector({2, 2}, {1, 2, 5, 3})).at(0);
  // (x - mean) / sqrt(var) * gamma + beta per column.
  expect_values(y, {0.0F, 1.0F, 4.0F, 3.0F});
}

TEST(BatchNormalization, ChannelsFirstAxis) {
  layers::BatchNormalization bn({.axis = 1, .epsilon = 0.0, .center = false, .scale = false});
  auto input = keras::Input({2, 2});
  keras::Model model(input, bn(input));
  ASSERT_EQ(bn->own_variables().size(), 2U);
  EXPECT_EQ(bn->own_variables()[0]->shape(), Shape({2}));
  bn->own_variables()[0]->assign(Tensor::from_vector({2}, {10.0F, -10.0F}));
  bn->own_variables()[1]->assign(Tensor::from_vector({2}, {1.0F, 4.0F}));
  Tensor y = model.predict(Tensor::from_vector({1, 2, 2}, {10, 12, -10, -6})).at(0);
  expect_values(y, {0.0F, 2.0F, 0.0F, 2.0F});
}

TEST(BatchNormalization, TrainingCallNormalizesWithBatchStatsAndUpdatesMovingOnes) {
  auto impl = layers::BatchNormalization({.momentum = 0.9, .epsilon = 0.0});
  impl->build_for({{-1, 1}});
  Tensor y = impl->forward(Tensor::from_vector({2, 1}, {1.0F, 3.0F}), /*training=*/true);
  expect_values(y, {-1.0F, 1.0F});                           // mean 2, variance 1
  expect_values(impl->own_variables()[2]->value(), {0.2F});  // 0 * 0.9 + 2 * 0.1
  expect_values(impl->own_variables()[3]->value(), {1.0F});  // 1 * 0.9 + 1 * 0.1
  // A non-trainable layer keeps using (and keeping) its moving statistics.
  impl->set_trainable(false);
  Tensor z = impl->forward(Tensor::from_vector({2, 1}, {1.0F, 3.0F}), true);
  expect_values(z, {0.8F, 2.8F});
  expect_values(impl->own_variables()[2]->value(), {0.2F});
}

TEST(BatchNormalization, MaskedTrainingMomentsIgnoreMaskedSteps) {
  layers::BatchNormalization bn({.momentum = 0.0, .epsilon = 0.0, .center = false, .scale = false});
  bn->build_for({{-1, 3, 1}});
  keras::CallArgs args;
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.kwargs = Json{{"mask", Json{{"__tensor__", 1}}}};
  args.training = true;
  args.tensors = {Tensor::from_vector({1, 3, 1}, {1.0F, 3.0F, 100.0F}),
                  Tensor::from_vector({1, 3}, {1.0F, 1.0F, 0.0F}).astype(keras::DType::bool_)};
  bn->call(args);
  // Statistics of {1, 3} only: mean 2, variance 1 (Keras divides by weight sum + 1e-7).
  EXPECT_NEAR(bn->own_variables()[0]->value().item(), 2.0F, 1e-5F);
  EXPECT_NEAR(bn->own_variables()[1]->value().item(), 1.0F, 1e-5F);
}

TEST(BatchNormalization, RejectsMaskOfWrongRank) {
  layers::BatchNormalization bn;
  bn->build_for({{-1, 3, 2}});
  keras::CallArgs args;
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.kwargs = Json{{"mask", Json{{"__tensor__", 1}}}};
  args.tensors = {Tensor::zeros({1, 3, 2}), Tensor::zeros({1, 3, 2}, keras::DType::bool_)};
  EXPECT_THROW(bn->call(args), keras::ValueError);
}

TEST(BatchNormalization, ExplicitTrainingKeywordOfTheNodeWins) {
  layers::BatchNormalization bn({.momentum = 0.0, .epsilon = 0.0});
  bn->build_for({{-1, 1}});
  keras::CallArgs args;
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.kwargs = Json{{"training", true}};
  args.tensors = {Tensor::from_vector({2, 1}, {1.0F, 3.0F})};
  args.training = false;
  expect_values(bn->call(args).at(0), {-1.0F, 1.0F});
}

TEST(BatchNormalization, RenormAddsItsStatisticsAndWritesEmptyClipping) {
  layers::BatchNormalization bn({.renorm = true});
  bn->build_for({{-1, 3}});
  auto vars = bn->own_variables();
  ASSERT_EQ(vars.size(), 7U);
  const char* names[] = {"gamma",         "beta",        "moving_mean",  "moving_variance",
                         "moving_stddev", "renorm_mean", "renorm_stddev"};
  for (std::size_t i = 0; i < vars.size(); ++i) EXPECT_EQ(vars[i]->name(), names[i]);
  expect_values(vars[4]->value(), {1.0F, 1.0F, 1.0F});  // sqrt of the moving variance initializer
  Json config = bn->get_config();
  EXPECT_EQ(config.at("renorm_clipping"), Json::object());
  EXPECT_THROW(layers::BatchNormalization({.renorm = true, .renorm_clipping = Json{{"rmax", 1.0}, {"rmin", 2.0}}}),
               keras::ValueError);
  EXPECT_THROW(layers::BatchNormalization({.renorm = true, .renorm_clipping = Json{{"zmax", 1.0}}}), keras::ValueError);
}

TEST(BatchNormalization, ConfigRoundTripKeepsOptions) {
  layers::BatchNormalization bn({.axis = 2,
                                 .momentum = 0.5,
                                 .epsilon = 1e-5,
                                 .gamma_initializer = keras::initializers::Constant(2.0),
                                 .beta_regularizer = keras::regularizers::L2(0.1),
                                 .gamma_constraint = keras::constraints::NonNeg(),
                                 .synchronized = true,
                                 .name = "bn"});
  Json envelope = keras::saving::serialize_operation(*bn);
  auto copy = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(keras::dump_json_like_python(keras::saving::serialize_operation(*copy)),
            keras::dump_json_like_python(envelope));
  EXPECT_EQ(envelope.at("config").at("synchronized"), true);
  EXPECT_EQ(envelope.at("config").at("beta_regularizer").at("class_name"), "L2");
}

TEST(BatchNormalization, AcceptsKeras2ListAxis) {
  Json envelope = {{"module", "keras.layers"},
                   {"class_name", "BatchNormalization"},
                   {"config", {{"name", "bn"}, {"axis", Json::array({3})}}},
                   {"registered_name", nullptr}};
  auto layer = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(layer->get_config().at("axis"), 3);
}

TEST(BatchNormalization, SavedAndLoadedModelKeepsStatistics) {
  keras::clear_session();
  auto input = keras::Input({3});
  layers::BatchNormalization bn({.name = "bn"});
  keras::Model model(input, bn(input));
  bn->own_variables()[2]->assign(Tensor::from_vector({3}, {1, 2, 3}));
  bn->own_variables()[3]->assign(Tensor::from_vector({3}, {4, 5, 6}));
  keras_test::TempDir dir;
  keras::save_model(model, dir / "bn.keras");
  keras::Model loaded = keras::load_model(dir / "bn.keras");
  auto vars = loaded.get_layer("bn")->own_variables();
  expect_values(vars[2]->value(), {1, 2, 3});
  expect_values(vars[3]->value(), {4, 5, 6});
  Tensor x = Tensor::from_vector({1, 3}, {0.5F, -1.0F, 2.0F});
  expect_values(loaded.predict(x).at(0), model.predict(x).at(0).to_vector());
}

// ------------------------------------------------------- LayerNormalization

TEST(LayerNormalization, NormalizesOverTheLastAxis) {
  Tensor y = run_layer(layers::LayerNormalization({.epsilon = 0.0}), Tensor::from_vector({1, 4}, {1, 2, 3, 4}));
  const float s = std::sqrt(1.25F);  // population std of 1..4
  expect_values(y, {-1.5F / s, -0.5F / s, 0.5F / s, 1.5F / s});
}

TEST(LayerNormalization, AxisBecomesSortedCanonicalListOnceBuilt) {
  layers::LayerNormalization ln({.axis = {-1, 1}});
  EXPECT_EQ(ln->get_config().at("axis"), Json::array({-1, 1}));
  ln->build_for({{-1, 5, 8}});
  EXPECT_EQ(ln->get_config().at("axis"), Json::array({1, 2}));
  EXPECT_EQ(ln->own_variables().at(0)->shape(), Shape({5, 8}));
  layers::LayerNormalization dup({.axis = {2, -1}});
  EXPECT_THROW(dup->build_for({{-1, 5, 8}}), keras::ValueError);
  layers::LayerNormalization out_of_range({.axis = 3});
  EXPECT_THROW(out_of_range->build_for({{-1, 5, 8}}), keras::ValueError);
}

TEST(LayerNormalization, RmsScalingHasOnlyGamma) {
  layers::LayerNormalization ln({.epsilon = 0.0, .rms_scaling = true});
  Tensor y = run_layer(ln, Tensor::from_vector({1, 2}, {1, 3}));
  ASSERT_EQ(ln->own_variables().size(), 1U);
  EXPECT_EQ(ln->own_variables()[0]->name(), "gamma");
  expect_values(y, {1.0F, 3.0F});  // x * rsqrt(var), var = 1
}

// ------------------------------------------------------- GroupNormalization

TEST(GroupNormalization, NormalizesEachGroupSeparately) {
  Tensor y =
      run_layer(layers::GroupNormalization({.groups = 2, .epsilon = 0.0}), Tensor::from_vector({1, 4}, {1, 3, 10, 14}));
  expect_values(y, {-1.0F, 1.0F, -1.0F, 1.0F});
}

TEST(GroupNormalization, InstanceNormalizationGroupsBecomeChannelCount) {
  layers::GroupNormalization gn({.groups = -1, .center = false});
  gn->build_for({{-1, 3, 6}});
  EXPECT_EQ(gn->get_config().at("groups"), 6);
  ASSERT_EQ(gn->own_variables().size(), 1U);
  EXPECT_EQ(gn->own_variables()[0]->name(), "gamma");
  EXPECT_THROW(layers::GroupNormalization({.groups = 0}), keras::ValueError);
  layers::GroupNormalization bad({.groups = 4});
  EXPECT_THROW(bad->build_for({{-1, 6}}), keras::ValueError);
  layers::GroupNormalization too_many({.groups = 8});
  EXPECT_THROW(too_many->build_for({{-1, 6}}), keras::ValueError);
}

// ------------------------------------------------------ Unit / RMS

TEST(UnitNormalization, DividesByTheL2Norm) {
  layers::UnitNormalization un;
  Tensor y = run_layer(un, Tensor::from_vector({2, 2}, {3, 4, 0, 0}));
  expect_values(y, {0.6F, 0.8F, 0.0F, 0.0F});
  EXPECT_FALSE(keras::saving::serialize_operation(*un).contains("build_config"));
  layers::UnitNormalization list_axis({.axis = {1, 2}});
  EXPECT_EQ(list_axis->get_config().at("axis"), Json::array({1, 2}));
  Tensor z = run_layer(list_axis, Tensor::from_vector({1, 2, 2}, {1, 1, 1, 1}));
  expect_values(z, {0.5F, 0.5F, 0.5F, 0.5F});
}

TEST(RMSNormalization, ScalesByRootMeanSquare) {
  layers::RMSNormalization rms({.epsilon = 0.0});
  EXPECT_EQ(rms->get_config().at("axis"), -1);
  Tensor y = run_layer(rms, Tensor::from_vector({1, 2}, {3, 4}));
  const float r = std::sqrt(12.5F);
  expect_values(y, {3.0F / r, 4.0F / r});
  EXPECT_EQ(rms->get_config().at("axis"), Json::array({-1}));
  ASSERT_EQ(rms->own_variables().size(), 1U);
  EXPECT_EQ(rms->own_variables()[0]->shape(), Shape({2}));
  EXPECT_TRUE(rms->own_variables()[0]->trainable());
}

}  // namespace
