// Attention layers: MultiHeadAttention, GroupQueryAttention, Attention,
// AdditiveAttention, against Keras 3.16 fixtures and hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "keras/layers/attention.hpp"
#include "layers/attention/attention_layers.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

std::vector<float> values_of(const Tensor& t) { return t.to_vector(); }

void set_all(const keras::LayerRef& layer, const std::vector<Tensor>& values) {
  auto vars = layer->weights();
  ASSERT_EQ(vars.size(), values.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(values[i]);
}

// ------------------------------------------------------------ fixtures

// The comparator tolerates only the names of the variable-free _softmax /
// _dropout_layer groups, which Keras takes from process-wide counters.
TEST(AttentionFixtures, Attention) { keras_test::expect_fixture_matches("attention"); }

// ------------------------------------------------- configs built in C++

TEST(AttentionConfig, LayersBuiltInCppMatchKerasConfigs) {
  keras::clear_session();
  auto query = keras::Input({5, 8}, {.name = "query"});
  auto value = keras::Input({6, 8}, {.name = "value"});
  layers::MultiHeadAttention cross(2, 4, {.name = "multi_head_attention"});
  layers::MultiHeadAttention causal(2, 3, {.value_dim = 5, .output_shape = Shape{7}, .name = "multi_head_attention_1"});
  layers::Attention dot({.use_scale = true, .name = "attention"});
  layers::Attention concat({.score_mode = "concat", .name = "attention_1"});
  layers::AdditiveAttention additive({.name = "additive_attention"});
  layers::GroupQueryAttention gqa(4, 4, 2, {.name = "grouped_query_attention"});
  auto y0 = cross.call({query, value});
  auto y1 = causal.call({query, query}, {{"use_causal_mask", keras::Json(true)}});
  auto y2 = dot(std::vector<keras::KerasTensor>{query, value});
  auto y3 = concat(std::vector<keras::KerasTensor>{query, value});
  auto y4 = additive(std::vector<keras::KerasTensor>{query, value});
  auto y5 = gqa.call({query, value});
  EXPECT_EQ(y0.at(0).shape(), (Shape{-1, 5, 8}));
  EXPECT_EQ(y1.at(0).shape(), (Shape{-1, 5, 7}));
  EXPECT_EQ(y2.shape(), (Shape{-1, 5, 8}));
  EXPECT_EQ(y5.at(0).shape(), (Shape{-1, 5, 8}));
  keras_test::expect_config_matches_fixture(cross, "attention", "multi_head_attention");
  keras_test::expect_config_matches_fixture(causal, "attention", "multi_head_attention_1");
  keras_test::expect_config_matches_fixture(dot, "attention", "attention");
  keras_test::expect_config_matches_fixture(concat, "attention", "attention_1");
  keras_test::expect_config_matches_fixture(additive, "attention", "additive_attention");
  keras_test::expect_config_matches_fixture(gqa, "attention", "grouped_query_attention");
}

TEST(AttentionConfig, EquationsFollowKeras) {
  // Rank-4 projections attending over axis 1, as for (batch, length, features) inputs.
  auto eq = keras::detail::build_attention_equation(4, {1});
  EXPECT_EQ(eq.dot_product, "aecd,abcd->acbe");
  EXPECT_EQ(eq.combine, "acbe,aecd->abcd");
  EXPECT_EQ(eq.scores_rank, 4);
  auto proj = keras::detail::build_proj_equation(2, 1, 2);
  EXPECT_EQ(proj.equation, "abc,cde->abde");
  EXPECT_EQ(proj.bias_axes, "de");
  EXPECT_EQ(proj.output_rank, 4);
  auto out = keras::detail::build_proj_equation(2, 2, 1);
  EXPECT_EQ(out.equation, "abcd,cde->abe");
  // Two attention axes (rank-5 projections of 4-D inputs).
  auto two = keras::detail::build_attention_equation(5, {1, 2});
  EXPECT_EQ(two.dot_product, "afgde,abcde->adbcfg");
  EXPECT_EQ(two.combine, "adbcfg,afgde->abcde");
}

// ------------------------------------------------------ variables & walk

TEST(AttentionVariables, MultiHeadAttentionSublayersAndWalk) {
  keras::clear_session();
  auto q = keras::Input({5, 8});
  auto v = keras::Input({6, 8});
  layers::MultiHeadAttention mha(2, 4, {.use_bias = false, .use_gate = true});
  mha.call({q, v});
  std::vector<std::string> tracked;
  for (const auto& c : mha->tracked_sublayers()) tracked.push_back(c.attribute);
  EXPECT_EQ(tracked, (std::vector<std::string>{"query_dense", "key_dense", "_gate_dense", "value_dense", "_softmax",
                                               "_dropout_layer", "output_dense"}));
  std::vector<std::string> walked;
  for (const auto& c : mha->walk_children()) walked.push_back(c.attribute);
  EXPECT_EQ(walked, (std::vector<std::string>{"key_dense", "output_dense", "query_dense", "value_dense",
                                              "_dropout_layer", "_gate_dense", "_softmax"}));
  auto weights = mha->weights();  // kernels only (no bias), in tracking order
  ASSERT_EQ(weights.size(), 5U);
  EXPECT_EQ(weights[0]->shape(), (Shape{8, 2, 4}));
  EXPECT_EQ(weights[4]->shape(), (Shape{2, 4, 8}));
  EXPECT_EQ(mha->tracked_sublayers()[0].layer->name(), "query");
  EXPECT_EQ(mha->tracked_sublayers()[6].layer->name(), "attention_output");
}

TEST(AttentionVariables, GroupQueryAttentionUsesThePythonClassNameForItsGroup) {
  keras::clear_session();
  auto q = keras::Input({5, 8});
  layers::GroupQueryAttention gqa(4, 4, 2);
  gqa.call({q, q});
  EXPECT_EQ(gqa->name(), "grouped_query_attention");
  EXPECT_EQ(gqa->class_name(), "GroupQueryAttention");
  EXPECT_EQ(keras::to_snake_case(gqa->python_class_name()), "grouped_query_attention");
  std::vector<std::string> walked;
  for (const auto& c : gqa->walk_children()) walked.push_back(c.attribute);
  EXPECT_EQ(walked, (std::vector<std::string>{"_dropout_layer", "_key_dense", "_output_dense", "_query_dense",
                                              "_softmax", "_value_dense"}));
  EXPECT_EQ(gqa->weights().at(2)->shape(), (Shape{8, 2, 4}));  // key kernel: 2 key/value heads
}

TEST(AttentionVariables, SavedModelRoundTrips) {
  keras::clear_session();
  auto q = keras::Input({4, 6});
  auto v = keras::Input({3, 6});
  auto a = layers::MultiHeadAttention(3, 2, {.value_dim = 4}).call({q, v}).at(0);
  auto b = layers::GroupQueryAttention(2, 4, 2).call({q, v}).at(0);
  auto c = layers::AdditiveAttention()(std::vector<keras::KerasTensor>{q, v});
  keras::Model model({q, v}, std::vector<keras::KerasTensor>{a, b, c});
  std::vector<Tensor> inputs = {keras::random::uniform({2, 4, 6}, -1.0F, 1.0F, 3),
                                keras::random::uniform({2, 3, 6}, -1.0F, 1.0F, 4)};
  auto expected = model.predict(inputs);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "m.keras");
  auto got = keras::load_model(dir / "m.keras").predict(inputs);
  ASSERT_EQ(got.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(keras::allclose(got[i], expected[i], 0.0, 0.0)) << i;
}

// ------------------------------------------------- hand-computed numbers

TEST(AttentionMath, DotAttentionWithScaleAndCausalMask) {
  keras::clear_session();
  auto q = keras::Input({2, 1});
  auto v = keras::Input({2, 1});
  layers::Attention plain({.use_scale = true});
  layers::Attention causal;
  auto y0 = plain(std::vector<keras::KerasTensor>{q, v});
  auto y1 = causal.call({std::vector<keras::KerasTensor>{q, v}}, {{"use_causal_mask", keras::Json(true)}}).at(0);
  keras::Model model({q, v}, std::vector<keras::KerasTensor>{y0, y1});
  set_all(plain, {Tensor::scalar(2.0F)});
  auto out =
      model.predict({Tensor::from_vector({1, 2, 1}, {1.0F, -1.0F}), Tensor::from_vector({1, 2, 1}, {3.0F, 5.0F})});
  // Row 0: scores 2*(1*3), 2*(1*5) = 6, 10. Row 1: -6, -10.
  auto row = [](float s0, float s1) {
    const float m = std::max(s0, s1);
    const float e0 = std::exp(s0 - m);
    const float e1 = std::exp(s1 - m);
    return (e0 * 3.0F + e1 * 5.0F) / (e0 + e1);
  };
  auto got = values_of(out[0]);
  EXPECT_NEAR(got[0], row(6.0F, 10.0F), 1e-5);
  EXPECT_NEAR(got[1], row(-6.0F, -10.0F), 1e-5);
  // Causal, unscaled: the first query sees only the first value.
  auto got_causal = values_of(out[1]);
  EXPECT_NEAR(got_causal[0], 3.0F, 1e-6);
  EXPECT_NEAR(got_causal[1], row(-3.0F, -5.0F), 1e-5);
}

TEST(AttentionMath, AdditiveAttentionScores) {
  keras::clear_session();
  auto q = keras::Input({1, 2});
  auto v = keras::Input({2, 2});
  layers::AdditiveAttention additive;
  keras::Model model({q, v}, additive(std::vector<keras::KerasTensor>{q, v}));
  set_all(additive, {Tensor::from_vector({2}, {1.0F, 2.0F})});
  auto out = model.predict(
      {Tensor::from_vector({1, 1, 2}, {0.5F, -0.5F}), Tensor::from_vector({1, 2, 2}, {1.0F, 0.0F, 0.0F, 1.0F})});
  const float s0 = 1.0F * std::tanh(1.5F) + 2.0F * std::tanh(-0.5F);
  const float s1 = 1.0F * std::tanh(0.5F) + 2.0F * std::tanh(0.5F);
  const float w0 = 1.0F / (1.0F + std::exp(s1 - s0));
  auto got = values_of(out[0]);
  EXPECT_NEAR(got[0], w0, 1e-6);
  EXPECT_NEAR(got[1], 1.0F - w0, 1e-6);
}

TEST(AttentionMath, SingleHeadAttentionMatchesSoftmaxFormula) {
  keras::clear_session();
  auto x = keras::Input({3, 1});
  layers::MultiHeadAttention mha(1, 1, {.use_bias = false});
  auto y = mha.call({x, x}, {{"use_causal_mask", keras::Json(true)}}).at(0);
  keras::Model model(x, y);
  Tensor one = Tensor::full({1, 1, 1}, 1.0F);
  set_all(mha, {one, one, one, one});  // query, key, value and output kernels: identity
  auto out = values_of(model.predict(Tensor::from_vector({1, 3, 1}, {1.0F, 2.0F, 3.0F}))[0]);
  const std::vector<float> xs = {1.0F, 2.0F, 3.0F};
  for (int t = 0; t < 3; ++t) {
    float num = 0.0F;
    float den = 0.0F;
    for (int s = 0; s <= t; ++s) {  // causal: keys up to t
      const float w = std::exp(xs[static_cast<std::size_t>(t)] * xs[static_cast<std::size_t>(s)]);
      num += w * xs[static_cast<std::size_t>(s)];
      den += w;
    }
    EXPECT_NEAR(out[static_cast<std::size_t>(t)], num / den, 1e-5) << t;
  }
}

TEST(AttentionMath, ScoresPathAgreesWithFusedPathAndScoresAreDistributions) {
  keras::clear_session();
  auto q = keras::Input({4, 6});
  auto v = keras::Input({5, 6});
  layers::MultiHeadAttention mha(2, 3);
  auto fused = mha.call({q, v}).at(0);
  auto with_scores = mha.call({q, v}, {{"return_attention_scores", keras::Json(true)}});
  ASSERT_EQ(with_scores.size(), 2U);
  keras::Model model({q, v}, std::vector<keras::KerasTensor>{fused, with_scores[0], with_scores[1]});
  auto out = model.predict(
      {keras::random::uniform({2, 4, 6}, -1.0F, 1.0F, 11), keras::random::uniform({2, 5, 6}, -1.0F, 1.0F, 12)});
  EXPECT_TRUE(keras::allclose(out[0], out[1], 1e-5, 1e-6));
  ASSERT_EQ(out[2].shape(), (Shape{2, 2, 4, 5}));
  auto scores = values_of(out[2]);
  for (std::size_t row = 0; row < scores.size() / 5; ++row) {
    float sum = 0.0F;
    for (std::size_t j = 0; j < 5; ++j) sum += scores[row * 5 + j];
    EXPECT_NEAR(sum, 1.0F, 1e-5);
  }
}

TEST(AttentionMath, MaskedValuePositionsAreIgnored) {
  keras::clear_session();
  auto q = keras::Input({3, 4});
  auto v = keras::Input({4, 4});
  auto v_short = keras::Input({3, 4});
  auto value_mask = keras::Input({4}, {.dtype = "bool"});
  layers::MultiHeadAttention mha(2, 2);
  auto masked = mha.call({q, v}, {{"value_mask", value_mask}}).at(0);
  auto truncated = mha.call({q, v_short}).at(0);
  keras::Model model({q, v, v_short, value_mask}, std::vector<keras::KerasTensor>{masked, truncated});
  Tensor qv = keras::random::uniform({1, 3, 4}, -1.0F, 1.0F, 5);
  Tensor vv = keras::random::uniform({1, 4, 4}, -1.0F, 1.0F, 6);
  std::vector<float> vals = values_of(vv);
  for (int j = 12; j < 16; ++j) vals[static_cast<std::size_t>(j)] = 100.0F;  // the masked position
  vv = Tensor::from_vector({1, 4, 4}, vals);
  Tensor short_v = Tensor::from_vector({1, 3, 4}, std::vector<float>(vals.begin(), vals.begin() + 12));
  Tensor mask = Tensor::from_vector({1, 4}, {1, 1, 1, 0}).astype(keras::DType::bool_);
  auto out = model.predict({qv, vv, short_v, mask});
  EXPECT_TRUE(keras::allclose(out[0], out[1], 1e-5, 1e-6)) << keras::max_abs_diff(out[0], out[1]);
}

// Masks from Embedding(mask_zero) reach the attention layers at call time as
// Keras' __call__ fills them: MultiHeadAttention takes query_mask from the
// query itself (an explicit one is ignored) and value_mask from the value;
// Attention takes mask = [query's, value's]. Reshape drops the mask, giving
// the same values unmasked.
TEST(AttentionMasks, EmbeddingMasksReachMultiHeadAttentionAndAttention) {
  keras::clear_session();
  auto ids = keras::Input({4}, {.dtype = "int32"});
  auto m = keras::Input({4}, {.dtype = "bool"});
  layers::Embedding embed(6, 4, {.mask_zero = true});
  auto x = embed(ids);
  auto plain = layers::Reshape({4, 4})(x);
  ASSERT_TRUE(x.keras_mask().has_value());
  ASSERT_FALSE(plain.keras_mask().has_value());
  layers::MultiHeadAttention mha(2, 2);
  auto auto_mha = mha.call({x, x}).at(0);
  EXPECT_TRUE(auto_mha.keras_mask() && *auto_mha.keras_mask() == *x.keras_mask())
      << "the output carries the query's mask";
  auto value_only = mha.call({plain, plain}, {{"value_mask", m}}).at(0);
  auto ignored_query_mask = mha.call({plain, plain}, {{"query_mask", m}, {"value_mask", m}}).at(0);
  layers::Attention att;
  auto auto_att = att(std::vector<keras::KerasTensor>{x, x});
  auto explicit_att =
      att.call({std::vector<keras::KerasTensor>{plain, plain}}, {{"mask", std::vector<keras::KerasTensor>{m, m}}})
          .at(0);
  keras::Model model({ids, m},
                     std::vector<keras::KerasTensor>{auto_mha, value_only, ignored_query_mask, auto_att, explicit_att});
  Tensor id_values = Tensor::from_vector({2, 4}, {3, 1, 0, 0, 2, 5, 4, 0}).astype(keras::DType::int32);
  Tensor mask_values = Tensor::from_vector({2, 4}, {1, 1, 0, 0, 1, 1, 1, 0}).astype(keras::DType::bool_);
  auto out = model.predict({id_values, mask_values});
  EXPECT_TRUE(keras::allclose(out[1], out[2], 0.0, 0.0)) << "an explicit query_mask is ignored";
  EXPECT_TRUE(keras::allclose(out[3], out[4], 1e-6, 1e-6)) << keras::max_abs_diff(out[3], out[4]);
  // Where the query is kept, the automatic masks equal value_mask alone; a
  // masked query row attends to every position alike instead.
  auto a = values_of(out[0]);
  auto b = values_of(out[1]);
  auto masks = values_of(mask_values.astype(keras::DType::float32));
  bool masked_rows_differ = false;
  for (std::size_t row = 0; row < 8; ++row) {
    for (std::size_t f = 0; f < 4; ++f) {
      const float d = std::abs(a[row * 4 + f] - b[row * 4 + f]);
      if (masks[row] != 0.0F)
        EXPECT_LT(d, 1e-5) << "row " << row;
      else
        masked_rows_differ = masked_rows_differ || d > 1e-6;
    }
  }
  EXPECT_TRUE(masked_rows_differ);
  // Attention zeroes the rows of masked queries.
  auto att_values = values_of(out[3]);
  for (std::size_t f = 0; f < 4; ++f) EXPECT_EQ(att_values[2 * 4 + f], 0.0F);
}

// MultiHeadAttention.call reads its query mask from the query tensor itself, then sets the
// masks of its query, value and key tensors to None. Masks that Keras' __call__ fills in at run
// time from a tensor (here the second attention's query and value masks; not those recorded in a
// node) are then gone for every layer Keras runs later. Keras runs a graph by depth, then in
// map_graph's order, so which of two attentions at the same depth runs first depends on the
// output order.
TEST(AttentionMasks, MultiHeadAttentionErasesTheMasksOfItsInputsForLaterLayers) {
  keras::clear_session();
  layers::Embedding embed(6, 4, {.mask_zero = true});
  layers::MultiHeadAttention first(2, 2);
  layers::MultiHeadAttention second(2, 2);
  const Tensor ids = Tensor::from_vector({2, 4}, {3, 1, 0, 0, 2, 5, 4, 0}).astype(keras::DType::int32);
  // References: each attention alone in a model, with the embedding's mask and without any
  // (Reshape drops it).
  std::vector<Tensor> expected;
  for (auto* attention : {&first, &second}) {
    for (const bool masked_query : {true, false}) {
      auto in = keras::Input({4}, {.dtype = "int32"});
      auto x = embed(in);
      auto input = masked_query ? x : layers::Reshape({4, 4})(x);
      expected.push_back(keras::Model(in, attention->call({input, input}).at(0)).predict(ids).at(0));
    }
  }
  ASSERT_GT(keras::max_abs_diff(expected[0], expected[1]), 1e-4) << "the masks matter";
  ASSERT_GT(keras::max_abs_diff(expected[2], expected[3]), 1e-4) << "the masks matter";

  for (const bool first_listed_first : {true, false}) {
    SCOPED_TRACE(first_listed_first ? "outputs [first, second]" : "outputs [second, first]");
    auto ids_in = keras::Input({4}, {.dtype = "int32"});
    auto embedded = embed(ids_in);
    auto a = first.call({embedded, embedded}).at(0);
    auto b = second.call({embedded, embedded}).at(0);
    keras::Model model(std::vector<keras::KerasTensor>{ids_in}, first_listed_first
                                                                    ? std::vector<keras::KerasTensor>{a, b}
                                                                    : std::vector<keras::KerasTensor>{b, a});
    const auto out = model.predict(ids);
    const Tensor& from_first = out[first_listed_first ? 0 : 1];
    const Tensor& from_second = out[first_listed_first ? 1 : 0];
    // Keras meets the later output's node first, so the attention listed last runs first.
    if (first_listed_first) {
      EXPECT_TRUE(keras::allclose(from_second, expected[2], 1e-6, 1e-6)) << "ran first: masked query";
      EXPECT_TRUE(keras::allclose(from_first, expected[1], 1e-6, 1e-6)) << "ran second: masks erased";
    } else {
      EXPECT_TRUE(keras::allclose(from_first, expected[0], 1e-6, 1e-6)) << "ran first: masked query";
      EXPECT_TRUE(keras::allclose(from_second, expected[3], 1e-6, 1e-6)) << "ran second: masks erased";
    }
  }
  // Dropout returns its input object itself at inference: erasing the masks of its output
  // erases those of its input.
  auto ids_in = keras::Input({4}, {.dtype = "int32"});
  auto embedded = embed(ids_in);
  auto b = second.call({embedded, embedded}).at(0);
  auto dropped = layers::Dropout(0.5)(embedded);
  auto a = first.call({dropped, dropped}).at(0);
  keras::Model model(std::vector<keras::KerasTensor>{ids_in}, std::vector<keras::KerasTensor>{b, a});
  const auto out = model.predict(ids);
  EXPECT_TRUE(keras::allclose(out[1], expected[0], 1e-6, 1e-6)) << "ran first (one depth deeper): masked";
  EXPECT_TRUE(keras::allclose(out[0], expected[3], 1e-6, 1e-6)) << "the same object: masks erased";
}

TEST(AttentionMath, GroupQueryAttentionWithOneGroupPerHeadEqualsMultiHeadAttention) {
  keras::clear_session();
  auto q = keras::Input({3, 4});
  auto v = keras::Input({5, 4});
  layers::MultiHeadAttention mha(2, 3);
  layers::GroupQueryAttention gqa(3, 2, 2);
  keras::Model model({q, v}, std::vector<keras::KerasTensor>{mha.call({q, v}).at(0), gqa.call({q, v}).at(0)});
  // Same variable order and shapes: query, key, value, output (kernel, bias each).
  auto a = mha->weights();
  auto b = gqa->weights();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i]->shape(), b[i]->shape()) << i;
    Tensor value = keras::random::uniform(a[i]->shape(), -0.5F, 0.5F, 20 + i);
    a[i]->assign(value);
    b[i]->assign(value);
  }
  auto out = model.predict(
      {keras::random::uniform({2, 3, 4}, -1.0F, 1.0F, 1), keras::random::uniform({2, 5, 4}, -1.0F, 1.0F, 2)});
  EXPECT_TRUE(keras::allclose(out[0], out[1], 1e-5, 1e-6)) << keras::max_abs_diff(out[0], out[1]);
}

TEST(AttentionErrors, BadArgumentsAreRefused) {
  EXPECT_THROW(layers::MultiHeadAttention(0, 4), keras::ValueError);
  EXPECT_THROW(layers::GroupQueryAttention(4, 3, 2), keras::ValueError);
  EXPECT_THROW(layers::Attention({.score_mode = "cosine"}), keras::ValueError);
  auto q = keras::Input({5, 8});
  auto k = keras::Input({6, 8});
  auto v = keras::Input({7, 8});
  EXPECT_THROW(layers::MultiHeadAttention(2, 4).call({q, v, k}), keras::ValueError);
}

}  // namespace
