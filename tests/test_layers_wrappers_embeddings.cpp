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

namespace {

// A model that embeds ids and reverses vectors with one ReversibleEmbedding(7, 6),
// its tables filled with distinct values of both signs in every group of 4 consecutive
// rows or columns (a group of one sign loses its small values to Keras' zero-point clip).
struct ReversibleModel {
  layers::ReversibleEmbedding layer;
  keras::Model model;
};

ReversibleModel reversible_model(bool tie_weights, std::optional<std::int64_t> lora_rank = std::nullopt) {
  layers::ReversibleEmbedding layer(7, 6, {.tie_weights = tie_weights, .name = "rev", .lora_rank = lora_rank});
  auto ids = keras::Input({3}, {.dtype = "int32"});
  auto vectors = keras::Input({6});
  keras::Model model({ids, vectors}, {layer(ids), layer.call({vectors}, {{"reverse", Json(true)}}).at(0)});
  for (const auto& v : layer->own_variables()) {
    std::vector<float> values(static_cast<std::size_t>(v->value().size()));
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(std::sin(2.5 * static_cast<double>(i) + (v->name() == "embeddings" ? 0 : 1)));
    v->assign(Tensor::from_vector(v->shape(), values));
  }
  return {layer, model};
}

std::vector<Tensor> reversible_inputs() {
  return {Tensor::from_vector_i64({2, 3}, {0, 3, 6, 5, 1, 2}, DType::int32),
          Tensor::from_vector({2, 6}, {0.5F, -1.0F, 0.25F, 2.0F, -0.75F, 0.1F, -0.3F, 0.8F, 1.5F, -2.0F, 0.0F, 0.6F})};
}

}  // namespace

// Quantized as Keras' ReversibleEmbedding.quantize does (int8; int4 per channel; int4 in
// groups of 4 rows), both directions stay within the quantization error of the float layer,
// the variables are Keras' (names, order, dtypes, shapes), and a save / load round trip
// predicts the same numbers bit for bit.
TEST(ReversibleEmbedding, QuantizedLikeKerasInBothDirections) {
  struct Case {
    keras::quantizers::QuantizationConfig config;
    std::string policy;
    double tolerance;  // of the largest |output|
  };
  const std::vector<Case> cases = {
      {keras::quantizers::QuantizationConfig::int8(), "int8_from_float32", 0.03},
      {keras::quantizers::QuantizationConfig::int4(-1), "int4/-1_from_float32", 0.3},
      {keras::quantizers::QuantizationConfig::int4(4), "int4/4_from_float32", 0.3},
  };
  for (const bool tie : {true, false}) {
    for (const Case& c : cases) {
      const std::string what = c.policy + (tie ? " tied" : " untied");
      ReversibleModel m = reversible_model(tie);
      const std::vector<Tensor> reference = m.model.predict(reversible_inputs());
      const keras::QuantizationReport report = m.model.quantize(c.config.mode, c.config);
      ASSERT_EQ(report.quantized, std::vector<std::string>{"rev"}) << what;
      EXPECT_EQ(m.layer->dtype_policy().name(), c.policy) << what;

      std::vector<std::string> names;
      for (const auto& v : m.layer->own_variables())
        names.push_back(v->name() + ":" + keras::dtype_name(v->dtype()) + keras::shape_to_string(v->shape()));
      std::vector<std::string> expected;
      const bool int4 = c.config.mode == "int4";
      const bool grouped = c.config.grouped();
      expected.push_back(std::string("embeddings:int8") + (int4 ? "(7, 3)" : "(7, 6)"));
      expected.push_back(std::string("embeddings_scale:float32") + (grouped ? "(7, 2)" : "(7,)"));
      if (grouped) expected.insert(expected.end(), {"embeddings_zero:int8(7, 2)", "g_idx:float32(6,)"});
      if (!tie) {
        expected.push_back(std::string("reverse_embeddings:int8") + (int4 ? "(3, 7)" : "(6, 7)"));
        expected.push_back(std::string("reverse_embeddings_scale:float32") + (grouped ? "(2, 7)" : "(7,)"));
        if (grouped) expected.emplace_back("reverse_embeddings_zero:float32(2, 7)");
      }
      EXPECT_EQ(names, expected) << what;

      const std::vector<Tensor> quantized = m.model.predict(reversible_inputs());
      for (std::size_t o = 0; o < 2; ++o) {
        const std::vector<float> want = reference[o].to_vector();
        const std::vector<float> got = quantized[o].to_vector();
        ASSERT_EQ(got.size(), want.size());
        float largest = 0;
        for (float w : want) largest = std::max(largest, std::fabs(w));
        for (std::size_t i = 0; i < want.size(); ++i)
          EXPECT_NEAR(got[i], want[i], c.tolerance * largest) << what << " output " << o << " element " << i;
      }
      const keras::Model reloaded = keras::load_model(std::span<const std::byte>(keras::save_model(m.model)));
      const std::vector<Tensor> again = reloaded.predict(reversible_inputs());
      EXPECT_EQ(again[1].to_vector(), quantized[1].to_vector()) << what;
      EXPECT_EQ(again[0].to_vector(), quantized[0].to_vector()) << what;
    }
  }
}

// int8 reverse, tied: Keras' _int8_call quantizes the inputs per row (AbsMaxQuantizer(axis=-1)),
// multiplies the integers and divides by both scales.
TEST(ReversibleEmbedding, Int8ReverseIsTheIntegerProductOverBothScales) {
  layers::ReversibleEmbedding layer(2, 2, {.dtype = "int8_from_float32"});
  auto vectors = keras::Input({2});
  keras::Model model(vectors, layer.call({vectors}, {{"reverse", Json(true)}}).at(0));
  auto vars = layer->own_variables();
  ASSERT_EQ(vars.size(), 2U);
  vars[0]->assign(Tensor::from_vector({2, 2}, {127, -64, 10, 20}).astype(DType::int8));
  vars[1]->assign(Tensor::from_vector({2}, {127.0F, 2.0F}));
  // x = [1, -0.5]: scale 127 / (1 + 1e-7) (epsilon in float32: just under 127), so
  // q = [127, round(-63.49999)] = [127, -63]; kernel = embeddings transposed.
  const std::vector<float> out = model.predict({Tensor::from_vector({1, 2}, {1.0F, -0.5F})})[0].to_vector();
  const float inputs_scale = 127.0F / (1.0F + 1e-7F);
  EXPECT_FLOAT_EQ(out[0], (127.0F * 127 + 63 * 64) / (inputs_scale * 127.0F));
  EXPECT_FLOAT_EQ(out[1], (127.0F * 10 - 63 * 20) / (inputs_scale * 2.0F));
}

// With LoRA and tied weights the reverse projection uses the adapted table (Keras'
// `embeddings` property); the config round-trips lora_rank.
TEST(ReversibleEmbedding, LoraAdaptsTheTiedReverseProjection) {
  ReversibleModel m = reversible_model(true, 2);
  ASSERT_TRUE(m.layer->lora_enabled());
  std::vector<float> a_values(14), b_values(12);
  for (std::size_t i = 0; i < a_values.size(); ++i) a_values[i] = 0.1F * static_cast<float>(i % 5);
  for (std::size_t i = 0; i < b_values.size(); ++i) b_values[i] = 0.05F * static_cast<float>(i % 3) - 0.02F;
  Tensor table;
  for (const auto& v : m.layer->weights()) {
    if (v->name() == "lora_embeddings_a") v->assign(Tensor::from_vector({7, 2}, a_values));
    if (v->name() == "lora_embeddings_b") v->assign(Tensor::from_vector({2, 6}, b_values));
    if (v->name() == "embeddings") table = v->value();
  }
  const std::vector<float> x = reversible_inputs()[1].to_vector();
  const std::vector<float> logits = m.model.predict(reversible_inputs())[1].to_vector();
  for (int row = 0; row < 2; ++row) {
    for (int id = 0; id < 7; ++id) {
      double want = 0;
      for (int k = 0; k < 6; ++k) {
        double delta = 0;
        for (int r = 0; r < 2; ++r) delta += a_values[id * 2 + r] * b_values[r * 6 + k];
        want += x[row * 6 + k] * (table.at(id * 6 + k) + delta);  // alpha = rank: scale 1
      }
      EXPECT_NEAR(logits[row * 7 + id], want, 1e-5) << row << ", " << id;
    }
  }
  EXPECT_EQ(m.layer->get_config().at("lora_rank"), 2);
  const keras::Model rebuilt = keras::model_from_json(keras::to_json(m.model));
  EXPECT_EQ(keras::to_json(rebuilt), keras::to_json(m.model));
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
