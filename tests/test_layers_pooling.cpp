// Pooling layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "ops/shape_ops.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace L = keras::layers;

void build_on(const keras::LayerRef& layer, const Shape& shape) { (void)layer(keras::Input(shape)); }

Tensor run(const keras::LayerRef& layer, const Tensor& x) {
  layer->build_for({x.shape()});
  return layer->forward(x, false);
}

void expect_values(const Tensor& actual, const Shape& shape, const std::vector<float>& expected) {
  ASSERT_EQ(actual.shape(), shape);
  EXPECT_TRUE(keras::allclose(actual, Tensor::from_vector(shape, expected), 1e-6, 1e-6))
      << "max diff " << keras::max_abs_diff(actual, Tensor::from_vector(shape, expected));
}

std::vector<std::string> config_keys(const keras::LayerRef& layer) {
  const keras::Json config = layer->get_config();
  std::vector<std::string> keys;
  for (const auto& item : config.items()) keys.push_back(item.key());
  return keys;
}

// ----------------------------------------------------------------- fixtures

TEST(PoolingFixtures, Pooling) { keras_test::expect_fixture_matches("pooling"); }
TEST(PoolingFixtures, AdaptivePooling) { keras_test::expect_fixture_matches("adaptive_pooling"); }

// ------------------------------------------------- configs equal to Keras'

TEST(PoolingConfig, WindowPoolingLayersMatchKeras) {
  L::MaxPooling1D max1(2, {.name = "max_pooling1d"});
  L::AveragePooling1D avg1(3, {.strides = {2}, .padding = "same", .name = "average_pooling1d"});
  for (const auto& [layer, name] :
       {std::pair<keras::LayerRef, const char*>{max1, "max_pooling1d"}, {avg1, "average_pooling1d"}}) {
    build_on(layer, {11, 3});
    keras_test::expect_config_matches_fixture(layer, "pooling", name);
  }
  L::MaxPooling2D max2({2, 3}, {.strides = {2, 2}, .padding = "same", .name = "max_pooling2d_1"});
  L::AveragePooling2D avg2(2, {.name = "average_pooling2d"});
  L::AveragePooling2D avg2b(3, {.strides = {2}, .padding = "same", .name = "average_pooling2d_1"});
  for (const auto& [layer, name] : {std::pair<keras::LayerRef, const char*>{max2, "max_pooling2d_1"},
                                    {avg2, "average_pooling2d"},
                                    {avg2b, "average_pooling2d_1"}}) {
    build_on(layer, {9, 8, 3});
    keras_test::expect_config_matches_fixture(layer, "pooling", name);
  }
  L::MaxPooling3D max3(std::vector<std::int64_t>{2, 2, 2}, {.name = "max_pooling3d"});
  L::AveragePooling3D avg3(2, {.padding = "same", .name = "average_pooling3d"});
  for (const auto& [layer, name] :
       {std::pair<keras::LayerRef, const char*>{max3, "max_pooling3d"}, {avg3, "average_pooling3d"}}) {
    build_on(layer, {6, 5, 4, 2});
    keras_test::expect_config_matches_fixture(layer, "pooling", name);
  }
}

TEST(PoolingConfig, GlobalPoolingLayersMatchKeras) {
  L::GlobalMaxPooling1D gmax1({.name = "global_max_pooling1d"});
  L::GlobalAveragePooling1D gavg1({.keepdims = true, .name = "global_average_pooling1d_1"});
  build_on(gmax1, {11, 3});
  build_on(gavg1, {11, 3});
  keras_test::expect_config_matches_fixture(gmax1, "pooling", "global_max_pooling1d");
  keras_test::expect_config_matches_fixture(gavg1, "pooling", "global_average_pooling1d_1");
  L::GlobalMaxPooling2D gmax2({.keepdims = true, .name = "global_max_pooling2d"});
  L::GlobalAveragePooling2D gavg2({.name = "global_average_pooling2d_1"});
  build_on(gmax2, {9, 8, 3});
  build_on(gavg2, {9, 8, 3});
  keras_test::expect_config_matches_fixture(gmax2, "pooling", "global_max_pooling2d");
  keras_test::expect_config_matches_fixture(gavg2, "pooling", "global_average_pooling2d_1");
  L::GlobalMaxPooling3D gmax3({.name = "global_max_pooling3d"});
  L::GlobalAveragePooling3D gavg3({.name = "global_average_pooling3d"});
  build_on(gmax3, {6, 5, 4, 2});
  build_on(gavg3, {6, 5, 4, 2});
  keras_test::expect_config_matches_fixture(gmax3, "pooling", "global_max_pooling3d");
  keras_test::expect_config_matches_fixture(gavg3, "pooling", "global_average_pooling3d");
}

TEST(PoolingConfig, ChannelsFirstPoolingMatchesKeras) {
  L::MaxPooling2D max({2, 2}, {.data_format = "channels_first", .name = "max_pooling2d"});
  L::GlobalAveragePooling2D gavg({.data_format = "channels_first", .name = "global_average_pooling2d"});
  build_on(max, {4, 8, 8});
  build_on(gavg, {4, 4, 4});
  keras_test::expect_config_matches_fixture(max, "conv2d_channels_first", "max_pooling2d");
  keras_test::expect_config_matches_fixture(gavg, "conv2d_channels_first", "global_average_pooling2d");
}

TEST(PoolingConfig, AdaptivePoolingLayersMatchKeras) {
  L::AdaptiveAveragePooling1D avg1(4, {.name = "adaptive_average_pooling1d"});
  L::AdaptiveMaxPooling1D max1(3, {.name = "adaptive_max_pooling1d"});
  for (const auto& [layer, name] : {std::pair<keras::LayerRef, const char*>{avg1, "adaptive_average_pooling1d"},
                                    {max1, "adaptive_max_pooling1d"}}) {
    build_on(layer, {10, 3});
    keras_test::expect_config_matches_fixture(layer, "adaptive_pooling", name);
  }
  L::AdaptiveAveragePooling2D avg2({3, 2}, {.name = "adaptive_average_pooling2d"});
  L::AdaptiveMaxPooling2D max2(2, {.name = "adaptive_max_pooling2d"});
  for (const auto& [layer, name] : {std::pair<keras::LayerRef, const char*>{avg2, "adaptive_average_pooling2d"},
                                    {max2, "adaptive_max_pooling2d"}}) {
    build_on(layer, {7, 9, 2});
    keras_test::expect_config_matches_fixture(layer, "adaptive_pooling", name);
  }
  L::AdaptiveAveragePooling3D avg3({2, 3, 2}, {.name = "adaptive_average_pooling3d"});
  L::AdaptiveMaxPooling3D max3(2, {.name = "adaptive_max_pooling3d"});
  for (const auto& [layer, name] : {std::pair<keras::LayerRef, const char*>{avg3, "adaptive_average_pooling3d"},
                                    {max3, "adaptive_max_pooling3d"}}) {
    build_on(layer, {5, 6, 4, 2});
    keras_test::expect_config_matches_fixture(layer, "adaptive_pooling", name);
  }
}

TEST(PoolingConfig, KeysFollowKerasOrder) {
  EXPECT_EQ(config_keys(L::MaxPooling2D()),
            (std::vector<std::string>{"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}));
  EXPECT_EQ(config_keys(L::GlobalMaxPooling3D()),
            (std::vector<std::string>{"name", "trainable", "dtype", "data_format", "keepdims"}));
  EXPECT_EQ(config_keys(L::AdaptiveMaxPooling1D(2)),
            (std::vector<std::string>{"name", "trainable", "dtype", "output_size", "data_format"}));
}

TEST(PoolingConfig, PaddingIsKeptAsGivenAndStridesDefaultToPoolSize) {
  // Keras' BasePooling stores padding unchanged.
  L::MaxPooling2D pool({2, 3}, {.padding = "SAME"});
  const keras::Json config = pool->get_config();
  EXPECT_EQ(config["padding"], "SAME");
  EXPECT_EQ(config["strides"], keras::Json::parse("[2, 3]"));
  EXPECT_EQ(pool->compute_output_shape({-1, 5, 7, 1}), (Shape{-1, 3, 3, 1}));
}

TEST(PoolingConfig, FromConfigAppliesKerasDefaults) {
  auto max = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "MaxPool3D", "config": {"name": "p"}, "registered_name": null})"));
  EXPECT_EQ(max->class_name(), "MaxPooling3D");
  EXPECT_EQ(max->get_config()["pool_size"], keras::Json::parse("[2, 2, 2]"));
  EXPECT_EQ(max->get_config()["strides"], keras::Json::parse("[2, 2, 2]"));
  EXPECT_EQ(max->get_config()["data_format"], "channels_last");
  // AveragePooling needs its pool_size.
  EXPECT_THROW(keras::saving::deserialize_layer(keras::Json::parse(
                   R"({"module": "keras.layers", "class_name": "AveragePooling2D", "config": {"name": "p"},
                       "registered_name": null})")),
               keras::FormatError);
  auto global = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "GlobalAvgPool1D", "config": {"name": "g"}, "registered_name": null})"));
  EXPECT_EQ(global->class_name(), "GlobalAveragePooling1D");
  EXPECT_EQ(global->get_config()["keepdims"], false);
  auto adaptive = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "AdaptiveMaxPooling2D", "config": {"name": "a", "output_size": 3},
          "registered_name": null})"));
  EXPECT_EQ(adaptive->get_config()["output_size"], keras::Json::parse("[3, 3]"));
}

TEST(PoolingConfig, OnlyAdaptivePoolingWritesABuildConfig) {
  L::MaxPooling1D window;
  L::GlobalMaxPooling1D global;
  L::AdaptiveMaxPooling1D adaptive(2);
  for (const auto& layer : {keras::LayerRef(window), keras::LayerRef(global), keras::LayerRef(adaptive)})
    build_on(layer, {6, 2});
  EXPECT_FALSE(window->build_config().has_value());
  EXPECT_FALSE(global->build_config().has_value());
  ASSERT_TRUE(adaptive->build_config().has_value());
  EXPECT_EQ((*adaptive->build_config())["input_shape"], keras::Json::parse("[null, 6, 2]"));
}

TEST(PoolingConfig, AutoNamesAreKerasSnakeCase) {
  keras::clear_session();
  EXPECT_EQ(L::MaxPooling2D()->name(), "max_pooling2d");
  EXPECT_EQ(L::GlobalAveragePooling1D()->name(), "global_average_pooling1d");
  EXPECT_EQ(L::AdaptiveAveragePooling3D(2)->name(), "adaptive_average_pooling3d");
  EXPECT_EQ(L::MaxPooling2D()->name(), "max_pooling2d_1");
}

// ------------------------------------------------------ hand-checked values

TEST(PoolingValues, MaxAndAverage1D) {
  const Tensor x = Tensor::from_vector({1, 5, 1}, {1, 3, 2, 5, 4});
  expect_values(run(L::MaxPooling1D(), x), {1, 2, 1}, {3, 5});
  expect_values(run(L::MaxPooling1D(2, {.strides = {1}}), x), {1, 4, 1}, {3, 3, 5, 5});
  // "same", pool 3, stride 2: one padded cell on each side, left out of the average.
  const Tensor y = Tensor::from_vector({1, 5, 1}, {1, 2, 3, 4, 5});
  expect_values(run(L::AveragePooling1D(3, {.strides = {2}, .padding = "same"}), y), {1, 3, 1}, {1.5F, 3, 4.5F});
}

TEST(PoolingValues, ChannelsFirstIsTheTransposedChannelsLast) {
  keras::random::set_seed(9);
  const Tensor x_last = keras::random::uniform({2, 7, 6, 3});
  const Tensor x_first = keras::kernels::transpose(x_last, {0, 3, 1, 2});
  auto check = [&](const keras::LayerRef& last, const keras::LayerRef& first) {
    const Tensor expected = keras::kernels::transpose(run(last, x_last), {0, 3, 1, 2});
    const Tensor actual = run(first, x_first);
    ASSERT_EQ(actual.shape(), expected.shape());
    EXPECT_TRUE(keras::allclose(actual, expected, 1e-6, 1e-6)) << first->name();
  };
  check(L::MaxPooling2D({3, 2}, {.strides = {2, 1}, .padding = "same"}),
        L::MaxPooling2D({3, 2}, {.strides = {2, 1}, .padding = "same", .data_format = "channels_first"}));
  check(L::AveragePooling2D(3, {.strides = {2}, .padding = "same"}),
        L::AveragePooling2D(3, {.strides = {2}, .padding = "same", .data_format = "channels_first"}));
  check(L::AdaptiveAveragePooling2D({3, 4}), L::AdaptiveAveragePooling2D({3, 4}, {.data_format = "channels_first"}));
  check(L::AdaptiveMaxPooling2D({2, 5}), L::AdaptiveMaxPooling2D({2, 5}, {.data_format = "channels_first"}));
}

TEST(PoolingValues, GlobalPoolingOverEverySpatialAxis) {
  // [1, 2, 2, 2] channels_last: channel 0 = 1..4, channel 1 = 10, 20, 30, 40.
  const Tensor x = Tensor::from_vector({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  expect_values(run(L::GlobalAveragePooling2D(), x), {1, 2}, {2.5F, 25});
  expect_values(run(L::GlobalMaxPooling2D({.keepdims = true}), x), {1, 1, 1, 2}, {4, 40});
  // The same data read as channels_first: channel 0 = 1, 10, 2, 20; channel 1 = 3, 30, 4, 40.
  expect_values(run(L::GlobalAveragePooling2D({.data_format = "channels_first", .keepdims = true}), x), {1, 2, 1, 1},
                {8.25F, 19.25F});
  EXPECT_EQ(L::GlobalMaxPooling3D({.data_format = "channels_first"})->compute_output_shape({-1, 4, 3, 3, 3}),
            (Shape{-1, 4}));
}

TEST(PoolingValues, GlobalAveragePooling1DLeavesMaskedStepsOut) {
  L::GlobalAveragePooling1D pool;
  const Tensor x = Tensor::from_vector({2, 3, 2}, {1, 2, 3, 4, 100, 100, 5, 6, 7, 8, 9, 10});
  const Tensor mask = Tensor::from_vector({2, 3}, {1, 1, 0, 0, 1, 1}).astype(keras::DType::bool_);
  keras::CallArgs args;
  args.args = keras::Json::array({keras::Json{{"__tensor__", 0}}});
  args.kwargs = keras::Json{{"mask", keras::Json{{"__tensor__", 1}}}};
  args.tensors = {x, mask};
  pool->build_for({x.shape()});
  expect_values(pool->call(args).front(), {2, 2}, {2, 3, 8, 9});
  // Without a mask: the plain mean.
  expect_values(run(pool, x), {2, 2}, {104.0F / 3, 106.0F / 3, 7, 8});
  EXPECT_TRUE(pool->call_accepts_mask());
  EXPECT_FALSE(L::GlobalAveragePooling2D()->call_accepts_mask());
}

TEST(PoolingValues, GlobalAveragePooling1DConsumesTheMaskInAGraph) {
  auto x = keras::Input({3, 2});
  auto masked = L::Masking()(x);
  ASSERT_TRUE(masked.keras_mask().has_value());
  auto y = L::GlobalAveragePooling1D()(masked);
  EXPECT_EQ(y.shape(), (Shape{-1, 2}));
  EXPECT_FALSE(y.keras_mask().has_value());
  keras::Model model(x, y);
  // The all-zero step is masked: the mean of the other two.
  const Tensor out = model.predict(Tensor::from_vector({1, 3, 2}, {1, 2, 0, 0, 3, 6})).front();
  expect_values(out, {1, 2}, {2, 4});
}

TEST(PoolingValues, AdaptiveBinsFollowKeras) {
  // Length 5 into 2 bins: [0, 3) and [2, 5).
  expect_values(run(L::AdaptiveAveragePooling1D(2), Tensor::from_vector({1, 5, 1}, {1, 2, 3, 4, 5})), {1, 2, 1},
                {2, 4});
  // Length 5 into 3 bins: [0, 2), [1, 4), [3, 5).
  expect_values(run(L::AdaptiveMaxPooling1D(3), Tensor::from_vector({1, 5, 1}, {1, 5, 2, 4, 3})), {1, 3, 1}, {5, 5, 4});
  // More bins than inputs repeat values.
  expect_values(run(L::AdaptiveMaxPooling1D(4), Tensor::from_vector({1, 2, 1}, {1, 2})), {1, 4, 1}, {1, 1, 2, 2});
  EXPECT_EQ(
      L::AdaptiveAveragePooling3D({1, 2, 3}, {.data_format = "channels_first"})->compute_output_shape({-1, 4, 5, 6, 7}),
      (Shape{-1, 4, 1, 2, 3}));
}

TEST(PoolingValues, OutputShapesFollowKeras) {
  EXPECT_EQ(L::MaxPooling2D({2, 2})->compute_output_shape({-1, 5, -1, 3}), (Shape{-1, 2, -1, 3}));
  EXPECT_EQ(L::AveragePooling3D(2, {.strides = {3}, .padding = "same", .data_format = "channels_first"})
                ->compute_output_shape({4, 2, 7, 6, 5}),
            (Shape{4, 2, 3, 2, 2}));
  EXPECT_EQ(L::MaxPooling1D(3, {.strides = {2}})->compute_output_shape({-1, 8, 1}), (Shape{-1, 3, 1}));
}

// ------------------------------------------------------------------ errors

TEST(PoolingErrors, InvalidArgumentsAndInputs) {
  EXPECT_THROW(L::MaxPooling2D({2, 2}, {.padding = "causal"}), keras::ValueError);
  EXPECT_THROW(L::MaxPooling2D({2, 0}), keras::ValueError);
  EXPECT_THROW(L::MaxPooling2D({2, 2, 2}), keras::ValueError);
  EXPECT_THROW(L::GlobalMaxPooling2D({.data_format = "nchw"}), keras::ValueError);
  // Adaptive pooling takes data_format verbatim, as Keras does.
  EXPECT_THROW(L::AdaptiveMaxPooling2D(2, {.data_format = "Channels_Last"}), keras::ValueError);
  // A "valid" window larger than the input.
  EXPECT_THROW(L::MaxPooling2D({3, 3})->compute_output_shape({-1, 2, 5, 1}), keras::ValueError);
  // Wrong rank.
  EXPECT_THROW(L::MaxPooling2D()->compute_output_shape({-1, 5, 1}), keras::ValueError);
  EXPECT_THROW(run(L::GlobalAveragePooling1D(), Tensor::zeros({1, 2, 3, 4})), keras::ValueError);
  EXPECT_THROW(run(L::AdaptiveAveragePooling2D(2), Tensor::zeros({1, 2, 3})), keras::ValueError);
}

// --------------------------------------------------------- save and reload

TEST(PoolingSaving, ModelWithEveryPoolingRoundTrips) {
  keras::random::set_seed(4);
  auto seq = keras::Input({12, 3});
  auto a = L::MaxPooling1D(3, {.strides = {2}, .padding = "same"})(seq);
  a = L::AveragePooling1D(2, {.data_format = "channels_first"})(a);
  auto a1 = L::GlobalAveragePooling1D({.keepdims = true})(a);
  auto a2 = L::AdaptiveMaxPooling1D(2, {.data_format = "channels_first"})(a);

  auto image = keras::Input({3, 9, 8});
  auto b = L::MaxPooling2D({2, 3}, {.data_format = "channels_first"})(image);
  auto b1 = L::GlobalMaxPooling2D({.data_format = "channels_first"})(b);
  auto b2 = L::AdaptiveAveragePooling2D({2, 1})(image);

  auto volume = keras::Input({6, 5, 4, 2});
  auto c = L::AveragePooling3D(2, {.strides = {1, 2, 2}, .padding = "same"})(volume);
  auto c1 = L::GlobalAveragePooling3D()(c);
  auto c2 = L::AdaptiveMaxPooling3D({3, 2, 1})(volume);

  keras::Model model({seq, image, volume}, {a1, a2, b1, b2, c1, c2});
  const std::vector<Tensor> inputs{keras::random::uniform({2, 12, 3}), keras::random::uniform({2, 3, 9, 8}),
                                   keras::random::uniform({2, 6, 5, 4, 2})};
  const auto expected = model.predict(inputs);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "pools.keras");
  auto loaded = keras::load_model(dir / "pools.keras");
  const auto actual = loaded.predict(inputs);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_TRUE(keras::allclose(actual[i], expected[i], 0, 0)) << "output " << i;
  EXPECT_EQ(keras::dump_json_like_python(keras::saving::serialize_operation(loaded.impl())),
            keras::dump_json_like_python(keras::saving::serialize_operation(model.impl())));
}

}  // namespace
