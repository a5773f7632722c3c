// Recurrent layers: SimpleRNN, LSTM, GRU, ConvLSTM, RNN(cell), Bidirectional,
// TimeDistributed, against Keras 3.16 fixtures and hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "keras/keras.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/rnn.hpp"
#include "ops/recurrent.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

std::vector<float> values_of(const Tensor& t) { return t.to_vector(); }

// Sets every variable of a layer (trainable order) from the given tensors.
void assign_weights(const keras::LayerRef& layer, const std::vector<Tensor>& values) {
  auto vars = layer->weights();
  ASSERT_EQ(vars.size(), values.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(values[i]);
}

float sigmoid(float x) { return 1.0F / (1.0F + std::exp(-x)); }

// ------------------------------------------------------------ fixtures

TEST(RnnFixtures, Recurrent) { keras_test::expect_fixture_matches("recurrent"); }
TEST(RnnFixtures, MaskingRnn) { keras_test::expect_fixture_matches("masking_rnn"); }
TEST(RnnFixtures, EmbeddingMaskRnn) { keras_test::expect_fixture_matches("embedding_mask_rnn"); }
TEST(RnnFixtures, BidirectionalTimeDistributed) { keras_test::expect_fixture_matches("bidirectional_timedistributed"); }
TEST(RnnFixtures, ConvLstm) { keras_test::expect_fixture_matches("conv_lstm"); }

// ------------------------------------------------- configs built in C++

TEST(RnnConfig, LayersBuiltInCppMatchKerasConfigs) {
  keras::clear_session();
  auto x = keras::Input({6, 4});
  layers::SimpleRNN simple(5, {.return_sequences = true, .name = "simple_rnn"});
  layers::LSTM lstm_backwards(4, {.return_sequences = true, .go_backwards = true, .name = "lstm_2"});
  layers::GRU gru_relu(3, {.activation = "relu", .recurrent_activation = "hard_sigmoid", .name = "gru_2"});
  layers::GRU gru_before(5, {.return_sequences = true, .reset_after = false, .name = "gru_1"});
  layers::LSTM lstm_state(5, {.return_state = true, .name = "lstm"});
  simple(x);
  lstm_backwards(x);
  gru_relu(x);
  gru_before(x);
  lstm_state.call({x});
  keras_test::expect_config_matches_fixture(simple, "recurrent", "simple_rnn");
  keras_test::expect_config_matches_fixture(lstm_backwards, "recurrent", "lstm_2");
  keras_test::expect_config_matches_fixture(gru_relu, "recurrent", "gru_2");
  keras_test::expect_config_matches_fixture(gru_before, "recurrent", "gru_1");
  keras_test::expect_config_matches_fixture(lstm_state, "recurrent", "lstm");
}

TEST(RnnConfig, WrappersBuiltInCppMatchKerasConfigs) {
  keras::clear_session();
  auto x = keras::Input({5, 4});
  layers::Bidirectional bi_concat(layers::LSTM(4, {.return_sequences = true, .name = "lstm_3"}),
                                  {.name = "bidirectional"});
  layers::Bidirectional bi_mul(layers::SimpleRNN(3, {.name = "simple_rnn_1"}),
                               {.merge_mode = "mul", .name = "bidirectional_2"});
  layers::TimeDistributed td(layers::Dense(3, {.activation = "relu", .name = "dense_4"}), {.name = "time_distributed"});
  bi_concat(x);
  bi_mul(x);
  td(x);
  keras_test::expect_config_matches_fixture(bi_concat, "bidirectional_timedistributed", "bidirectional");
  keras_test::expect_config_matches_fixture(bi_mul, "bidirectional_timedistributed", "bidirectional_2");
  keras_test::expect_config_matches_fixture(td, "bidirectional_timedistributed", "time_distributed");
}

TEST(RnnConfig, ConvLstmBuiltInCppMatchesKerasConfig) {
  keras::clear_session();
  auto seq = keras::Input({4, 8, 3});
  auto img = keras::Input({3, 6, 6, 2});
  layers::ConvLSTM1D c1(4, {3}, {.padding = "same", .name = "conv_lstm1d"});
  layers::ConvLSTM2D c2(3, {3, 3}, {.padding = "same", .return_sequences = true, .name = "conv_lstm2d"});
  auto y1 = c1(seq);
  auto y2 = c2(img);
  EXPECT_EQ(y1.shape(), (Shape{-1, 8, 4}));
  EXPECT_EQ(y2.shape(), (Shape{-1, 3, 6, 6, 3}));
  keras_test::expect_config_matches_fixture(c1, "conv_lstm", "conv_lstm1d");
  keras_test::expect_config_matches_fixture(c2, "conv_lstm", "conv_lstm2d");
}

// ------------------------------------------------------ variables & walk

TEST(RnnVariables, CellsHoldTheVariablesInKerasOrderAndShapes) {
  keras::clear_session();
  auto x = keras::Input({6, 4});
  layers::LSTM lstm(5);
  layers::GRU gru(3);
  layers::GRU gru_before(3, {.reset_after = false});
  layers::SimpleRNN simple(2, {.use_bias = false});
  lstm(x);
  gru(x);
  gru_before(x);
  simple(x);
  EXPECT_TRUE(lstm->own_variables().empty());
  ASSERT_EQ(lstm->tracked_sublayers().size(), 1U);
  const auto& cell = lstm->tracked_sublayers().front();
  EXPECT_EQ(cell.attribute, "cell");
  EXPECT_EQ(cell.layer->name(), "lstm_cell");
  auto vars = cell.layer->own_variables();
  ASSERT_EQ(vars.size(), 3U);
  EXPECT_EQ(vars[0]->name(), "kernel");
  EXPECT_EQ(vars[0]->shape(), (Shape{4, 20}));
  EXPECT_EQ(vars[1]->name(), "recurrent_kernel");
  EXPECT_EQ(vars[1]->shape(), (Shape{5, 20}));
  EXPECT_EQ(vars[2]->shape(), (Shape{20}));
  // unit_forget_bias: the forget-gate block starts at one.
  auto bias = values_of(vars[2]->value());
  for (int j = 0; j < 20; ++j) EXPECT_EQ(bias[static_cast<std::size_t>(j)], (j >= 5 && j < 10) ? 1.0F : 0.0F) << j;
  EXPECT_EQ(gru->weights().at(2)->shape(), (Shape{2, 9}));
  EXPECT_EQ(gru_before->weights().at(2)->shape(), (Shape{9}));
  EXPECT_EQ(simple->weights().size(), 2U);
  EXPECT_EQ(gru->tracked_sublayers().front().layer->name(), "gru_cell");
  EXPECT_EQ(simple->tracked_sublayers().front().layer->name(), "simple_rnn_cell");
}

TEST(RnnVariables, BidirectionalWalksBackwardLayerFirstButTracksForwardFirst) {
  keras::clear_session();
  auto x = keras::Input({5, 3});
  layers::Bidirectional bi(layers::GRU(2));
  bi(x);
  auto walk = bi->walk_children();
  ASSERT_EQ(walk.size(), 2U);
  EXPECT_EQ(walk[0].attribute, "backward_layer");
  EXPECT_EQ(walk[0].layer->name(), "backward_gru");
  EXPECT_EQ(walk[1].attribute, "forward_layer");
  EXPECT_EQ(walk[1].layer->name(), "forward_gru");
  auto trainable = bi->trainable_variables();
  ASSERT_EQ(trainable.size(), 6U);
  EXPECT_EQ(trainable[0].get(),
            bi->tracked_sublayers()[0].layer->tracked_sublayers()[0].layer->own_variables()[0].get());
}

TEST(RnnVariables, SavedModelRoundTripsThroughKerasPaths) {
  keras::clear_session();
  auto x = keras::Input({5, 3});
  auto y = layers::Bidirectional(layers::LSTM(2, {.return_sequences = true}))(x);
  y = layers::TimeDistributed(layers::Dense(2))(y);
  keras::Model model(x, y);
  Tensor input = keras::random::uniform({2, 5, 3}, -1.0F, 1.0F, 7);
  auto expected = model.predict(input);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "m.keras");
  auto members = keras::saving::archive_members(dir / "m.keras");
  EXPECT_NE(std::find(members.begin(), members.end(), "model.weights.h5"), members.end());
  keras::Model loaded = keras::load_model(dir / "m.keras");
  auto got = loaded.predict(input);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_TRUE(keras::allclose(got[0], expected[0], 0.0, 0.0));
}

// ------------------------------------------------- hand-computed numbers

TEST(RnnMath, SimpleRnnMatchesHandComputation) {
  keras::clear_session();
  auto x = keras::Input({3, 1});
  layers::SimpleRNN rnn(1, {.activation = "linear", .return_sequences = true});
  keras::Model model(x, rnn(x));
  assign_weights(rnn, {Tensor::from_vector({1, 1}, {2.0F}), Tensor::from_vector({1, 1}, {0.5F}),
                       Tensor::from_vector({1}, {1.0F})});
  // h1 = 2*1 + 1 = 3; h2 = 2*2 + 1 + 0.5*3 = 6.5; h3 = 2*3 + 1 + 0.5*6.5 = 10.25
  auto out = model.predict(Tensor::from_vector({1, 3, 1}, {1.0F, 2.0F, 3.0F}));
  EXPECT_EQ(values_of(out[0]), (std::vector<float>{3.0F, 6.5F, 10.25F}));
}

TEST(RnnMath, GoBackwardsReturnsTheReversedSequence) {
  keras::clear_session();
  auto x = keras::Input({3, 1});
  layers::SimpleRNN rnn(1, {.activation = "linear", .return_sequences = true, .go_backwards = true});
  keras::Model model(x, rnn(x));
  assign_weights(rnn, {Tensor::from_vector({1, 1}, {1.0F}), Tensor::from_vector({1, 1}, {1.0F}),
                       Tensor::from_vector({1}, {0.0F})});
  // Processing order 3, 2, 1: cumulative sums 3, 5, 6, returned in that order.
  auto out = model.predict(Tensor::from_vector({1, 3, 1}, {1.0F, 2.0F, 3.0F}));
  EXPECT_EQ(values_of(out[0]), (std::vector<float>{3.0F, 5.0F, 6.0F}));
}

TEST(RnnMath, LstmOneStepMatchesGateFormulas) {
  keras::clear_session();
  auto x = keras::Input({1, 1});
  layers::LSTM lstm(1, {.return_state = true});
  keras::Model model({x}, lstm.call({x}));
  // Gates i, f, c, o with kernel k, recurrent kernel 0 and bias b.
  const std::vector<float> k = {0.5F, -0.25F, 1.5F, 0.75F};
  const std::vector<float> b = {0.1F, 0.2F, -0.3F, 0.4F};
  assign_weights(lstm, {Tensor::from_vector({1, 4}, k), Tensor::zeros({1, 4}), Tensor::from_vector({4}, b)});
  const float xv = 0.8F;
  auto outs = model.predict(Tensor::from_vector({1, 1, 1}, {xv}));
  ASSERT_EQ(outs.size(), 3U);
  const float i = sigmoid(k[0] * xv + b[0]);
  const float c = i * std::tanh(k[2] * xv + b[2]);  // f * c0 vanishes: c0 = 0
  const float o = sigmoid(k[3] * xv + b[3]);
  const float h = o * std::tanh(c);
  EXPECT_NEAR(outs[0].item(), h, 1e-6);
  EXPECT_NEAR(outs[1].item(), h, 1e-6);
  EXPECT_NEAR(outs[2].item(), c, 1e-6);
}

TEST(RnnMath, GruResetPlacementWithNonTrivialGates) {
  keras::clear_session();
  auto x = keras::Input({2, 1});
  layers::GRU after(1, {.activation = "linear", .recurrent_activation = "linear"});
  layers::GRU before(1, {.activation = "linear", .recurrent_activation = "linear", .reset_after = false});
  keras::Model model({x}, std::vector<keras::KerasTensor>{after(x), before(x)});
  Tensor kernel = Tensor::from_vector({1, 3}, {0.5F, 0.5F, 1.0F});
  Tensor recurrent = Tensor::from_vector({1, 3}, {0.0F, 1.0F, 2.0F});
  // reset_after: recurrent bias (row 1) = 0, 0, 1 is added before the reset gate multiplies.
  assign_weights(after, {kernel, recurrent, Tensor::from_vector({2, 3}, {0, 0, 0, 0, 0, 1})});
  assign_weights(before, {kernel, recurrent, Tensor::zeros({3})});
  auto outs = model.predict(Tensor::from_vector({1, 2, 1}, {1.0F, 3.0F}));
  // Keras' GRU step with linear activations: reset_after applies r to (h . rk_h + recurrent bias),
  // reset_before applies it to h before the product.
  auto gru_step = [](float x_in, float h, bool reset_after) {
    const float z = 0.5F * x_in + 0.0F * h;
    const float r = 0.5F * x_in + 1.0F * h;
    const float hh = reset_after ? x_in + r * (2.0F * h + 1.0F) : x_in + 2.0F * (r * h);
    return z * h + (1.0F - z) * hh;
  };
  float ha = gru_step(3.0F, gru_step(1.0F, 0.0F, true), true);
  float hb = gru_step(3.0F, gru_step(1.0F, 0.0F, false), false);
  EXPECT_GT(std::abs(ha - hb), 0.1F);
  EXPECT_NEAR(outs[0].item(), ha, 1e-6);
  EXPECT_NEAR(outs[1].item(), hb, 1e-6);
}

TEST(RnnMath, MaskedStepsKeepStateAndRepeatOrZeroTheOutput) {
  keras::clear_session();
  auto x = keras::Input({3, 1});
  auto masked = layers::Masking({.mask_value = 0.0})(x);
  layers::SimpleRNN repeat(1, {.activation = "linear", .return_sequences = true});
  layers::SimpleRNN zeros(1, {.activation = "linear", .return_sequences = true, .zero_output_for_mask = true});
  keras::Model model({x}, std::vector<keras::KerasTensor>{repeat(masked), zeros(masked)});
  for (const auto& layer : {repeat, zeros})
    assign_weights(layer, {Tensor::from_vector({1, 1}, {1.0F}), Tensor::from_vector({1, 1}, {1.0F}),
                           Tensor::from_vector({1}, {0.0F})});
  // Step 2 is masked (x = 0): cumulative sums 1, (1), 4.
  auto outs = model.predict(Tensor::from_vector({1, 3, 1}, {1.0F, 0.0F, 3.0F}));
  EXPECT_EQ(values_of(outs[0]), (std::vector<float>{1.0F, 1.0F, 4.0F}));
  EXPECT_EQ(values_of(outs[1]), (std::vector<float>{1.0F, 0.0F, 4.0F}));
}

TEST(RnnMath, BidirectionalMergeModes) {
  keras::clear_session();
  auto x = keras::Input({2, 1});
  auto make = [](std::optional<std::string> mode) {
    return layers::Bidirectional(layers::SimpleRNN(1, {.activation = "linear", .return_sequences = true}),
                                 {.merge_mode = std::move(mode)});
  };
  auto concat = make("concat");
  auto sum = make("sum");
  auto none = make(std::nullopt);
  std::vector<keras::KerasTensor> outs = {concat(x), sum(x)};
  auto pair = none.call({x});
  ASSERT_EQ(pair.size(), 2U);
  outs.insert(outs.end(), pair.begin(), pair.end());
  keras::Model model({x}, outs);
  for (const auto& bi : {concat, sum, none})
    assign_weights(bi, {Tensor::from_vector({1, 1}, {1.0F}), Tensor::from_vector({1, 1}, {1.0F}),
                        Tensor::from_vector({1}, {0.0F}), Tensor::from_vector({1, 1}, {10.0F}),
                        Tensor::from_vector({1, 1}, {1.0F}), Tensor::from_vector({1}, {0.0F})});
  auto y = model.predict(Tensor::from_vector({1, 2, 1}, {1.0F, 2.0F}));
  // forward: 1, 3. backward (10x, processed 2 then 1): 20, 30, flipped back to time order: 30, 20.
  EXPECT_EQ(values_of(y[0]), (std::vector<float>{1.0F, 30.0F, 3.0F, 20.0F}));
  EXPECT_EQ(values_of(y[1]), (std::vector<float>{31.0F, 23.0F}));
  EXPECT_EQ(values_of(y[2]), (std::vector<float>{1.0F, 3.0F}));
  EXPECT_EQ(values_of(y[3]), (std::vector<float>{30.0F, 20.0F}));
}

TEST(RnnMath, InitialStateKeywordStartsTheRecurrence) {
  keras::clear_session();
  auto x = keras::Input({2, 1});
  auto h0 = keras::Input({1});
  layers::SimpleRNN rnn(1, {.activation = "linear"});
  auto y = rnn.call({x}, {{"initial_state", std::vector<keras::KerasTensor>{h0}}});
  keras::Model model({x, h0}, y);
  assign_weights(rnn, {Tensor::from_vector({1, 1}, {1.0F}), Tensor::from_vector({1, 1}, {1.0F}),
                       Tensor::from_vector({1}, {0.0F})});
  auto out = model.predict({Tensor::from_vector({1, 2, 1}, {1.0F, 2.0F}), Tensor::from_vector({1, 1}, {5.0F})});
  EXPECT_EQ(out[0].item(), 8.0F);
  // Keras' build(sequences_shape, initial_state_shape) is recorded as a shapes_dict.
  auto build_config = rnn->build_config();
  ASSERT_TRUE(build_config.has_value());
  EXPECT_EQ(build_config->dump(), R"({"shapes_dict":{"sequences_shape":[null,2,1],"initial_state_shape":[[null,1]]}})");
  keras_test::TempDir dir;
  keras::save_model(model, dir / "m.keras");
  keras::Model loaded = keras::load_model(dir / "m.keras");
  auto again = loaded.predict({Tensor::from_vector({1, 2, 1}, {1.0F, 2.0F}), Tensor::from_vector({1, 1}, {5.0F})});
  EXPECT_EQ(again[0].item(), 8.0F);
}

// A cell called alone (Keras' cell(inputs, states)) computes the step its RNN
// computes: outputs (h, [h, c]) flattened; in a model it trains.
TEST(RnnMath, ACellCalledAloneIsOneStepOfItsRNN) {
  keras::clear_session();
  layers::LSTMCell cell(2);
  auto x = keras::Input({3});
  auto h = keras::Input({2});
  auto c = keras::Input({2});
  auto outputs = cell.call({x, std::vector<keras::KerasTensor>{h, c}});
  ASSERT_EQ(outputs.size(), 3U);
  EXPECT_EQ(outputs[0].shape(), (Shape{keras::kUnknownDim, 2}));
  keras::Model step({x, h, c}, outputs);
  // The same cell (same weights) inside an RNN over one timestep.
  auto sequence = keras::Input({1, 3});
  auto h0 = keras::Input({2});
  auto c0 = keras::Input({2});
  auto rnn_outputs = layers::RNN(cell, {.return_state = true})
                         .call({sequence}, {{"initial_state", std::vector<keras::KerasTensor>{h0, c0}}});
  keras::Model rnn({sequence, h0, c0}, rnn_outputs);
  const Tensor xs = keras::random::uniform({4, 3}, -1.0F, 1.0F, 1);
  const Tensor hs = keras::random::uniform({4, 2}, -1.0F, 1.0F, 2);
  const Tensor cs = keras::random::uniform({4, 2}, -1.0F, 1.0F, 3);
  auto alone = step.predict({xs, hs, cs});
  auto inside = rnn.predict({xs.reshape({4, 1, 3}), hs, cs});
  ASSERT_EQ(alone.size(), 3U);
  ASSERT_EQ(inside.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) keras_test::expect_close(alone[i], inside[i], 1e-6, 1e-6, "cell output");
  // The model calling the cell saves and loads.
  keras_test::TempDir dir;
  keras::save_model(step, dir / "cell.keras");
  auto reloaded = keras::load_model(dir / "cell.keras").predict({xs, hs, cs});
  ASSERT_EQ(reloaded.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) keras_test::expect_close(reloaded[i], alone[i], 1e-6, 1e-6, "reloaded cell");
  // Trained alone on its h output, the loss goes down.
  keras::Model trained({x, h, c}, outputs[0]);
  // Seeded weights: the cell's initializers draw unseeded, and some draws start near the target.
  std::vector<Tensor> weights = trained.get_weights();
  for (std::size_t i = 0; i < weights.size(); ++i)
    weights[i] = keras::random::uniform(weights[i].shape(), -0.5F, 0.5F, 10 + i);
  trained.set_weights(weights);
  trained.compile(
      {.optimizer = std::make_shared<keras::optimizers::Adam>(keras::optimizers::AdamOptions{.learning_rate = 0.01}),
       .loss = "mse"});
  const Tensor target = keras::random::uniform({4, 2}, -0.5F, 0.5F, 4);
  const double first = trained.train_on_batch({xs, hs, cs}, {target}).at("loss");
  double last = first;
  for (int i = 0; i < 50; ++i) last = trained.train_on_batch({xs, hs, cs}, {target}).at("loss");
  EXPECT_LT(last, 0.9 * first);
}

// Keras' dropout structure, read from the outputs of one LSTM unit with one
// input feature over one step (x = 1 and zero states, or x = 0 and h = 1 for
// the recurrent masks): h = o * tanh(i * tanh(z_c)) with each gate's
// pre-activation w_g * m_g, where m_g is 0 or 1 / (1 - 0.5) = 2. One mask
// shared by the gates (implementation 2) gives two outputs only; a mask per
// gate (implementation 1, always for ConvLSTM) gives the mixed ones too.
// Inference applies no mask (m_g = 1).
struct GateWeights {
  float i = 1.0F, f = 0.7F, c = 1.5F, o = -1.0F;
};

float lstm_unit(const GateWeights& w, float m_i, float m_c, float m_o) {
  return sigmoid(w.o * m_o) * std::tanh(sigmoid(w.i * m_i) * std::tanh(w.c * m_c));
}

// Distinct training outputs of `layer` (built for `input_shape`, its [kernel,
// recurrent_kernel, bias] set from `w` on the input side or the recurrent side)
// over a batch of 64 identical samples; checks each is one of the eight
// combinations of masks and that inference gives the unmasked value.
std::vector<float> dropout_outputs(const keras::LayerRef& layer, const Shape& input_shape, bool recurrent,
                                   const GateWeights& w) {
  layer->build_for({input_shape});
  auto vars = layer->weights();
  EXPECT_EQ(vars.size(), 3U);
  Tensor gates = Tensor::from_vector({4}, {w.i, w.f, w.c, w.o});
  Tensor zeros = Tensor::zeros({4});
  vars[0]->assign((recurrent ? zeros : gates).reshape(vars[0]->shape()));
  vars[1]->assign((recurrent ? gates : zeros).reshape(vars[1]->shape()));
  vars[2]->assign(zeros);
  Shape batch_shape = input_shape;
  batch_shape[0] = 64;
  Shape state_shape = {64};
  for (std::size_t d = 2; d + 1 < input_shape.size(); ++d) state_shape.push_back(1);
  state_shape.push_back(1);
  keras::CallArgs args;
  args.tensors = {Tensor::full(batch_shape, recurrent ? 0.0F : 1.0F),
                  Tensor::full(state_shape, recurrent ? 1.0F : 0.0F), Tensor::zeros(state_shape)};
  args.args = keras::Json::array({keras::Json{{"__tensor__", 0}}});
  args.kwargs = {
      {"initial_state", keras::Json::array({keras::Json{{"__tensor__", 1}}, keras::Json{{"__tensor__", 2}}})}};
  const float unmasked = lstm_unit(w, 1.0F, 1.0F, 1.0F);
  for (float v : layer->call(args).at(0).to_vector()) EXPECT_NEAR(v, unmasked, 1e-6) << "inference";
  args.training = true;
  std::vector<float> combinations;
  for (float m_i : {0.0F, 2.0F})
    for (float m_c : {0.0F, 2.0F})
      for (float m_o : {0.0F, 2.0F}) combinations.push_back(lstm_unit(w, m_i, m_c, m_o));
  std::vector<float> seen;
  for (float v : layer->call(args).at(0).to_vector()) {
    auto near = [&](float a) { return std::abs(a - v) < 1e-5F; };
    EXPECT_TRUE(std::any_of(combinations.begin(), combinations.end(), near)) << v << " is no combination of masks";
    if (std::none_of(seen.begin(), seen.end(), near)) seen.push_back(v);
  }
  return seen;
}

TEST(RnnDropout, OneMaskForAllGatesOrOnePerGateAsKeras) {
  keras::clear_session();
  const GateWeights w;
  const std::vector<float> shared = {lstm_unit(w, 0, 0, 0), lstm_unit(w, 2, 2, 2)};
  auto only_shared = [&](const std::vector<float>& seen, const char* what) {
    EXPECT_EQ(seen.size(), 2U) << what;
    for (float v : seen)
      EXPECT_TRUE(std::abs(v - shared[0]) < 1e-5F || std::abs(v - shared[1]) < 1e-5F) << what << ": " << v;
  };
  // Implementation 2 (Keras' default): one input mask for the four gates.
  only_shared(dropout_outputs(layers::LSTM(1, {.dropout = 0.5, .seed = 1}), {-1, 1, 1}, false, w), "LSTM");
  only_shared(dropout_outputs(layers::RNN(layers::LSTMCell(1, {.dropout = 0.5, .seed = 2})), {-1, 1, 1}, false, w),
              "RNN(LSTMCell)");
  // Implementation 1: a mask per gate; its five distinct outputs (tanh(0) hides i and o when m_c = 0) all occur.
  EXPECT_EQ(
      dropout_outputs(layers::LSTM(1, {.dropout = 0.5, .implementation = 1, .seed = 1}), {-1, 1, 1}, false, w).size(),
      5U);
  // recurrent_dropout switches Keras to implementation 1: a mask per gate on h.
  EXPECT_EQ(dropout_outputs(layers::LSTM(1, {.recurrent_dropout = 0.5, .seed = 3}), {-1, 1, 1}, true, w).size(), 5U);
  // ConvLSTM (a 1x1 kernel over one position is this LSTM unit) always draws a mask per gate.
  EXPECT_EQ(dropout_outputs(layers::ConvLSTM1D(1, {1}, {.dropout = 0.5, .seed = 4}), {-1, 1, 1, 1}, false, w).size(),
            5U);
  EXPECT_EQ(
      dropout_outputs(layers::ConvLSTM2D(1, {1, 1}, {.recurrent_dropout = 0.5, .seed = 5}), {-1, 1, 1, 1, 1}, true, w)
          .size(),
      5U);
}

// Keras' `implementation` keyword is read from a config (Keras 2 files carry
// it; 1 gives the LSTM a mask per gate) but not written back, as Keras'
// get_config() leaves it out.
TEST(RnnDropout, ImplementationIsReadFromAConfigButNotSaved) {
  auto from_config = [](const char* name, keras::Json config) {
    return keras::saving::deserialize_layer(keras::Json{
        {"module", "keras.layers"}, {"class_name", name}, {"config", config}, {"registered_name", nullptr}});
  };
  for (int implementation : {1, 2}) {
    keras::LayerRef lstm(from_config(
        "LSTM",
        {{"units", 1}, {"activation", "tanh"}, {"dropout", 0.5}, {"seed", 1}, {"implementation", implementation}}));
    EXPECT_EQ(dropout_outputs(lstm, {-1, 1, 1}, false, GateWeights{}).size(), implementation == 1 ? 5U : 2U);
    for (const char* name : {"LSTM", "GRU", "LSTMCell", "GRUCell"}) {
      keras::LayerPtr layer = from_config(name, {{"units", 2}, {"dropout", 0.5}, {"implementation", implementation}});
      EXPECT_FALSE(layer->get_config().contains("implementation")) << name;
    }
  }
  EXPECT_THROW(from_config("LSTM", {{"units", 2}, {"implementation", "one"}}), keras::Error);
}

TEST(RnnMath, TimeDistributedAppliesTheLayerToEveryStep) {
  keras::clear_session();
  auto x = keras::Input({3, 2});
  layers::TimeDistributed td(layers::Dense(1, {.use_bias = false}));
  auto y = td(x);
  EXPECT_EQ(y.shape(), (Shape{-1, 3, 1}));
  keras::Model model(x, y);
  assign_weights(td, {Tensor::from_vector({2, 1}, {1.0F, 10.0F})});
  auto out = model.predict(Tensor::from_vector({1, 3, 2}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values_of(out[0]), (std::vector<float>{21.0F, 43.0F, 65.0F}));
}

TEST(RnnMath, GenericRnnWithLstmCellEqualsLstmAndSerializesTheCell) {
  keras::clear_session();
  auto x = keras::Input({4, 3});
  layers::RNN generic(layers::LSTMCell(2), {.return_sequences = true});
  layers::LSTM lstm(2, {.return_sequences = true});
  keras::Model model({x}, std::vector<keras::KerasTensor>{generic(x), lstm(x)});
  auto a = generic->weights();
  auto b = lstm->weights();
  ASSERT_EQ(a.size(), 3U);
  for (std::size_t i = 0; i < a.size(); ++i) a[i]->assign(b[i]->value());
  auto out = model.predict(keras::random::uniform({2, 4, 3}, -1.0F, 1.0F, 9));
  EXPECT_TRUE(keras::allclose(out[0], out[1], 0.0, 0.0));
  keras::Json config = keras::saving::serialize_operation(*generic);
  EXPECT_EQ(config.at("class_name"), "RNN");
  const keras::Json& cell = config.at("config").at("cell");
  EXPECT_EQ(cell.at("class_name"), "LSTMCell");
  EXPECT_EQ(cell.at("config").at("units"), 2);
  EXPECT_EQ(cell.at("build_config").dump(), R"({"input_shape":[null,3]})");
  auto copy = keras::saving::deserialize_layer(config);
  EXPECT_EQ(keras::saving::serialize_operation(*copy).dump(), config.dump());
}

// Inference without a mask runs SimpleRNN, LSTM and GRU as one oneDNN RNN primitive
// (src/ops/recurrent.cpp), or an LSTM of one sample as a kernel of ours. Checked against Keras' step equations in
// double precision, in every direction and with initial states; tolerance 2e-6 (float32 over 7 steps of saturating
// gates), relative beyond 1.
enum class RefCell { simple_tanh, simple_relu, lstm, gru_after, gru_before };

struct RefResult {
  std::vector<double> sequence;  // [B, T, U] in processing order
  std::vector<double> h, c;      // final states [B, U]
};

RefResult reference_rnn(RefCell cell, const std::vector<std::vector<double>>& w, const std::vector<double>& x,
                        std::int64_t batch, std::int64_t steps, std::int64_t features, std::int64_t units,
                        bool backwards, std::vector<double> h, std::vector<double> c) {
  const auto& kernel = w[0];
  const auto& recurrent = w[1];
  const auto& bias = w[2];
  const std::int64_t gates =
      cell == RefCell::lstm ? 4 : (cell == RefCell::gru_after || cell == RefCell::gru_before ? 3 : 1);
  const std::int64_t width = gates * units;
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  RefResult out;
  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = backwards ? steps - 1 - k : k;
    std::vector<double> next_h(h.size()), next_c(c.size());
    for (std::int64_t b = 0; b < batch; ++b) {
      std::vector<double> xz(width, 0.0), hz(width, 0.0);
      for (std::int64_t j = 0; j < width; ++j) {
        for (std::int64_t f = 0; f < features; ++f) xz[j] += x[(b * steps + t) * features + f] * kernel[f * width + j];
        xz[j] += bias[j];
        for (std::int64_t i = 0; i < units; ++i) hz[j] += h[b * units + i] * recurrent[i * width + j];
        if (cell == RefCell::gru_after) hz[j] += bias[width + j];
      }
      for (std::int64_t j = 0; j < units; ++j) {
        const double hp = h[b * units + j];
        double hn = 0.0;
        switch (cell) {
          case RefCell::simple_tanh:
            hn = std::tanh(xz[j] + hz[j]);
            break;
          case RefCell::simple_relu:
            hn = std::max(0.0, xz[j] + hz[j]);
            break;
          case RefCell::lstm: {
            const double i = sig(xz[j] + hz[j]);
            const double f = sig(xz[units + j] + hz[units + j]);
            const double cc = f * c[b * units + j] + i * std::tanh(xz[2 * units + j] + hz[2 * units + j]);
            const double o = sig(xz[3 * units + j] + hz[3 * units + j]);
            next_c[b * units + j] = cc;
            hn = o * std::tanh(cc);
            break;
          }
          case RefCell::gru_after:
          case RefCell::gru_before: {
            const double z = sig(xz[j] + hz[j]);
            const double r = sig(xz[units + j] + hz[units + j]);
            double candidate = 0.0;
            if (cell == RefCell::gru_after) {
              candidate = std::tanh(xz[2 * units + j] + r * hz[2 * units + j]);
            } else {
              double rh = 0.0;  // (r * h) . recurrent_kernel_h, r taken per input unit
              for (std::int64_t i = 0; i < units; ++i)
                rh += sig(xz[units + i] + hz[units + i]) * h[b * units + i] * recurrent[i * width + 2 * units + j];
              candidate = std::tanh(xz[2 * units + j] + rh);
            }
            hn = z * hp + (1.0 - z) * candidate;
            break;
          }
        }
        next_h[b * units + j] = hn;
      }
    }
    h = next_h;
    if (cell == RefCell::lstm) c = next_c;
    out.sequence.resize(static_cast<std::size_t>(batch * steps * units));
    for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t j = 0; j < units; ++j) out.sequence[(b * steps + k) * units + j] = h[b * units + j];
  }
  out.h = h;
  out.c = c;
  return out;
}

void expect_whole_sequence_matches_step_equations(std::int64_t batch, std::int64_t units,
                                                  bool return_sequences = true) {
  constexpr std::int64_t steps = 7, features = 5;
  std::mt19937 random(29);
  std::uniform_real_distribution<float> uniform(-0.8F, 0.8F);
  // Weights shrink with the units so that no recurrence (relu's least of all) is chaotic enough
  // to amplify float32 rounding past the tolerance in 7 steps.
  const float weight_scale = std::min(1.0F, std::sqrt(6.0F / static_cast<float>(units)));
  auto draw = [&](const Shape& shape, float scale = 1.0F) {
    std::vector<float> v(static_cast<std::size_t>(keras::shape_size(shape)));
    for (auto& e : v) e = scale * uniform(random);
    return Tensor::from_vector(shape, v);
  };
  auto doubles = [](const Tensor& t) {
    auto v = t.to_vector();
    return std::vector<double>(v.begin(), v.end());
  };
  for (RefCell cell :
       {RefCell::simple_tanh, RefCell::simple_relu, RefCell::lstm, RefCell::gru_after, RefCell::gru_before}) {
    for (bool backwards : {false, true}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(cell)) + (backwards ? " go_backwards" : ""));
      keras::clear_session();
      const bool lstm = cell == RefCell::lstm;
      auto x = keras::Input({steps, features});
      auto h0 = keras::Input({units});
      auto c0 = keras::Input({units});
      std::vector<keras::KerasTensor> initial = {h0};
      if (lstm) initial.push_back(c0);
      keras::LayerRef layer = [&]() -> keras::LayerRef {
        switch (cell) {
          case RefCell::simple_tanh:
          case RefCell::simple_relu:
            return layers::SimpleRNN(units, {.activation = cell == RefCell::simple_relu ? "relu" : "tanh",
                                             .return_sequences = return_sequences,
                                             .return_state = true,
                                             .go_backwards = backwards});
          case RefCell::lstm:
            return layers::LSTM(
                units, {.return_sequences = return_sequences, .return_state = true, .go_backwards = backwards});
          default:
            return layers::GRU(units, {.return_sequences = return_sequences,
                                       .return_state = true,
                                       .go_backwards = backwards,
                                       .reset_after = cell == RefCell::gru_after});
        }
      }();
      auto outputs = layer.call({x}, {{"initial_state", initial}});
      std::vector<keras::KerasTensor> model_inputs = {x, h0};
      if (lstm) model_inputs.push_back(c0);
      keras::Model model(model_inputs, outputs);
      // Twice: new weights must replace the prepared (prepacked) ones.
      for (int round = 0; round < 2; ++round) {
        std::vector<std::vector<double>> w;
        for (const auto& v : layer->weights()) {
          Tensor value = draw(v->value().shape(), weight_scale);
          v->assign(value);
          w.push_back(doubles(value));
        }
        Tensor xs = draw({batch, steps, features});
        Tensor hs = draw({batch, units});
        Tensor cs = draw({batch, units});
        std::vector<Tensor> feed = {xs, hs};
        if (lstm) feed.push_back(cs);
        auto got = model.predict(feed);
        const RefResult want = reference_rnn(cell, w, doubles(xs), batch, steps, features, units, backwards,
                                             doubles(hs), lstm ? doubles(cs) : std::vector<double>());
        ASSERT_EQ(got.size(), lstm ? 3U : 2U);  // the output, then the states
        auto expect_near = [](const Tensor& t, const std::vector<double>& ref) {
          auto v = t.to_vector();
          ASSERT_EQ(v.size(), ref.size());
          // Relative beyond 1: a relu recurrence over many units grows into the hundreds.
          for (std::size_t i = 0; i < v.size(); ++i)
            EXPECT_NEAR(v[i], ref[i], 2e-6 * std::max(1.0, std::abs(ref[i]))) << "at " << i;
        };
        expect_near(got[0], return_sequences ? want.sequence : want.h);
        expect_near(got[1], want.h);
        if (lstm) expect_near(got[2], want.c);
      }
    }
  }
}

TEST(RnnMath, WholeSequencePrimitiveMatchesTheStepEquations) {
  SCOPED_TRACE("3 samples, 6 units");
  expect_whole_sequence_matches_step_equations(3, 6);
}

// A long sequence runs as chunks of steps (its scratchpad would otherwise hold every step): 7
// steps in chunks of 3 (and a tail of 1) and of 2 (tail 1), each starting from the states the
// previous chunk ended with, in both directions, with and without the whole sequence out.
TEST(RnnMath, ChunkedSequenceMatchesTheStepEquations) {
  struct Reset {
    ~Reset() { keras::kernels::set_recurrent_chunk_steps_for_testing(0); }
  } reset;
  for (std::int64_t chunk : {3, 2}) {
    keras::kernels::set_recurrent_chunk_steps_for_testing(chunk);
    for (bool sequences : {true, false}) {
      SCOPED_TRACE("chunks of " + std::to_string(chunk) + (sequences ? ", sequences" : ", last output"));
      expect_whole_sequence_matches_step_equations(3, 6, sequences);
    }
  }
}

// One sample: an LSTM takes the AVX-512 kernel where the CPU has it (ops/lstm_single_sample.cpp),
// whose units go 16 to a register and 64 to a block: 6 units (one padded group), 37 (three groups,
// a partial block), 70 (two blocks, the second of one group).
TEST(RnnMath, OneSampleMatchesTheStepEquations) {
  for (std::int64_t units : {6, 37, 70}) {
    SCOPED_TRACE("1 sample, " + std::to_string(units) + " units");
    expect_whole_sequence_matches_step_equations(1, units);
  }
}

TEST(RnnErrors, BadArgumentsAreRefused) {
  EXPECT_THROW(layers::LSTM(0), keras::ValueError);
  EXPECT_THROW(layers::GRU(2, {.stateful = true}), keras::NotImplementedError);
  EXPECT_THROW(layers::Bidirectional(layers::LSTM(2), {.merge_mode = "max"}), keras::ValueError);
  EXPECT_THROW(layers::Bidirectional(layers::Dense(2)), keras::NotImplementedError);
  auto x = keras::Input({4});
  EXPECT_THROW(layers::LSTM(2)(x), keras::ValueError);
}

}  // namespace
