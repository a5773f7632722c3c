// SpectralNormalization, ReversibleEmbedding, StackedRNNCells and
// TernaryDense: the Keras fixture, C++-built configs, hand-computed math.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::DType;
using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

TEST(WrappersAndEmbeddingsFixture, MatchesKeras) { keras_test::expect_fixture_matches("wrappers_and_embeddings"); }

TEST(WrappersAndEmbeddingsFixture, CppBuiltModelHasKerasConfig) {
  keras::clear_session();
  auto seq = keras::Input({5, 7}, {.name = "seq"});
  auto ids = keras::Input({6}, {.name = "ids", .dtype = "int32"});
  auto image = layers::Reshape({5, 7, 1}, {.name = "reshape_1"})(seq);
  layers::ReversibleEmbedding embedding(20, 8, {.name = "reversible_embedding"});
  auto embedded = embedding(ids);
  auto logits = embedding.call({embedded}, {{"reverse", Json(true)}}).at(0);
  auto flat = layers::Flatten({.name = "flatten"})(seq);
  layers::SpectralNormalization conv(layers::Conv2D(3, {2, 2}, {.name = "conv2d_1"}),
                                     {.name = "spectral_normalization_1"});
  layers::SpectralNormalization dense(layers::Dense(5, {.name = "dense_1"}), {.name = "spectral_normalization"});
  auto pooled = layers::GlobalAveragePooling2D({.name = "global_average_pooling2d_1"})(conv(image));
  auto projected = dense(flat);
  layers::RNN rnn({layers::LSTMCell(6, {.name = "lstm_cell"}), layers::GRUCell(4, {.name = "gru_cell"})},
                  {.name = "rnn"});
  auto recurrent = rnn(seq);
  EXPECT_EQ(logits.shape(), (Shape{-1, 6, 20}));
  EXPECT_EQ(recurrent.shape(), (Shape{-1, 4}));
  keras_test::expect_config_matches_fixture(embedding, "wrappers_and_embeddings", "reversible_embedding");
  keras_test::expect_config_matches_fixture(conv, "wrappers_and_embeddings", "spectral_normalization_1");
  keras_test::expect_config_matches_fixture(dense, "wrappers_and_embeddings", "spectral_normalization");
  auto rnn_entry = keras_test::fixture_layer_entry("wrappers_and_embeddings", "rnn");
  auto ours = keras::saving::strip_shared_object_ids(keras::saving::serialize_operation(*rnn));
  // The stacked cells were auto-named by Keras ("stacked_rnn_cells"); compare everything else.
  ours["config"]["cell"]["config"]["name"] = rnn_entry["config"]["cell"]["config"]["name"];
  EXPECT_EQ(keras::dump_json_like_python(ours), keras::dump_json_like_python(rnn_entry));
  (void)pooled;
  (void)projected;
}

// --------------------------------------------------- SpectralNormalization

TEST(SpectralNormalization, SharesTheKernelAndAddsVectorU) {
  layers::SpectralNormalization sn(layers::Dense(3));
  auto input = keras::Input({4});
  (void)sn(input);
  auto own = sn->own_variables();
  ASSERT_EQ(own.size(), 2U);
  EXPECT_EQ(own[0]->name(), "kernel");
  EXPECT_EQ(own[1]->name(), "vector_u");
  EXPECT_EQ(own[1]->shape(), (Shape{1, 3}));
  EXPECT_FALSE(own[1]->trainable());
  // The shared kernel is listed once among the weights.
  EXPECT_EQ(sn->weights().size(), 3U);  // kernel, bias, vector_u
  EXPECT_EQ(sn->trainable_variables().size(), 2U);
}

TEST(SpectralNormalization, TrainingDividesByTheLargestSingularValue) {
  // kernel diag(3, 1): sigma = 3 (u starts near the first singular vector).
  layers::SpectralNormalization sn(layers::Dense(2, {.use_bias = false}), {.power_iterations = 5});
  auto input = keras::Input({2});
  keras::Model model(input, sn(input));
  auto vars = sn->own_variables();
  vars[0]->assign(Tensor::from_vector({2, 2}, {3, 0, 0, 1}));
  vars[1]->assign(Tensor::from_vector({1, 2}, {1.0F, 0.1F}));
  Tensor x = Tensor::from_vector({1, 2}, {1, 1});
  // Inference uses the kernel as it is.
  EXPECT_NEAR(model.predict(x).at(0).at(0), 3.0, 1e-5);
  keras::CallArgs args;
  args.args = Json::array({Json{{"__tensor__", 0}}});
  args.tensors = {x};
  args.training = true;
  Tensor y = sn->call(args).at(0);
  EXPECT_NEAR(y.at(0), 1.0, 1e-3);                 // 3 / 3
  EXPECT_NEAR(y.at(1), 1.0 / 3, 1e-3);             // 1 / 3
  EXPECT_NEAR(vars[0]->value().at(0), 1.0, 1e-3);  // the kernel was assigned
  EXPECT_NEAR(std::abs(vars[1]->value().at(0)), 1.0, 1e-3);
  EXPECT_THROW(layers::SpectralNormalization(layers::Dense(2), {.power_iterations = 0}), keras::ValueError);
  layers::SpectralNormalization no_kernel{layers::ReLU()};
  EXPECT_THROW((void)no_kernel(keras::Input({3})), keras::ValueError);
}

// ------------------------------------------------------ ReversibleEmbedding

TEST(ReversibleEmbedding, ReverseIsTheTransposedProjection) {
  layers::ReversibleEmbedding tied(3, 2);
  layers::ReversibleEmbedding untied(3, 2, {.tie_weights = false, .logit_soft_cap = 2.0});
  auto ids = keras::Input({1}, {.dtype = "int32"});
  auto vectors = keras::Input({2});
  keras::Model model({ids, vectors}, {tied(ids), tied.call({vectors}, {{"reverse", Json(true)}}).at(0),
                                      untied.call({vectors}, {{"reverse", Json(true)}}).at(0)});
  tied->own_variables()[0]->assign(Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6}));
  auto untied_vars = untied->own_variables();
  ASSERT_EQ(untied_vars.size(), 2U);
  EXPECT_EQ(untied_vars[1]->name(), "reverse_embeddings");
  untied_vars[1]->assign(Tensor::from_vector({2, 3}, {1, 0, 2, 0, 1, 3}));
  auto out = model.predict({Tensor::from_vector_i64({1, 1}, {2}, DType::int32), Tensor::from_vector({1, 2}, {1, -1})});
  EXPECT_EQ(out[0].to_vector(), (std::vector<float>{5, 6}));
  EXPECT_EQ(out[1].to_vector(), (std::vector<float>{-1, -1, -1}));  // [1,-1] . rows
  const std::vector<float> raw = {1, -1, -1};                       // [1,-1] x reverse_embeddings
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(out[2].at(i), 2.0 * std::tanh(raw[i] / 2.0), 1e-6);
  EXPECT_EQ(untied->get_config().at("logit_soft_cap"), 2.0);
}

TEST(ReversibleEmbedding, OutputsCarryNoMask) {
  layers::ReversibleEmbedding embedding(5, 3, {.mask_zero = true});
  auto ids = keras::Input({4}, {.dtype = "int32"});
  EXPECT_FALSE(embedding(ids).keras_mask().has_value());
}

// ---------------------------------------------------------- StackedRNNCells

TEST(StackedRNNCells, EqualsTheCellsRunOneAfterTheOther) {
  // RNN(stack(SimpleRNN a, SimpleRNN b)) returning sequences equals two stacked
  // SimpleRNN layers with the same weights.
  layers::SimpleRNNCell a(3, {.activation = "tanh"}), b(2, {.activation = "tanh"});
  layers::RNN stacked({a, b}, {.return_sequences = true});
  auto input = keras::Input({4, 2});
  keras::Model model(input, stacked(input));
  layers::SimpleRNN first(3, {.return_sequences = true}), second(2, {.return_sequences = true});
  keras::Model reference(input, second(first(input)));
  ASSERT_EQ(model.get_weights().size(), reference.get_weights().size());
  reference.set_weights(model.get_weights());
  Tensor x({2, 4, 2});
  for (std::int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = 0.1F * static_cast<float>(i % 7) - 0.3F;
  keras_test::expect_close(model.predict(x).at(0), reference.predict(x).at(0), 1e-6, 1e-6, "stacked");
}

TEST(StackedRNNCells, ReturnsEveryCellsStates) {
  layers::RNN rnn({layers::LSTMCell(3), layers::GRUCell(2)}, {.return_state = true});
  auto outputs = rnn.call({keras::Input({5, 4})});
  ASSERT_EQ(outputs.size(), 4U);  // output, lstm h, lstm c, gru h
  EXPECT_EQ(outputs[0].shape(), (Shape{-1, 2}));
  EXPECT_EQ(outputs[2].shape(), (Shape{-1, 3}));
  EXPECT_EQ(outputs[3].shape(), (Shape{-1, 2}));
}

// ------------------------------------------------------------- TernaryDense

TEST(TernaryDense, UsesTheTernarizedKernel) {
  layers::TernaryDense adaptive(2, {.use_bias = false});
  layers::TernaryDense fixed(2, {.threshold = 0.5, .use_bias = false});
  auto input = keras::Input({2});
  keras::Model model(std::vector<keras::KerasTensor>{input},
                     std::vector<keras::KerasTensor>{adaptive(input), fixed(input)});
  // kernel [[1, -0.2], [0.6, -1]]: mean |k| = 0.7, threshold 0.35 -> [[1, 0], [1, -1]] * 0.7
  const Tensor kernel = Tensor::from_vector({2, 2}, {1.0F, -0.2F, 0.6F, -1.0F});
  adaptive->own_variables()[0]->assign(kernel);
  fixed->own_variables()[0]->assign(kernel);
  auto out = model.predict(Tensor::from_vector({1, 2}, {2, 3}));
  EXPECT_NEAR(out[0].at(0), 0.7 * (2 + 3), 1e-5);
  EXPECT_NEAR(out[0].at(1), 0.7 * -3, 1e-5);
  // threshold 0.5, no scaling: [[1, 0], [1, -1]]
  EXPECT_NEAR(out[1].at(0), 5.0, 1e-5);
  EXPECT_NEAR(out[1].at(1), -3.0, 1e-5);
  Json config = fixed->get_config();
  EXPECT_EQ(config.at("threshold"), 0.5);
  EXPECT_TRUE(config.contains("activity_regularizer"));
  auto copy = keras::saving::deserialize_layer(keras::saving::serialize_operation(*fixed));
  EXPECT_EQ(keras::dump_json_like_python(copy->get_config()), keras::dump_json_like_python(config));
  EXPECT_THROW(layers::TernaryDense(2, {.threshold = -1.0}), keras::ValueError);
}

}  // namespace
