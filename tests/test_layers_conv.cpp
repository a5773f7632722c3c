// Convolution layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace L = keras::layers;

// Calls the layer on a symbolic input of `shape` (batch excluded), which builds it as Keras does.
void build_on(const keras::LayerRef& layer, const Shape& shape) { (void)layer(keras::Input(shape)); }

// Builds for a concrete batch shape and sets the weights in Keras' order.
void build_with_weights(const keras::LayerRef& layer, const Shape& input_shape, const std::vector<Tensor>& weights) {
  layer->build_for({input_shape});
  auto vars = layer->weights();
  ASSERT_EQ(vars.size(), weights.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(weights[i]);
}

Tensor run(const keras::LayerRef& layer, const Tensor& x) { return layer->forward(x, false); }

void expect_values(const Tensor& actual, const Shape& shape, const std::vector<float>& expected) {
  ASSERT_EQ(actual.shape(), shape);
  EXPECT_TRUE(keras::allclose(actual, Tensor::from_vector(shape, expected), 1e-6, 1e-6))
      << "max diff " << keras::max_abs_diff(actual, Tensor::from_vector(shape, expected));
}

std::vector<std::string> weight_names(const keras::LayerRef& layer) {
  std::vector<std::string> names;
  for (const auto& v : layer->weights()) names.push_back(v->name());
  return names;
}

std::vector<Shape> weight_shapes(const keras::LayerRef& layer) {
  std::vector<Shape> shapes;
  for (const auto& v : layer->weights()) shapes.push_back(v->shape());
  return shapes;
}

// ----------------------------------------------------------------- fixtures

TEST(ConvFixtures, Conv1D) { keras_test::expect_fixture_matches("conv1d"); }
TEST(ConvFixtures, Conv2D) { keras_test::expect_fixture_matches("conv2d"); }
// Also needs BatchNormalization and Flatten.
TEST(ConvFixtures, Conv2DChannelsFirst) { keras_test::expect_fixture_matches("conv2d_channels_first"); }
TEST(ConvFixtures, Conv3D) { keras_test::expect_fixture_matches("conv3d"); }
TEST(ConvFixtures, ConvTranspose) { keras_test::expect_fixture_matches("conv_transpose"); }
TEST(ConvFixtures, DepthwiseSeparable) { keras_test::expect_fixture_matches("depthwise_separable"); }

// ------------------------------------------------- configs equal to Keras'

TEST(ConvConfig, Conv1DLayersMatchKeras) {
  L::Conv1D a(6, 3, {.padding = "same", .activation = "relu", .name = "conv1d"});
  L::Conv1D b(5, 3, {.strides = {2}, .name = "conv1d_1"});
  L::Conv1D c(4, 3, {.padding = "causal", .dilation_rate = {2}, .name = "conv1d_2"});
  L::Conv1D d(4, 3, {.padding = "same", .groups = 2, .name = "conv1d_3"});
  for (const auto& [layer, name] : {std::pair{a, "conv1d"}, {b, "conv1d_1"}, {c, "conv1d_2"}, {d, "conv1d_3"}}) {
    build_on(layer, {12, 4});
    keras_test::expect_config_matches_fixture(layer, "conv1d", name);
  }
}

TEST(ConvConfig, Conv2DLayersMatchKeras) {
  L::Conv2D a(6, {3, 3}, {.padding = "same", .name = "conv2d"});
  L::Conv2D b(5, {3, 2}, {.strides = {2, 3}, .name = "conv2d_1"});
  L::Conv2D c(3, 3, {.padding = "same", .dilation_rate = {2}, .use_bias = false, .name = "conv2d_2"});
  L::Conv2D d(4, 3, {.strides = {2}, .padding = "same", .groups = 2, .activation = "relu", .name = "conv2d_3"});
  for (const auto& [layer, name] : {std::pair{a, "conv2d"}, {b, "conv2d_1"}, {c, "conv2d_2"}, {d, "conv2d_3"}}) {
    build_on(layer, {9, 10, 4});
    keras_test::expect_config_matches_fixture(layer, "conv2d", name);
  }
}

TEST(ConvConfig, Conv2DChannelsFirstMatchesKeras) {
  L::Conv2D conv(4, 3, {.padding = "same", .data_format = "channels_first", .name = "conv2d_4"});
  build_on(conv, {3, 8, 8});
  keras_test::expect_config_matches_fixture(conv, "conv2d_channels_first", "conv2d_4");
}

TEST(ConvConfig, Conv3DLayersMatchKeras) {
  L::Conv3D a(3, 3, {.padding = "same", .name = "conv3d"});
  L::Conv3D b(2, {2, 3, 2}, {.strides = {2}, .name = "conv3d_1"});
  for (const auto& [layer, name] : {std::pair{a, "conv3d"}, {b, "conv3d_1"}}) {
    build_on(layer, {6, 7, 5, 2});
    keras_test::expect_config_matches_fixture(layer, "conv3d", name);
  }
}

TEST(ConvConfig, ConvTransposeLayersMatchKeras) {
  L::Conv1DTranspose t1(4, 3, {.strides = {2}, .padding = "same", .name = "conv1d_transpose"});
  build_on(t1, {7, 3});
  keras_test::expect_config_matches_fixture(t1, "conv_transpose", "conv1d_transpose");

  L::Conv2DTranspose a(4, 3, {.strides = {2}, .padding = "same", .name = "conv2d_transpose"});
  L::Conv2DTranspose b(3, {3, 2}, {.strides = {2, 1}, .name = "conv2d_transpose_1"});
  L::Conv2DTranspose c(2, 3, {.strides = {2}, .output_padding = {1}, .name = "conv2d_transpose_2"});
  for (const auto& [layer, name] :
       {std::pair{a, "conv2d_transpose"}, {b, "conv2d_transpose_1"}, {c, "conv2d_transpose_2"}}) {
    build_on(layer, {5, 6, 3});
    keras_test::expect_config_matches_fixture(layer, "conv_transpose", name);
  }

  L::Conv3DTranspose t3(2, 2, {.strides = {2}, .padding = "same", .name = "conv3d_transpose"});
  build_on(t3, {3, 4, 3, 2});
  keras_test::expect_config_matches_fixture(t3, "conv_transpose", "conv3d_transpose");
}

TEST(ConvConfig, DepthwiseAndSeparableLayersMatchKeras) {
  L::DepthwiseConv1D d1(3, {.padding = "same", .depth_multiplier = 2, .name = "depthwise_conv1d"});
  L::SeparableConv1D s1(5, 3, {.activation = "relu", .name = "separable_conv1d"});
  for (const auto& [layer, name] :
       {std::pair<keras::LayerRef, const char*>{d1, "depthwise_conv1d"}, {s1, "separable_conv1d"}}) {
    build_on(layer, {10, 4});
    keras_test::expect_config_matches_fixture(layer, "depthwise_separable", name);
  }
  L::DepthwiseConv2D d2(3, {.padding = "same", .depth_multiplier = 2, .name = "depthwise_conv2d"});
  L::DepthwiseConv2D d3(3, {.strides = {2}, .use_bias = false, .name = "depthwise_conv2d_1"});
  L::SeparableConv2D s2(6, 3, {.padding = "same", .depth_multiplier = 2, .name = "separable_conv2d"});
  for (const auto& [layer, name] : {std::pair<keras::LayerRef, const char*>{d2, "depthwise_conv2d"},
                                    {d3, "depthwise_conv2d_1"},
                                    {s2, "separable_conv2d"}}) {
    build_on(layer, {8, 9, 4});
    keras_test::expect_config_matches_fixture(layer, "depthwise_separable", name);
  }
}

TEST(ConvConfig, WholeConv1DModelMatchesKeras) {
  auto x = keras::Input({12, 4}, {.name = "input_layer_7"});
  std::vector<keras::KerasTensor> outputs{
      L::Conv1D(6, 3, {.padding = "same", .activation = "relu", .name = "conv1d"})(x),
      L::Conv1D(5, 3, {.strides = {2}, .name = "conv1d_1"})(x),
      L::Conv1D(4, 3, {.padding = "causal", .dilation_rate = {2}, .name = "conv1d_2"})(x),
      L::Conv1D(4, 3, {.padding = "same", .groups = 2, .name = "conv1d_3"})(x)};
  keras::Model model({x}, outputs, "functional_9");
  keras_test::expect_model_config_matches_fixture(model, "conv1d");
}

// Regularizers, constraints, initializers and activity_regularizer, in
// Keras' key order: a set activity_regularizer keeps the place the base
// Layer config gives it (right after dtype), as Python's dict.update does.
TEST(ConvConfig, NonDefaultOptionsSerializeInKerasOrder) {
  L::Conv2D conv(8, {3, 5},
                 {.strides = {1, 2},
                  .padding = "SAME",
                  .data_format = "Channels_First",
                  .activation = "swish",
                  .kernel_initializer = keras::initializers::HeNormal({.seed = 7}),
                  .bias_initializer = keras::initializers::Constant(0.5),
                  .kernel_regularizer = keras::regularizers::L2(0.001),
                  .bias_regularizer = "l1",
                  .activity_regularizer = keras::regularizers::L1L2(0.0, 0.5),
                  .kernel_constraint = keras::constraints::MaxNorm(3.0, 1),
                  .bias_constraint = "non_neg",
                  .name = "fancy",
                  .dtype = "float64",
                  .trainable = false});
  const keras::Json config = conv->get_config();
  std::vector<std::string> keys;
  for (const auto& item : config.items()) keys.push_back(item.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"name", "trainable", "dtype", "activity_regularizer", "filters", "kernel_size",
                                      "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
                                      "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                      "bias_regularizer", "kernel_constraint", "bias_constraint"}));
  EXPECT_EQ(config["trainable"], false);
  EXPECT_EQ(config["dtype"]["config"]["name"], "float64");
  EXPECT_EQ(config["padding"], "same");
  EXPECT_EQ(config["data_format"], "channels_first");
  EXPECT_EQ(config["activation"], "silu");
  EXPECT_EQ(config["strides"], keras::Json::parse("[1, 2]"));
  EXPECT_EQ(config["kernel_initializer"]["class_name"], "HeNormal");
  EXPECT_EQ(config["kernel_initializer"]["config"]["seed"], 7);
  EXPECT_EQ(config["bias_initializer"]["config"]["value"], 0.5);
  EXPECT_EQ(config["kernel_regularizer"]["class_name"], "L2");
  EXPECT_EQ(config["bias_regularizer"]["class_name"], "L1");
  EXPECT_EQ(config["activity_regularizer"]["class_name"], "L1L2");
  EXPECT_EQ(config["kernel_constraint"]["config"]["axis"], 1);
  EXPECT_EQ(config["bias_constraint"]["class_name"], "NonNeg");

  // from_config gives back the same config.
  auto envelope = keras::saving::serialize_operation(*conv);
  auto copy = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(keras::dump_json_like_python(copy->get_config()), keras::dump_json_like_python(config));
}

TEST(ConvConfig, EveryConvolutionKeepsItsKeyOrder) {
  auto keys_of = [](const keras::LayerRef& layer) {
    std::vector<std::string> keys;
    const keras::Json config = layer->get_config();
    for (const auto& item : config.items()) keys.push_back(item.key());
    return keys;
  };
  EXPECT_EQ(
      keys_of(L::Conv3DTranspose(2, 3, {.output_padding = {0, 0, 0}})),
      (std::vector<std::string>{"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
                                "output_padding", "data_format", "dilation_rate", "activation", "use_bias",
                                "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                                "activity_regularizer", "kernel_constraint", "bias_constraint"}));
  EXPECT_EQ(
      keys_of(L::DepthwiseConv2D(3)),
      (std::vector<std::string>{"name", "trainable", "dtype", "depth_multiplier", "kernel_size", "strides", "padding",
                                "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer",
                                "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer",
                                "depthwise_constraint", "bias_constraint"}));
  EXPECT_EQ(keys_of(L::SeparableConv1D(4, 3)), (std::vector<std::string>{"name",
                                                                         "trainable",
                                                                         "dtype",
                                                                         "depth_multiplier",
                                                                         "filters",
                                                                         "kernel_size",
                                                                         "strides",
                                                                         "padding",
                                                                         "data_format",
                                                                         "dilation_rate",
                                                                         "activation",
                                                                         "use_bias",
                                                                         "depthwise_initializer",
                                                                         "pointwise_initializer",
                                                                         "bias_initializer",
                                                                         "depthwise_regularizer",
                                                                         "pointwise_regularizer",
                                                                         "bias_regularizer",
                                                                         "activity_regularizer",
                                                                         "depthwise_constraint",
                                                                         "pointwise_constraint",
                                                                         "bias_constraint"}));
}

TEST(ConvConfig, FromConfigAppliesKerasDefaultsAndAcceptsInts) {
  auto layer = keras::saving::deserialize_layer(keras::Json::parse(R"({
      "module": "keras.layers", "class_name": "Conv2D",
      "config": {"name": "c", "filters": 3, "kernel_size": 2, "strides": 2, "future_option": 1},
      "registered_name": null})"));
  const keras::Json config = layer->get_config();
  EXPECT_EQ(config["kernel_size"], keras::Json::parse("[2, 2]"));
  EXPECT_EQ(config["strides"], keras::Json::parse("[2, 2]"));
  EXPECT_EQ(config["dilation_rate"], keras::Json::parse("[1, 1]"));
  EXPECT_EQ(config["padding"], "valid");
  EXPECT_EQ(config["data_format"], "channels_last");
  EXPECT_EQ(config["groups"], 1);
  EXPECT_EQ(config["activation"], "linear");
  EXPECT_EQ(config["use_bias"], true);
  EXPECT_EQ(config["kernel_initializer"]["class_name"], "GlorotUniform");
  EXPECT_FALSE(config.contains("future_option"));
  // The Python aliases resolve too.
  auto alias = keras::saving::deserialize_layer(keras::Json::parse(R"({
      "module": "keras.layers", "class_name": "Convolution1DTranspose",
      "config": {"name": "t", "filters": 3, "kernel_size": [2]}, "registered_name": null})"));
  EXPECT_EQ(alias->class_name(), "Conv1DTranspose");
}

TEST(ConvConfig, BadConfigsThrowTypedErrors) {
  auto load = [](const std::string& config) {
    return keras::saving::deserialize_layer(keras::Json::parse(
        R"({"module": "keras.layers", "class_name": "Conv2D", "registered_name": null, "config": )" + config + "}"));
  };
  EXPECT_THROW(load(R"({"name": "c", "kernel_size": 3})"), keras::FormatError);  // no filters
  EXPECT_THROW(load(R"({"name": "c", "filters": 2})"), keras::FormatError);      // no kernel_size
  EXPECT_THROW(load(R"({"name": "c", "filters": 2, "kernel_size": [3, 3, 3]})"), keras::FormatError);
  EXPECT_THROW(load(R"({"name": "c", "filters": 2, "kernel_size": 3, "use_bias": "yes"})"), keras::FormatError);
  EXPECT_THROW(load(R"({"name": "c", "filters": 2, "kernel_size": 3, "padding": "full"})"), keras::ValueError);
  EXPECT_THROW(load(R"({"name": "c", "filters": 2, "kernel_size": 3, "lora_rank": "4"})"), keras::FormatError);
  EXPECT_THROW(load(R"({"name": "c", "filters": 2, "kernel_size": 3, "lora_rank": -1})"), keras::ValueError);
  // Keras' BaseConvTranspose takes no lora_rank.
  EXPECT_THROW(keras::saving::deserialize_layer(keras::Json::parse(
                   R"({"module": "keras.layers", "class_name": "Conv2DTranspose", "registered_name": null,
                       "config": {"name": "c", "filters": 2, "kernel_size": 3, "lora_rank": 4}})")),
               keras::NotImplementedError);
}

// ---------------------------------------------------------- variables

TEST(ConvVariables, NamesShapesAndOrderFollowKeras) {
  L::Conv2D grouped(6, {3, 2}, {.groups = 2});
  build_on(grouped, {9, 9, 4});
  EXPECT_EQ(weight_names(grouped), (std::vector<std::string>{"kernel", "bias"}));
  EXPECT_EQ(weight_shapes(grouped), (std::vector<Shape>{{3, 2, 2, 6}, {6}}));

  L::Conv1D no_bias(5, 3, {.data_format = "channels_first", .use_bias = false});
  build_on(no_bias, {7, 10});
  EXPECT_EQ(weight_shapes(no_bias), (std::vector<Shape>{{3, 7, 5}}));

  L::Conv3DTranspose transpose(4, {1, 2, 3});
  build_on(transpose, {5, 5, 5, 3});
  EXPECT_EQ(weight_shapes(transpose), (std::vector<Shape>{{1, 2, 3, 4, 3}, {4}}));

  L::DepthwiseConv2D depthwise(3, {.depth_multiplier = 3});
  build_on(depthwise, {8, 8, 2});
  EXPECT_EQ(weight_shapes(depthwise), (std::vector<Shape>{{3, 3, 2, 3}, {6}}));

  L::SeparableConv2D separable(7, 3, {.depth_multiplier = 2});
  build_on(separable, {8, 8, 3});
  EXPECT_EQ(weight_names(separable), (std::vector<std::string>{"depthwise_kernel", "pointwise_kernel", "bias"}));
  EXPECT_EQ(weight_shapes(separable), (std::vector<Shape>{{3, 3, 3, 2}, {1, 1, 6, 7}, {7}}));
}

TEST(ConvVariables, AutoNamesAreKerasSnakeCase) {
  keras::clear_session();
  EXPECT_EQ(L::Conv2DTranspose(2, 3)->name(), "conv2d_transpose");
  EXPECT_EQ(L::Conv2DTranspose(2, 3)->name(), "conv2d_transpose_1");
  EXPECT_EQ(L::DepthwiseConv1D(3)->name(), "depthwise_conv1d");
  EXPECT_EQ(L::SeparableConv2D(2, 3)->name(), "separable_conv2d");
  EXPECT_EQ(L::Conv3D(2, 3)->name(), "conv3d");
}

// ------------------------------------------------------ hand-checked values

TEST(ConvValues, Conv1DValid) {
  L::Conv1D conv(1, 2);
  build_with_weights(conv, {1, 4, 1}, {Tensor::from_vector({2, 1, 1}, {1, -1}), Tensor::from_vector({1}, {0.5F})});
  expect_values(run(conv, Tensor::from_vector({1, 4, 1}, {1, 2, 4, 8})), {1, 3, 1}, {-0.5F, -1.5F, -3.5F});
}

TEST(ConvValues, Conv1DCausalLooksOnlyBackwards) {
  // Taps: w0 at t - dilation, w1 at t.
  L::Conv1D causal(1, 2, {.padding = "causal", .use_bias = false});
  build_with_weights(causal, {1, 4, 1}, {Tensor::from_vector({2, 1, 1}, {1, 10})});
  const Tensor x = Tensor::from_vector({1, 4, 1}, {1, 2, 3, 4});
  expect_values(run(causal, x), {1, 4, 1}, {10, 21, 32, 43});

  L::Conv1D dilated(1, 2, {.padding = "causal", .dilation_rate = {2}, .use_bias = false});
  build_with_weights(dilated, {1, 4, 1}, {Tensor::from_vector({2, 1, 1}, {1, 10})});
  expect_values(run(dilated, x), {1, 4, 1}, {10, 20, 31, 42});

  // channels_first gives the same numbers in its own layout.
  L::Conv1D first(1, 2, {.padding = "causal", .data_format = "channels_first", .use_bias = false});
  build_with_weights(first, {1, 1, 4}, {Tensor::from_vector({2, 1, 1}, {1, 10})});
  expect_values(run(first, Tensor::from_vector({1, 1, 4}, {1, 2, 3, 4})), {1, 1, 4}, {10, 21, 32, 43});
}

TEST(ConvValues, Conv1DSameWithStridePadsEvenly) {
  // Length 5, kernel 3, stride 2: 3 outputs, one zero on each side.
  L::Conv1D conv(1, 3, {.strides = {2}, .padding = "same", .use_bias = false});
  build_with_weights(conv, {1, 5, 1}, {Tensor::from_vector({3, 1, 1}, {1, 1, 1})});
  expect_values(run(conv, Tensor::from_vector({1, 5, 1}, {1, 2, 3, 4, 5})), {1, 3, 1}, {3, 9, 9});
}

TEST(ConvValues, GroupsConvolveChannelHalvesSeparately) {
  // 1x1 kernel [1, 1, 2, 4]: K[c', f] = (f + 1) * (c' + 1); filter f reads channels 2g, 2g+1 with g = f / 2.
  std::vector<float> k;
  for (int c = 0; c < 2; ++c)
    for (int f = 0; f < 4; ++f) k.push_back(static_cast<float>((f + 1) * (c + 1)));
  L::Conv2D conv(4, 1, {.groups = 2, .use_bias = false});
  build_with_weights(conv, {1, 1, 1, 4}, {Tensor::from_vector({1, 1, 2, 4}, k)});
  expect_values(run(conv, Tensor::from_vector({1, 1, 1, 4}, {1, 2, 3, 4})), {1, 1, 1, 4}, {5, 10, 33, 44});
}

TEST(ConvValues, ChannelsFirstIsTheTransposedChannelsLast) {
  keras::random::set_seed(3);
  const Tensor kernel = keras::random::uniform({3, 2, 3, 5}, -1, 1);
  const Tensor bias = keras::random::uniform({5}, -1, 1);
  const Tensor x_last = keras::random::uniform({2, 6, 7, 3}, -1, 1);
  const Tensor x_first = keras::kernels::transpose(x_last, {0, 3, 1, 2});

  L::Conv2D last(5, {3, 2}, {.strides = {2, 1}, .padding = "same"});
  build_with_weights(last, x_last.shape(), {kernel, bias});
  const Tensor y_last = run(last, x_last);

  // Softmax runs on Keras' last axis: the width for channels_first.
  L::Conv2D first(5, {3, 2},
                  {.strides = {2, 1}, .padding = "same", .data_format = "channels_first", .activation = "softmax"});
  build_with_weights(first, x_first.shape(), {kernel, bias});
  const Tensor y_first = run(first, x_first);
  const Tensor expected = keras::kernels::softmax(keras::kernels::transpose(y_last, {0, 3, 1, 2}), -1);
  ASSERT_EQ(y_first.shape(), (Shape{2, 5, 3, 7}));
  EXPECT_TRUE(keras::allclose(y_first, expected, 1e-5, 1e-6)) << keras::max_abs_diff(y_first, expected);
}

TEST(ConvValues, TransposedConvolutionScattersTheKernel) {
  // y[i * stride + k] += x[i] * w[k].
  const Tensor x = Tensor::from_vector({1, 2, 1}, {1, 2});
  L::Conv1DTranspose stride2(1, 2, {.strides = {2}, .use_bias = false});
  build_with_weights(stride2, {1, 2, 1}, {Tensor::from_vector({2, 1, 1}, {1, 10})});
  expect_values(run(stride2, x), {1, 4, 1}, {1, 10, 2, 20});

  L::Conv1DTranspose stride1(1, 2, {.activation = "relu"});
  build_with_weights(stride1, {1, 2, 1}, {Tensor::from_vector({2, 1, 1}, {1, 10}), Tensor::from_vector({1}, {-11.5F})});
  expect_values(run(stride1, x), {1, 3, 1}, {0, 0.5F, 8.5F});

  // output_padding adds one more row on the right, which only gets the bias.
  L::Conv1DTranspose padded(1, 2, {.strides = {2}, .output_padding = {1}});
  build_with_weights(padded, {1, 2, 1}, {Tensor::from_vector({2, 1, 1}, {1, 10}), Tensor::from_vector({1}, {0.5F})});
  expect_values(run(padded, x), {1, 5, 1}, {1.5F, 10.5F, 2.5F, 20.5F, 0.5F});
}

TEST(ConvValues, TransposedOutputShapesFollowKeras) {
  auto out = [](const keras::LayerRef& layer, const Shape& in) { return layer->compute_output_shape(in); };
  const Shape in{-1, 5, 6, 3};
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.strides = {2}}), in), (Shape{-1, 11, 13, 2}));
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.strides = {2}, .padding = "same"}), in), (Shape{-1, 10, 12, 2}));
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.strides = {2}, .output_padding = {1}}), in), (Shape{-1, 12, 14, 2}));
  // same + output_padding: (in - 1) * s + k % 2 + output_padding.
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.strides = {2}, .padding = "same", .output_padding = {1, 0}}), in),
            (Shape{-1, 10, 11, 2}));
  // valid with stride > kernel: (in - 1) * s + max(k, s).
  EXPECT_EQ(out(L::Conv2DTranspose(2, 2, {.strides = {3}}), in), (Shape{-1, 15, 18, 2}));
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.dilation_rate = {2}}), in), (Shape{-1, 9, 10, 2}));
  EXPECT_EQ(out(L::Conv2DTranspose(2, 3, {.strides = {2}, .data_format = "channels_first"}), Shape{-1, 3, 5, -1}),
            (Shape{-1, 2, 11, -1}));
}

TEST(ConvValues, ConvOutputShapesFollowKeras) {
  auto out = [](const keras::LayerRef& layer, const Shape& in) { return layer->compute_output_shape(in); };
  EXPECT_EQ(out(L::Conv1D(4, 3, {.strides = {2}, .padding = "causal"}), {-1, 9, 2}), (Shape{-1, 5, 4}));
  EXPECT_EQ(out(L::Conv2D(4, 3, {.dilation_rate = {2}}), {-1, 9, -1, 2}), (Shape{-1, 5, -1, 4}));
  EXPECT_EQ(out(L::Conv3D(4, 2, {.strides = {3}, .padding = "same", .data_format = "channels_first"}), {2, 2, 7, 6, 1}),
            (Shape{2, 4, 3, 2, 1}));
  EXPECT_EQ(out(L::DepthwiseConv2D(3, {.depth_multiplier = 3}), {-1, 5, 5, 2}), (Shape{-1, 3, 3, 6}));
  EXPECT_EQ(out(L::SeparableConv1D(7, 3, {.padding = "same"}), {-1, 5, 2}), (Shape{-1, 5, 7}));
}

TEST(ConvValues, DepthwiseOutputChannelIsChannelTimesMultiplierPlusM) {
  L::DepthwiseConv1D conv(1, {.depth_multiplier = 2});
  build_with_weights(conv, {1, 1, 2},
                     {Tensor::from_vector({1, 2, 2}, {1, 2, 3, 4}), Tensor::from_vector({4}, {0, 0, 0, 0.5F})});
  expect_values(run(conv, Tensor::from_vector({1, 1, 2}, {10, 100})), {1, 1, 4}, {10, 20, 300, 400.5F});
}

TEST(ConvValues, SeparableIsDepthwiseThenPointwise) {
  L::SeparableConv1D conv(2, 1);
  build_with_weights(conv, {1, 1, 2},
                     {Tensor::from_vector({1, 2, 1}, {2, 3}), Tensor::from_vector({1, 2, 2}, {1, -1, 1, 2}),
                      Tensor::from_vector({2}, {0.5F, 0})});
  // depthwise: [2 * 1, 3 * 10] = [2, 30]; pointwise: [2 + 30, -2 + 60] + bias.
  expect_values(run(conv, Tensor::from_vector({1, 1, 2}, {1, 10})), {1, 1, 2}, {32.5F, 58});
}

TEST(ConvValues, MixedPrecisionComputesInFloat16) {
  keras::random::set_seed(5);
  L::Conv2D half(3, 3, {.padding = "same", .name = "half", .dtype = "mixed_float16"});
  L::Conv2D full(3, 3, {.padding = "same"});
  half->build_for({{1, 5, 5, 2}});
  build_with_weights(full, {1, 5, 5, 2}, {half->weights()[0]->value(), half->weights()[1]->value()});
  EXPECT_EQ(half->weights()[0]->dtype(), keras::DType::float32);
  const Tensor x = keras::random::uniform({1, 5, 5, 2}, -1, 1);
  const Tensor y = run(half, x.astype(keras::DType::float16));
  EXPECT_EQ(y.dtype(), keras::DType::float16);
  EXPECT_TRUE(keras::allclose(y.astype(keras::DType::float32), run(full, x), 1e-2, 1e-2));
}

// ------------------------------------------------------------------ errors

TEST(ConvErrors, InvalidArgumentsAreRejectedLikeKeras) {
  EXPECT_THROW(L::Conv2D(5, 3, {.groups = 2}), keras::ValueError);            // filters % groups
  EXPECT_THROW(L::Conv2D(0, 3), keras::ValueError);                           // filters <= 0
  EXPECT_THROW(L::Conv2D(4, {3, 0}), keras::ValueError);                      // kernel_size 0
  EXPECT_THROW(L::Conv2D(4, {3, 3, 3}), keras::ValueError);                   // wrong length
  EXPECT_THROW(L::Conv2D(4, 3, {.padding = "causal"}), keras::ValueError);    // causal is 1-D only
  EXPECT_THROW(L::Conv2D(4, 3, {.data_format = "nhwc"}), keras::ValueError);  // bad data_format
  EXPECT_THROW(L::Conv2D(4, 3, {.strides = {2}, .dilation_rate = {2}}), keras::ValueError);
  EXPECT_THROW(L::Conv2D(4, 3, {.activation = "no_such_activation"}), keras::UnknownObjectError);
  EXPECT_THROW(L::Conv2DTranspose(4, 3, {.strides = {2}, .output_padding = {2}}), keras::ValueError);
  EXPECT_THROW(L::Conv1DTranspose(4, 3, {.padding = "causal"}), keras::ValueError);
  EXPECT_THROW(L::DepthwiseConv2D(3, {.depth_multiplier = 0}), keras::ValueError);
  EXPECT_THROW(L::SeparableConv2D(4, 3, {.padding = "causal"}), keras::ValueError);
}

TEST(ConvErrors, BadInputsAreRejected) {
  // Input channels not divisible by groups.
  L::Conv2D grouped(4, 3, {.groups = 2});
  EXPECT_THROW(build_on(grouped, {8, 8, 3}), keras::ValueError);
  // A "valid" kernel larger than the input.
  L::Conv2D big(4, 5);
  EXPECT_THROW(build_on(big, {4, 8, 3}), keras::ValueError);
  // Unknown channel count.
  L::Conv1D unknown(4, 3);
  EXPECT_THROW(build_on(unknown, {8, -1}), keras::ValueError);
  // Wrong rank.
  L::Conv2D rank(4, 3);
  EXPECT_THROW(build_on(rank, {8, 3}), keras::ValueError);
  // Channels other than the built ones.
  L::Conv2D built(4, 3);
  built->build_for({{1, 5, 5, 2}});
  EXPECT_THROW(run(built, Tensor::zeros({1, 5, 5, 3})), keras::ShapeMismatchError);
}

// --------------------------------------------------------- save and reload

TEST(ConvSaving, ModelWithEveryConvolutionRoundTrips) {
  keras::random::set_seed(11);
  auto seq = keras::Input({10, 3});
  auto a = L::Conv1D(4, 3,
                     {.padding = "causal",
                      .dilation_rate = {2},
                      .activation = "tanh",
                      .kernel_regularizer = keras::regularizers::L2(0.01)})(seq);
  a = L::SeparableConv1D(6, 3, {.strides = {2}, .padding = "same", .depth_multiplier = 2})(a);
  a = L::DepthwiseConv1D(2, {.data_format = "channels_first"})(a);
  a = L::Conv1DTranspose(2, 3, {.strides = {2}, .output_padding = {1}, .bias_constraint = "non_neg"})(a);

  auto image = keras::Input({3, 8, 9});
  auto b =
      L::Conv2D(4, 3, {.padding = "same", .data_format = "channels_first", .groups = 1, .activation = "relu"})(image);
  b = L::DepthwiseConv2D({3, 2}, {.strides = {2}, .depth_multiplier = 2, .data_format = "channels_first"})(b);
  b = L::SeparableConv2D(5, 2, {.data_format = "channels_first", .dilation_rate = {2}})(b);
  b = L::Conv2DTranspose(3, 3, {.strides = {2}, .padding = "same", .data_format = "channels_first"})(b);

  auto volume = keras::Input({4, 5, 6, 2});
  auto c = L::Conv3D(4, 2, {.groups = 2, .use_bias = false})(volume);
  c = L::Conv3DTranspose(2, 2, {.strides = {2}, .padding = "same", .dilation_rate = {1}})(c);

  keras::Model model({seq, image, volume}, {a, b, c});
  const std::vector<Tensor> inputs{keras::random::uniform({2, 10, 3}), keras::random::uniform({2, 3, 8, 9}),
                                   keras::random::uniform({2, 4, 5, 6, 2})};
  const auto expected = model.predict(inputs);

  keras_test::TempDir dir;
  keras::save_model(model, dir / "convs.keras");
  auto loaded = keras::load_model(dir / "convs.keras");
  const auto actual = loaded.predict(inputs);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].shape(), expected[i].shape());
    EXPECT_TRUE(keras::allclose(actual[i], expected[i], 0, 0)) << "output " << i;
  }
  EXPECT_EQ(keras::dump_json_like_python(keras::saving::serialize_operation(loaded.impl())),
            keras::dump_json_like_python(keras::saving::serialize_operation(model.impl())));
}

}  // namespace
