// Core (EinsumDense, Embedding, Identity, Masking), activation and
// regularization layers: Keras' fixtures, configs equal to Keras', and
// hand-checked values.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "keras/ops.hpp"
#include "layers/core/einsum_dense.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::KerasTensor;
using keras::Shape;
using keras::Tensor;
namespace L = keras::layers;

// Runs `layer` on x through a one-layer Functional model (input shape = x's without the batch).
Tensor predict_one(const keras::LayerRef& layer, const Tensor& x, keras::DType input_dtype = keras::DType::float32) {
  Shape shape(x.shape().begin() + 1, x.shape().end());
  KerasTensor in = keras::Input(shape, {.dtype = keras::dtype_name(input_dtype)});
  keras::Model model(in, layer(in));
  return model.predict(x).front();
}

void expect_values(const Tensor& actual, const Shape& shape, const std::vector<float>& expected, double tol = 1e-6) {
  ASSERT_EQ(keras::shape_to_string(actual.shape()), keras::shape_to_string(shape));
  Tensor want = Tensor::from_vector(shape, expected);
  EXPECT_TRUE(keras::allclose(actual.astype(keras::DType::float32), want, tol, tol))
      << "max diff " << keras::max_abs_diff(actual.astype(keras::DType::float32), want);
}

void set_weights(const keras::LayerRef& layer, const std::vector<Tensor>& weights) {
  auto vars = layer->weights();
  ASSERT_EQ(vars.size(), weights.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(weights[i]);
}

// The node that produced a symbolic tensor.
const keras::Node& producer(const KerasTensor& t) { return *t.node(); }

// ----------------------------------------------------------------- fixtures

TEST(CoreFixtures, ActivationLayers) { keras_test::expect_fixture_matches("activation_layers"); }
TEST(CoreFixtures, Embedding) { keras_test::expect_fixture_matches("embedding"); }
TEST(CoreFixtures, EinsumDense) { keras_test::expect_fixture_matches("einsum_dense"); }
TEST(CoreFixtures, InferenceNoops) { keras_test::expect_fixture_matches("inference_noops"); }
// Masking and Embedding(mask_zero) feeding recurrent layers (also needs LSTM/GRU/Bidirectional).
TEST(CoreFixtures, MaskingRnn) { keras_test::expect_fixture_matches("masking_rnn"); }
TEST(CoreFixtures, EmbeddingMaskRnn) { keras_test::expect_fixture_matches("embedding_mask_rnn"); }
TEST(CoreFixtures, MaskingMore) { keras_test::expect_fixture_matches("masking_more"); }

// ------------------------------------------------- models built in C++ = Keras'

TEST(CoreConfig, ActivationLayersModelMatchesKeras) {
  keras::clear_session();
  KerasTensor x = keras::Input({4, 5}, {.name = "input_layer_3"});
  std::vector<KerasTensor> outputs = {
      L::ReLU({.max_value = 0.8, .negative_slope = 0.1, .threshold = 0.2, .name = "re_lu"})(x),
      L::LeakyReLU({.negative_slope = 0.2, .name = "leaky_re_lu"})(x),
      L::PReLU({.name = "p_re_lu"})(x),
      L::PReLU({.shared_axes = std::vector<int>{1}, .name = "p_re_lu_1"})(x),
      L::ELU({.alpha = 0.5, .name = "elu"})(x),
      L::Softmax({.axis = 1, .name = "softmax_1"})(x),
      L::Activation("gelu", {.name = "activation"})(x)};
  keras::Model model({x}, outputs, "functional_5");
  keras_test::expect_model_config_matches_fixture(model, "activation_layers");
}

TEST(CoreConfig, EinsumDenseModelMatchesKeras) {
  KerasTensor x = keras::Input({4, 6}, {.name = "input_layer_5"});
  KerasTensor a = L::EinsumDense("abc,cd->abd", Shape{-1, 8}, {.bias_axes = "d", .name = "einsum_dense"})(x);
  KerasTensor b = L::EinsumDense("abc,cde->abde", Shape{-1, 2, 3},
                                 {.activation = "relu", .bias_axes = "de", .name = "einsum_dense_1"})(x);
  keras::Model model({x}, {a, b}, "functional_7");
  keras_test::expect_model_config_matches_fixture(model, "einsum_dense");
}

TEST(CoreConfig, InferenceNoopsModelMatchesKeras) {
  KerasTensor x = keras::Input({6, 4}, {.name = "input_layer_6"});
  KerasTensor y = L::Dropout(0.5, {.name = "dropout"})(x);
  y = L::GaussianNoise(0.3, {.name = "gaussian_noise"})(y);
  y = L::GaussianDropout(0.3, {.name = "gaussian_dropout"})(y);
  y = L::SpatialDropout1D(0.3, {.name = "spatial_dropout1d"})(y);
  y = L::AlphaDropout(0.2, {.name = "alpha_dropout"})(y);
  y = L::ActivityRegularization({.l1 = 0.1, .name = "activity_regularization"})(y);
  y = L::Identity({.name = "identity"})(y);
  y = L::Dense(3, {.name = "dense_3"})(y);
  keras::Model model(x, y, "functional_8");
  keras_test::expect_model_config_matches_fixture(model, "inference_noops");
}

TEST(CoreConfig, EmbeddingMatchesKeras) {
  L::Embedding embedding(50, 8, {.name = "embedding"});
  (void)embedding(keras::Input({7}, {.dtype = "int32"}));
  keras_test::expect_config_matches_fixture(embedding, "embedding", "embedding");
  L::Embedding masked(20, 6, {.mask_zero = true, .name = "embedding_1"});
  (void)masked(keras::Input({7}, {.dtype = "int32"}));
  keras_test::expect_config_matches_fixture(masked, "embedding_mask_rnn", "embedding_1");
}

// Masking builds NotEqual(x, 0.0) and Any(axis=-1) nodes exactly as Keras records them.
TEST(CoreConfig, MaskingModelMatchesKeras) {
  keras::clear_session();
  KerasTensor x = keras::Input({6, 3}, {.name = "input_layer_14"});
  KerasTensor masked = L::Masking({.name = "masking"})(x);
  KerasTensor a = L::LSTM(4, {.name = "lstm_5"})(masked);
  KerasTensor b = L::GRU(4, {.return_sequences = true, .name = "gru_4"})(masked);
  keras::Model model({x}, {a, b}, "functional_22");
  keras_test::expect_model_config_matches_fixture(model, "masking_rnn");
}

// ----------------------------------------------------------------- EinsumDense

TEST(EinsumDense, AnalyzesShapesAsKeras) {
  using keras::detail::analyze_einsum_string;
  auto a = analyze_einsum_string("abc,cde->abde", "de", {-1, 4, 6}, {-1, 2, 3});
  EXPECT_EQ(a.kernel_shape, (Shape{6, 2, 3}));
  EXPECT_EQ(*a.bias_shape, (Shape{2, 3}));
  // Like Keras, an output dimension given as None stays unknown even where the input knows it.
  EXPECT_EQ(a.full_output_shape, (Shape{-1, -1, 2, 3}));
  EXPECT_EQ(a.input_axes, (std::vector<int>{0}));
  EXPECT_EQ(a.output_axes, (std::vector<int>{1, 2}));
  // Bias on a middle axis keeps the trailing axes as 1.
  auto b = analyze_einsum_string("abc,cd->abd", "b", {-1, 4, 6}, {4, 8});
  EXPECT_EQ(*b.bias_shape, (Shape{4, 1}));
  // Left ellipsis: any number of leading axes.
  auto c = analyze_einsum_string("...b,bc->...c", "c", {-1, 5, 7, 3}, {9});
  EXPECT_EQ(c.kernel_shape, (Shape{3, 9}));
  EXPECT_EQ(*c.bias_shape, (Shape{9}));
  // Keras inserts the elided axes one by one at position 1, reversing them.
  EXPECT_EQ(c.full_output_shape, (Shape{-1, 7, 5, 9}));
  // Right ellipsis: trailing axes are appended to the output and to the bias.
  auto d = analyze_einsum_string("ab...,bc->ac...", "c", {-1, 3, 5}, {4});
  EXPECT_EQ(d.kernel_shape, (Shape{3, 4}));
  EXPECT_EQ(*d.bias_shape, (Shape{4, 1}));
  EXPECT_EQ(d.full_output_shape, (Shape{-1, 4, 5}));
  EXPECT_FALSE(analyze_einsum_string("ab,bc->ac", std::nullopt, {-1, 3}, {4}).bias_shape.has_value());
}

TEST(EinsumDense, RejectsBadEquationsAndShapes) {
  using keras::detail::analyze_einsum_string;
  EXPECT_THROW(analyze_einsum_string("ab->b", std::nullopt, {-1, 3}, {3}), keras::ValueError);
  EXPECT_THROW(analyze_einsum_string("ab,bc->ac", "x", {-1, 3}, {4}), keras::ValueError);
  EXPECT_THROW(analyze_einsum_string("abc,cd->abd", std::nullopt, {-1, 4, 6}, {5, 8}), keras::ValueError);
  EXPECT_THROW(analyze_einsum_string("ab,bz->ay", std::nullopt, {-1, 3}, {4}), keras::ValueError);
  EXPECT_THROW(L::EinsumDense("ab,bc->ac", 4)(keras::Input({-1})), keras::ValueError);
}

TEST(EinsumDense, ComputesEinsumPlusBias) {
  L::EinsumDense layer("abc,cd->abd", Shape{-1, 2}, {.bias_axes = "d"});
  layer->build_for({{-1, 2, 3}});
  ASSERT_EQ(layer->weights().size(), 2U);
  EXPECT_EQ(layer->weights()[0]->name(), "kernel");
  EXPECT_EQ(layer->weights()[1]->name(), "bias");
  set_weights(layer, {Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1}), Tensor::from_vector({2}, {10, 20})});
  Tensor x = Tensor::from_vector({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  // Row [1, 2, 3]: [1 + 3, 2 + 3] + bias.
  expect_values(layer->forward(x, false), {1, 2, 2}, {14, 25, 20, 31});
}

TEST(EinsumDense, EllipsisEquationsRun) {
  L::EinsumDense left("...b,bc->...c", 2, {.bias_axes = "c"});
  left->build_for({{-1, 2, 3}});
  set_weights(left, {Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1}), Tensor::from_vector({2}, {0, 100})});
  expect_values(left->forward(Tensor::from_vector({1, 2, 3}, {1, 2, 3, 4, 5, 6}), false), {1, 2, 2}, {4, 105, 10, 111});
  // Right ellipsis: the trailing axes are carried along; the bias broadcasts over them.
  L::EinsumDense right("ab...,bc->ac...", 2, {.bias_axes = "c"});
  right->build_for({{-1, 3, 2}});
  EXPECT_EQ(right->weights()[1]->shape(), (Shape{2, 1}));
  set_weights(right, {Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1}), Tensor::from_vector({2, 1}, {0, 100})});
  // x[b, t] = [[1, 2], [3, 4], [5, 6]]: out[c, t] = sum_b x[b, t] * k[b, c] + bias[c].
  expect_values(right->forward(Tensor::from_vector({1, 3, 2}, {1, 2, 3, 4, 5, 6}), false), {1, 2, 2}, {6, 8, 108, 110});
}

TEST(EinsumDense, GlorotFansUseTheEquationsAxes) {
  // Kernel "cde" = [6, 2, 3]: fan_in 6, fan_out 6, so the uniform limit is sqrt(6 / 6) = 1.
  L::EinsumDense layer("abc,cde->abde", Shape{-1, 2, 3}, {.kernel_initializer = keras::initializers::GlorotUniform()});
  layer->build_for({{-1, 4, 6}});
  Tensor kernel = layer->weights()[0]->value();
  float max_abs = 0.0F;
  for (float v : kernel.to_vector()) max_abs = std::max(max_abs, std::abs(v));
  EXPECT_LE(max_abs, 1.0F);
  // The conv-style fans Keras would use without the axes give a limit of sqrt(6 / 30) ~ 0.45;
  // with 36 draws, at least one lies above it with overwhelming probability.
  EXPECT_GT(max_abs, 0.45F);
}

// ----------------------------------------------------------------- Embedding / Masking / Identity

TEST(Embedding, LooksUpRowsForAnyIntegerDtype) {
  L::Embedding layer(4, 2);
  layer->build_for({{-1, 3}});
  set_weights(layer, {Tensor::from_vector({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31})});
  Tensor ids = Tensor::from_vector_i64({1, 3}, {3, 0, 2}, keras::DType::int32);
  expect_values(predict_one(layer, ids, keras::DType::int32), {1, 3, 2}, {30, 31, 0, 1, 20, 21});
  Tensor float_ids = Tensor::from_vector({1, 2}, {1.0F, 2.0F});
  expect_values(layer->forward(float_ids, false), {1, 2, 2}, {10, 11, 20, 21});
  EXPECT_THROW(L::Embedding(0, 2), keras::ValueError);
}

TEST(Embedding, MaskZeroRecordsNotEqualWithTheIntZero) {
  KerasTensor ids = keras::Input({5}, {.dtype = "int32"});
  KerasTensor y = L::Embedding(10, 3, {.mask_zero = true})(ids);
  auto mask = y.keras_mask();
  ASSERT_TRUE(mask.has_value());
  const keras::Node& node = producer(*mask);
  EXPECT_EQ(node.operation->class_name(), "NotEqual");
  EXPECT_EQ(node.operation->module(), "keras.src.ops.numpy");
  ASSERT_EQ(node.args.size(), 2U);
  EXPECT_TRUE(node.args[1].is_number_integer());
  EXPECT_EQ(node.args[1].get<int>(), 0);
  EXPECT_EQ(mask->shape(), (Shape{-1, 5}));
  EXPECT_EQ(mask->dtype(), keras::DType::bool_);
  // Without mask_zero there is no mask.
  EXPECT_FALSE(L::Embedding(10, 3)(ids).keras_mask().has_value());
}

TEST(Masking, ZeroesMaskedTimestepsAndRecordsAnyOfNotEqual) {
  KerasTensor x = keras::Input({3, 2});
  KerasTensor y = L::Masking({.mask_value = 0.5})(x);
  auto mask = y.keras_mask();
  ASSERT_TRUE(mask.has_value());
  const keras::Node& any = producer(*mask);
  EXPECT_EQ(any.operation->class_name(), "Any");
  EXPECT_EQ(any.operation->get_config().at("axis"), -1);
  EXPECT_EQ(any.operation->get_config().at("keepdims"), false);
  const keras::Node& not_equal = producer(any.inputs.at(0));
  EXPECT_EQ(not_equal.operation->class_name(), "NotEqual");
  EXPECT_TRUE(not_equal.args[1].is_number_float());
  EXPECT_EQ(not_equal.args[1].get<double>(), 0.5);
  EXPECT_EQ(mask->shape(), (Shape{-1, 3}));

  Tensor in = Tensor::from_vector({1, 3, 2}, {1, 2, 0.5F, 0.5F, 0.5F, 3});
  expect_values(predict_one(L::Masking({.mask_value = 0.5}), in), {1, 3, 2}, {1, 2, 0, 0, 0.5F, 3});
}

TEST(Identity, PassesValuesMasksAndDtypes) {
  L::Identity identity;
  EXPECT_FALSE(identity->build_config().has_value());
  Tensor ids = Tensor::from_vector_i64({1, 2}, {4, 5}, keras::DType::int32);
  Tensor out = predict_one(identity, ids, keras::DType::int32);
  EXPECT_EQ(out.dtype(), keras::DType::int32);
  EXPECT_EQ(out.to_vector_i64(), (std::vector<std::int64_t>{4, 5}));
  KerasTensor x = keras::Input({3, 2});
  KerasTensor y = L::Identity()(L::Masking()(x));
  EXPECT_TRUE(y.keras_mask().has_value());
}

// ----------------------------------------------------------------- activations

TEST(ActivationLayers, ReLUWithAllOptions) {
  L::ReLU relu({.max_value = 0.8, .negative_slope = 0.1, .threshold = 0.2});
  Tensor x = Tensor::from_vector({1, 5}, {-2.0F, -0.5F, 0.1F, 0.3F, 1.0F});
  // negative_slope * (x - threshold) below the threshold, clipped at max_value.
  expect_values(relu->forward(x, false), {1, 5}, {-0.22F, -0.07F, -0.01F, 0.3F, 0.8F});
  EXPECT_THROW(L::ReLU({.max_value = -1.0}), keras::ValueError);
  EXPECT_THROW(L::ReLU({.threshold = -1.0}), keras::ValueError);
}

TEST(ActivationLayers, LeakyReLUAndELU) {
  Tensor x = Tensor::from_vector({1, 3}, {-2.0F, 0.0F, 3.0F});
  expect_values(L::LeakyReLU()->forward(x, false), {1, 3}, {-0.6F, 0.0F, 3.0F});
  expect_values(L::ELU({.alpha = 0.5})->forward(x, false), {1, 3},
                {static_cast<float>(0.5 * std::expm1(-2.0)), 0.0F, 3.0F});
  expect_values(L::ELU()->forward(x, false), {1, 3}, {static_cast<float>(std::expm1(-2.0)), 0.0F, 3.0F});
  EXPECT_THROW(L::LeakyReLU({.negative_slope = -0.1}), keras::ValueError);
}

TEST(ActivationLayers, ELUConfigHasAlphaOnlyWhenGiven) {
  keras::Json plain = L::ELU({.name = "e"})->get_config();
  EXPECT_FALSE(plain.contains("alpha"));
  keras::Json with_alpha = L::ELU({.alpha = 0.5, .name = "e"})->get_config();
  std::vector<std::string> keys;
  for (const auto& [key, value] : with_alpha.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "alpha", "trainable", "dtype"}));
}

TEST(ActivationLayers, ConfigNumbersKeepTheirJsonType) {
  // A Keras file written with ReLU(max_value=6) keeps the int 6.
  auto layer = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "ReLU", "config": {"name": "r", "max_value": 6, "negative_slope": 0.0, "threshold": 0.0}, "registered_name": null})"));
  EXPECT_TRUE(layer->get_config().at("max_value").is_number_integer());
  // A Keras 2 LeakyReLU config with `alpha`.
  auto leaky = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "LeakyReLU", "config": {"name": "l", "alpha": 0.1}, "registered_name": null})"));
  EXPECT_EQ(leaky->get_config().at("negative_slope").get<double>(), 0.1);
}

TEST(ActivationLayers, PReLUSharedAxes) {
  L::PReLU prelu({.shared_axes = std::vector<int>{1}});
  prelu->build_for({{-1, 2, 3}});
  ASSERT_EQ(prelu->weights().size(), 1U);
  EXPECT_EQ(prelu->weights()[0]->shape(), (Shape{1, 3}));
  set_weights(prelu, {Tensor::from_vector({1, 3}, {0.1F, 0.2F, 0.3F})});
  Tensor x = Tensor::from_vector({1, 2, 3}, {-1, -1, -1, 2, -2, 2});
  expect_values(prelu->forward(x, false), {1, 2, 3}, {-0.1F, -0.2F, -0.3F, 2.0F, -0.4F, 2.0F});
  L::PReLU full;
  full->build_for({{-1, 2, 3}});
  EXPECT_EQ(full->weights()[0]->shape(), (Shape{2, 3}));
  EXPECT_THROW(L::PReLU()->build_for({{-1, -1, 3}}), keras::ValueError);
}

TEST(ActivationLayers, SoftmaxMaskGivesZeroProbability) {
  KerasTensor x = keras::Input({3});
  KerasTensor m = keras::Input({3}, {.dtype = "bool"});
  KerasTensor y = L::Softmax().call({x}, {{"mask", m}}).front();
  keras::Model model({x, m}, {y});
  Tensor logits = Tensor::from_vector({1, 3}, {1.0F, 2.0F, 3.0F});
  Tensor mask = Tensor::from_vector_i64({1, 3}, {1, 0, 1}, keras::DType::bool_);
  const double e = std::exp(2.0);  // exp(3 - 1)
  expect_values(model.predict({logits, mask}).front(), {1, 3},
                {static_cast<float>(1.0 / (1.0 + e)), 0.0F, static_cast<float>(e / (1.0 + e))});
}

TEST(ActivationLayers, SoftmaxOverSeveralAxes) {
  auto layer = keras::saving::deserialize_layer(keras::Json::parse(
      R"({"module": "keras.layers", "class_name": "Softmax", "config": {"name": "s", "axis": [1, 2]}, "registered_name": null})"));
  EXPECT_EQ(layer->get_config().at("axis"), keras::Json::parse("[1, 2]"));
  Tensor x = Tensor::from_vector({1, 2, 2}, {0, 0, 0, 0});
  expect_values(predict_one(keras::LayerRef(layer), x), {1, 2, 2}, {0.25F, 0.25F, 0.25F, 0.25F});
}

// ----------------------------------------------------------------- regularization

TEST(Regularization, IdentitiesAtInference) {
  Tensor x = Tensor::from_vector({1, 2, 2}, {1, -2, 3, -4});
  for (const keras::LayerRef& layer :
       {keras::LayerRef(L::Dropout(0.5)), keras::LayerRef(L::GaussianNoise(0.3)),
        keras::LayerRef(L::GaussianDropout(0.3)), keras::LayerRef(L::SpatialDropout1D(0.3)),
        keras::LayerRef(L::AlphaDropout(0.2)), keras::LayerRef(L::ActivityRegularization({.l1 = 0.1}))}) {
    expect_values(predict_one(layer, x), {1, 2, 2}, {1, -2, 3, -4});
    EXPECT_FALSE(layer->build_config().has_value()) << layer->class_name();
  }
}

TEST(Regularization, DropoutInTrainingZeroesOrScales) {
  L::Dropout dropout(0.25, {.seed = 7});
  Tensor x = Tensor::full({200, 50}, 3.0F);
  Tensor y = dropout->forward(x, true);
  int zeros = 0;
  for (float v : y.to_vector()) {
    if (v == 0.0F)
      ++zeros;
    else
      EXPECT_FLOAT_EQ(v, 4.0F);  // 3 / (1 - 0.25)
  }
  EXPECT_NEAR(zeros / 10000.0, 0.25, 0.03);
  // noise_shape [-1, 1]: one draw per row.
  L::Dropout rows(0.5, {.noise_shape = Shape{-1, 1}});
  Tensor r = rows->forward(x, true);
  for (std::int64_t i = 0; i < 200; ++i) {
    for (std::int64_t j = 1; j < 50; ++j) EXPECT_EQ(r.data<float>()[i * 50 + j], r.data<float>()[i * 50]);
  }
  EXPECT_THROW(L::Dropout(1.5), keras::ValueError);
}

TEST(Regularization, SpatialDropoutDropsWholeChannels) {
  L::SpatialDropout1D layer(0.5);
  Tensor x = Tensor::full({20, 6, 8}, 1.0F);
  Tensor y = layer->forward(x, true);
  for (std::int64_t b = 0; b < 20; ++b) {
    for (std::int64_t c = 0; c < 8; ++c) {
      const float first = y.data<float>()[(b * 6) * 8 + c];
      for (std::int64_t t = 1; t < 6; ++t) EXPECT_EQ(y.data<float>()[(b * 6 + t) * 8 + c], first);
    }
  }
  EXPECT_THROW(predict_one(L::SpatialDropout2D(0.5), Tensor({1, 2, 2})), keras::ValueError);
}

TEST(Regularization, NoiseLayersInTraining) {
  Tensor x = Tensor::full({100, 100}, 2.0F);
  Tensor noisy = L::GaussianNoise(0.5)->forward(x, true);
  double sum = 0.0;
  double sq = 0.0;
  for (float v : noisy.to_vector()) {
    sum += v - 2.0;
    sq += (v - 2.0) * (v - 2.0);
  }
  EXPECT_NEAR(sum / 1e4, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(sq / 1e4), 0.5, 0.03);
  // AlphaDropout: dropped units become a * alpha_p + b.
  const double rate = 0.2;
  const double alpha_p = -1.6732632423543772 * 1.0507009873554805;
  const double a = std::pow((1 - rate) * (1 + rate * alpha_p * alpha_p), -0.5);
  const double b = -a * alpha_p * rate;
  Tensor y = L::AlphaDropout(rate)->forward(x, true);
  int dropped = 0;
  for (float v : y.to_vector()) {
    if (std::abs(v - (a * alpha_p + b)) < 1e-5)
      ++dropped;
    else
      EXPECT_NEAR(v, a * 2.0 + b, 1e-5);
  }
  EXPECT_NEAR(dropped / 1e4, rate, 0.03);
}

TEST(Regularization, ConfigsAsKerasWritesThem) {
  keras_test::expect_config_matches_fixture(L::SpatialDropout1D(0.3, {.name = "spatial_dropout1d"}), "inference_noops",
                                            "spatial_dropout1d");
  keras::Json spatial2d = L::SpatialDropout2D(0.1, {.data_format = "channels_first", .name = "s"})->get_config();
  EXPECT_EQ(keras::dump_json_like_python(spatial2d),
            R"({"rate": 0.1, "seed": null, "name": "s", "dtype": "float32", "data_format": "channels_first"})");
  keras::Json dropout = L::Dropout(0.5, {.noise_shape = Shape{-1, 1, 4}, .seed = 3, .name = "d"})->get_config();
  EXPECT_EQ(dropout.at("noise_shape"), keras::Json::parse("[null, 1, 4]"));
  EXPECT_EQ(dropout.at("seed"), 3);
  keras::Json reg = L::ActivityRegularization({.l1 = 0.1, .name = "a"})->get_config();
  EXPECT_FALSE(reg.contains("activity_regularizer"));
}

}  // namespace
