// Losses and metrics against Keras 3.16: every case of the losses_metrics
// fixture (48 loss values, 19 metric results) to 1e-6 relative, config round
// trips, reductions, masks, and the gradients of every loss class.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "keras/keras.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "support/fixture_check.hpp"
#include "support/gradient_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Tensor;

const Json& cases() { return keras_test::losses_metrics_cases(); }

const Tensor& array(const Json& key) { return keras_test::losses_metrics_arrays().at(key.get<std::string>()); }

// |actual - expected| <= 1e-6 |expected| elementwise (1e-7 absolute for exact zeros).
void expect_relative(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size())
      << what << ": " << keras::shape_to_string(actual.shape()) << " vs " << keras::shape_to_string(expected.shape());
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const double e = expected.at(i);
    EXPECT_NEAR(actual.at(i), e, std::max(1e-6 * std::abs(e), 1e-7)) << what << " element " << i;
  }
}

class LossCase : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LossCase, ReproducesKeras) {
  const Json& c = cases().at("losses").at(GetParam());
  const std::string what = c.at("config").at("class_name").get<std::string>() + " case " + std::to_string(GetParam());
  expect_relative(keras_test::losses_metrics_value("losses", GetParam()), array(c.at("value")), what);
  // The config round-trips exactly.
  keras::LossPtr loss = keras::losses::deserialize(c.at("config"));
  EXPECT_EQ(keras::dump_json_like_python(loss->serialize()), keras::dump_json_like_python(c.at("config"))) << what;
}

INSTANTIATE_TEST_SUITE_P(Keras316, LossCase, ::testing::Range<std::size_t>(0, 48));

TEST(LossCases, FixtureHoldsAllCases) {
  EXPECT_EQ(cases().at("losses").size(), 48U);
  EXPECT_EQ(cases().at("metrics").size(), 19U);
}

class MetricCase : public ::testing::TestWithParam<std::size_t> {};

TEST_P(MetricCase, ReproducesKeras) {
  const Json& c = cases().at("metrics").at(GetParam());
  const std::string what = c.at("config").at("class_name").get<std::string>() + " case " + std::to_string(GetParam());
  expect_relative(keras_test::losses_metrics_value("metrics", GetParam()), array(c.at("value")), what);
  keras::MetricPtr metric = keras::metrics::deserialize(c.at("config"));
  EXPECT_EQ(keras::dump_json_like_python(metric->serialize()), keras::dump_json_like_python(c.at("config"))) << what;
  // reset_state() starts over: the same batches give the same result twice.
  const Tensor& y_true = array(c.at("y_true"));
  const Tensor& y_pred = array(c.at("y_pred"));
  for (int pass = 0; pass < 2; ++pass) {
    metric->reset_state();
    for (const auto& batch : c.at("batches")) {
      const auto start = batch.at(0).get<std::int64_t>();
      const auto end = batch.at(1).get<std::int64_t>();
      metric->update_state(keras_test::first_axis_rows(y_true, start, end),
                           keras_test::first_axis_rows(y_pred, start, end));
    }
    expect_relative(metric->result(), array(c.at("value")), what + " after reset_state");
  }
}

INSTANTIATE_TEST_SUITE_P(Keras316, MetricCase, ::testing::Range<std::size_t>(0, 19));

// ------------------------------------------------------------ reductions

Tensor vec(const std::vector<float>& v) { return Tensor::from_vector({static_cast<std::int64_t>(v.size())}, v); }
Tensor mat(std::int64_t rows, std::int64_t cols, const std::vector<float>& v) {
  return Tensor::from_vector({rows, cols}, v);
}

TEST(LossReduction, EveryReductionAsKerasDefinesIt) {
  // Per-sample MSE of these rows: 1, 4, 9.
  Tensor y_true = mat(3, 1, {0, 0, 0});
  Tensor y_pred = mat(3, 1, {1, 2, 3});
  Tensor sw = vec({1, 0.5, 0});
  auto value = [&](keras::Reduction r, const Tensor& weights) {
    return (*keras::losses::MeanSquaredError({.reduction = r}))(y_true, y_pred, weights);
  };
  EXPECT_FLOAT_EQ(value("sum_over_batch_size", {}).item(), 14.0F / 3.0F);
  EXPECT_FLOAT_EQ(value("mean", {}).item(), 14.0F / 3.0F);
  EXPECT_FLOAT_EQ(value("sum", {}).item(), 14.0F);
  EXPECT_EQ(value("none", {}).to_vector(), (std::vector<float>{1, 4, 9}));
  EXPECT_EQ(value(std::nullopt, {}).to_vector(), (std::vector<float>{1, 4, 9}));
  // Weighted: sum_over_batch_size divides by the number of values, not the weights.
  EXPECT_FLOAT_EQ(value("sum_over_batch_size", sw).item(), 3.0F / 3.0F);
  EXPECT_FLOAT_EQ(value("mean_with_sample_weight", sw).item(), 3.0F / 1.5F);
  EXPECT_FLOAT_EQ(value("sum", sw).item(), 3.0F);
  EXPECT_THROW(keras::losses::MeanSquaredError({.reduction = "average"}), keras::ValueError);
}

TEST(LossReduction, IgnoreClassMasksTheMean) {
  // Two valid samples of three: the mean runs over the valid ones only.
  Tensor y_true = vec({0, 2, 1});
  Tensor y_pred = mat(3, 3, {0.7F, 0.2F, 0.1F, 0.1F, 0.1F, 0.8F, 0.2F, 0.6F, 0.2F});
  auto loss = keras::losses::SparseCategoricalCrossentropy({.ignore_class = 2});
  const float expected = -(std::log(0.7F) + std::log(0.6F)) / 2.0F;
  EXPECT_NEAR((*loss)(y_true, y_pred).item(), expected, 1e-6);
  auto summed = keras::losses::SparseCategoricalCrossentropy({.ignore_class = 2, .reduction = "sum"});
  EXPECT_NEAR((*summed)(y_true, y_pred).item(), 2.0F * expected, 1e-6);
}

TEST(LossConfig, CppOptionsSerializeLikeKeras) {
  auto bce = keras::losses::BinaryCrossentropy({.from_logits = true, .label_smoothing = 0.1});
  EXPECT_EQ(keras::dump_json_like_python(bce->serialize()),
            R"({"module": "keras.losses", "class_name": "BinaryCrossentropy", "config": {"name": )"
            R"("binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": )"
            R"(0.1, "axis": -1}, "registered_name": null})");
  auto huber = keras::losses::get("Huber");
  EXPECT_EQ(huber->name(), "huber_loss");
  EXPECT_EQ(huber->get_config().at("delta"), 1.0);
  // Strings compile() accepts: functions and their aliases become LossFunctionWrappers.
  auto mse = keras::losses::get("mse");
  EXPECT_EQ(mse->class_name(), "LossFunctionWrapper");
  EXPECT_EQ(mse->name(), "mse");
  EXPECT_THROW(keras::losses::get("no_such_loss"), keras::ValueError);
  EXPECT_THROW(keras::losses::deserialize(Json{{"module", "keras.losses"},
                                               {"class_name", "Huber"},
                                               {"config", {{"delta", 1.0}, {"colour", "red"}}},
                                               {"registered_name", nullptr}}),
               keras::ValueError);
  EXPECT_THROW(keras::losses::deserialize(Json{{"module", "my_package"},
                                               {"class_name", "MyLoss"},
                                               {"config", Json::object()},
                                               {"registered_name", "my_package>MyLoss"}}),
               keras::UnknownObjectError);
}

// A custom loss registered in C++ is found by its registered name.
class AbsoluteCubed final : public keras::Loss {
 public:
  AbsoluteCubed() : Loss("absolute_cubed", keras::kSumOverBatchSize) {}
  std::string class_name() const override { return "AbsoluteCubed"; }
  std::string module() const override { return "my_package"; }
  std::optional<std::string> registered_name() const override { return "my_package>AbsoluteCubed"; }
  keras::LossValues call(const keras::ad::Var& y_true, const keras::ad::Var& y_pred) const override {
    keras::ad::Var d = keras::ad::abs(y_pred - y_true);
    return {keras::ad::mean(d * d * d, {-1}), {}};
  }
};

TEST(LossConfig, CustomLossRegisteredInCpp) {
  keras::losses::register_loss("my_package>AbsoluteCubed",
                               [](const Json&) { return std::make_shared<AbsoluteCubed>(); });
  AbsoluteCubed original;
  keras::LossPtr loaded = keras::losses::deserialize(original.serialize());
  ASSERT_NE(dynamic_cast<AbsoluteCubed*>(loaded.get()), nullptr);
  EXPECT_FLOAT_EQ((*loaded)(mat(2, 1, {0, 0}), mat(2, 1, {1, -2})).item(), 4.5F);
}

TEST(MetricConfig, NamesAndEnvelopes) {
  auto m = keras::metrics::get("mse");
  EXPECT_EQ(m->class_name(), "MeanSquaredError");
  EXPECT_EQ(m->name(), "mean_squared_error");
  EXPECT_EQ(keras::metrics::get("sparse_top_k_categorical_accuracy")->class_name(), "SparseTopKCategoricalAccuracy");
  EXPECT_EQ(keras::metrics::get("AUC")->get_config().at("num_thresholds"), 200);
  EXPECT_THROW(keras::metrics::get("no_such_metric"), keras::ValueError);
  EXPECT_THROW(keras::metrics::from_config("Precision", {{"thresholds", 1.5}}), keras::ValueError);
  EXPECT_THROW(keras::metrics::from_config("IoU", {{"num_classes", 2}}), keras::ValueError);
  // Every class Keras lists can be built with its defaults (or its required arguments).
  const std::map<std::string, Json> required = {{"PrecisionAtRecall", {{"recall", 0.5}}},
                                                {"RecallAtPrecision", {{"precision", 0.5}}},
                                                {"SensitivityAtSpecificity", {{"specificity", 0.5}}},
                                                {"SpecificityAtSensitivity", {{"sensitivity", 0.5}}},
                                                {"IoU", {{"num_classes", 3}, {"target_class_ids", {0, 1}}}},
                                                {"MeanIoU", {{"num_classes", 3}}},
                                                {"OneHotIoU", {{"num_classes", 3}, {"target_class_ids", {1}}}},
                                                {"OneHotMeanIoU", {{"num_classes", 3}}},
                                                {"MeanMetricWrapper", {{"fn", "mean_squared_error"}}}};
  for (const auto& cls : keras::metrics::builtin_class_names()) {
    auto it = required.find(cls);
    keras::MetricPtr metric = keras::metrics::from_config(cls, it == required.end() ? Json::object() : it->second);
    EXPECT_EQ(metric->class_name(), cls);
    // Its serialized form builds the same config again.
    EXPECT_EQ(keras::dump_json_like_python(keras::metrics::deserialize(metric->serialize())->get_config()),
              keras::dump_json_like_python(metric->get_config()))
        << cls;
  }
}

TEST(Metrics, MeanWeightsAndMasks) {
  keras::metrics::Mean mean;
  mean.update_values(vec({1, 2, 3}));
  mean.update_values(vec({10, 20}), vec({1, 0}));
  EXPECT_FLOAT_EQ(mean.result().item(), 16.0F / 4.0F);
  mean.reset_state();
  EXPECT_FLOAT_EQ(mean.result().item(), 0.0F);
  // Sample weights over a rank-2 value are averaged per sample.
  keras::metrics::Mean rows;
  rows.update_values(mat(2, 2, {1, 3, 5, 7}), vec({1, 3}));
  EXPECT_FLOAT_EQ(rows.result().item(), (2.0F * 1 + 6.0F * 3) / 4.0F);
}

TEST(Metrics, AccuracyFunctions) {
  EXPECT_EQ(keras::metrics::binary_accuracy(vec({1, 0, 1}), vec({0.7F, 0.6F, 0.2F})).to_vector(),
            (std::vector<float>{1, 0, 0}));
  EXPECT_EQ(keras::metrics::sparse_categorical_accuracy(vec({2, 0}), mat(2, 3, {0.1F, 0.2F, 0.7F, 0.1F, 0.8F, 0.1F}))
                .to_vector(),
            (std::vector<float>{1, 0}));
  // in_top_k counts ties as hits.
  EXPECT_EQ(keras::metrics::sparse_top_k_categorical_accuracy(vec({2}), mat(1, 3, {0.5F, 0.5F, 0.5F}), 1).to_vector(),
            (std::vector<float>{1}));
}

// ------------------------------------------------------------ gradients

// Every loss class is differentiable in y_pred: reverse mode against central
// differences in double through the same float32 code.
TEST(LossGradients, EveryClassMatchesFiniteDifferences) {
  const Tensor probs = mat(4, 3, {0.2F, 0.3F, 0.5F, 0.6F, 0.1F, 0.3F, 0.25F, 0.25F, 0.5F, 0.1F, 0.7F, 0.2F});
  const Tensor onehot = mat(4, 3, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0});
  const Tensor labels = vec({2, 0, 1, 1});
  const Tensor logits = mat(4, 3, {0.4F, -1.2F, 2.0F, 0.3F, 0.8F, -0.5F, -0.1F, 1.1F, 0.2F, 1.5F, -0.7F, 0.3F});
  const Tensor real = mat(4, 3, {0.4F, 1.2F, 2.0F, 0.3F, 0.8F, 0.5F, 0.1F, 1.1F, 0.2F, 1.5F, 0.7F, 0.3F});
  const Tensor sw = vec({1.0F, 0.5F, 2.0F, 0.0F});
  struct Case {
    std::string class_name;
    Json config;
    const Tensor& y_true;
    const Tensor& y_pred;
  };
  const std::vector<Case> all = {
      {"MeanSquaredError", {}, real, logits},
      {"MeanAbsoluteError", {}, real, logits},
      {"MeanAbsolutePercentageError", {}, real, logits},
      {"MeanSquaredLogarithmicError", {}, real, probs},
      {"CosineSimilarity", {}, real, logits},
      {"Huber", {{"delta", 0.7}}, real, logits},
      {"LogCosh", {}, real, logits},
      {"Hinge", {}, onehot, logits},
      {"SquaredHinge", {}, onehot, logits},
      {"CategoricalHinge", {}, onehot, logits},
      {"KLDivergence", {}, probs, probs},
      {"Poisson", {}, real, probs},
      {"BinaryCrossentropy", {}, onehot, probs},
      {"BinaryCrossentropy", {{"from_logits", true}, {"label_smoothing", 0.1}}, onehot, logits},
      {"BinaryFocalCrossentropy", {{"apply_class_balancing", true}}, onehot, probs},
      {"CategoricalCrossentropy", {}, onehot, probs},
      {"CategoricalCrossentropy", {{"from_logits", true}, {"label_smoothing", 0.2}}, onehot, logits},
      {"CategoricalFocalCrossentropy", {{"from_logits", true}}, onehot, logits},
      {"SparseCategoricalCrossentropy", {}, labels, probs},
      {"SparseCategoricalCrossentropy", {{"from_logits", true}, {"ignore_class", 0}}, labels, logits},
      {"Dice", {}, onehot, probs},
      {"Tversky", {{"alpha", 0.3}, {"beta", 0.7}}, onehot, probs},
      {"Circle", {}, labels, probs},
      {"CategoricalGeneralizedCrossEntropy", {}, labels, probs},
  };
  for (const auto& c : all) {
    keras::LossPtr loss = keras::losses::deserialize(Json{{"module", "keras.losses"},
                                                          {"class_name", c.class_name},
                                                          {"config", c.config.is_null() ? Json::object() : c.config},
                                                          {"registered_name", nullptr}});
    auto f = [&](const keras::ad::Var& p) { return loss->compute(keras::ad::Var(c.y_true), p, sw); };
    keras_test::expect_gradient_matches(f, c.y_pred, {.rtol = 2e-2, .atol = 2e-3}, c.class_name);
  }
}

}  // namespace
