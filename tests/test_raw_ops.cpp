// Raw operations (keras.src.ops.* graph nodes): the raw_ops fixture,
// keras::ops on symbolic tensors, their configs, shapes, dtypes and values.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "keras/ops.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

namespace ops = keras::ops;
using keras::Json;
using keras::KerasTensor;
using keras::Tensor;
using ops::Slice;
using ops::with_name;

TEST(RawOpsFixture, PredictsAndConvertsLikeKeras) { keras_test::expect_fixture_matches("raw_ops"); }

// The fixture's model, written with keras::ops and operators as the Python
// script wrote it (names as Keras' process-wide counters gave them).
keras::Model build_raw_ops_model() {
  auto a = keras::Input({4, 6}, {.name = "a"});
  auto b = keras::Input({4, 6}, {.name = "b"});
  auto d = keras::layers::Dense(6, {.name = "dense_6"})(a);
  std::vector<KerasTensor> outputs;
  outputs.push_back(with_name(d + b, "add_1"));
  outputs.push_back(with_name(with_name(d * b, "multiply_1") - a, "subtract_1"));
  outputs.push_back(with_name(a / with_name(with_name(ops::absolute(b), "absolute") + 1.0, "add_2"), "true_divide"));
  outputs.push_back(ops::mean(d, 1));
  outputs.push_back(ops::sum(with_name(a * b, "multiply_2"), -1, /*keepdims=*/true));
  outputs.push_back(ops::max(d, 2));
  outputs.push_back(ops::matmul(a, ops::transpose(b, std::vector<int>{0, 2, 1})));
  outputs.push_back(with_name(ops::reshape(d, {-1, 3, 8}), "reshape_1"));
  outputs.push_back(with_name(ops::concatenate({a, d}, 1), "concatenate_2"));
  outputs.push_back(ops::expand_dims(ops::squeeze(with_name(ops::mean(b, 1, true), "mean_1"), 1), -1));
  outputs.push_back(ops::get_item(d, {Slice(), Slice(1, 3), Slice(std::nullopt, std::nullopt, 2)}));
  auto add_3 = with_name(ops::tanh(d) + ops::exp(-ops::square(b)), "add_3");
  outputs.push_back(with_name(add_3 + ops::sqrt(with_name(ops::absolute(a), "absolute_1")), "add_4"));
  auto add_5 = with_name(ops::clip(d, -0.2, 0.3) + with_name(ops::maximum(a, b), "maximum_1"), "add_5");
  outputs.push_back(with_name(add_5 + ops::power(with_name(ops::absolute(b), "absolute_2"), 1.5), "add_6"));
  auto add_7 = with_name(with_name(ops::softmax(d), "softmax_8") + ops::sigmoid(a), "add_7");
  outputs.push_back(with_name(add_7 + ops::relu(b), "add_8"));
  outputs.push_back(ops::where(a > b, a, with_name(b * 2.0, "multiply_3")));
  auto positive = ops::cast(with_name(a > 0.0, "greater_1"), "float32");
  auto add_9 = with_name(with_name(ops::absolute(b), "absolute_3") + 1.0, "add_9");
  outputs.push_back(with_name(positive + ops::log(add_9), "add_10"));
  return keras::Model({a, b}, outputs, "functional_28");
}

TEST(RawOpsBuiltInCpp, ConfigEqualsTheFixture) {
  keras::clear_session();
  keras::Model model = build_raw_ops_model();
  keras_test::expect_model_config_matches_fixture(model, "raw_ops");
}

TEST(RawOpsBuiltInCpp, PredictsTheFixtureWithItsWeights) {
  keras::clear_session();
  keras::Model model = build_raw_ops_model();
  keras::Model loaded = keras::load_model(keras_test::fixture_dir("raw_ops") / "model.keras");
  model.set_weights(loaded.get_weights());
  auto inputs = keras_test::fixture_inputs("raw_ops");
  auto expected = keras_test::fixture_outputs("raw_ops");
  auto outputs = model.predict(inputs);
  ASSERT_EQ(outputs.size(), expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i)
    keras_test::expect_close(outputs[i], expected[i], 1e-5, 1e-4, "output " + std::to_string(i));
}

TEST(RawOps, AutoNamesFollowTheSharedCounters) {
  keras::clear_session();
  auto x = keras::Input({3});
  auto s1 = ops::add(x, 1.0);
  auto s2 = ops::add(x, 2.0);
  auto layer = keras::layers::Dense(2);  // "dense": its own counter
  EXPECT_EQ(s1.node()->operation->name(), "add");
  EXPECT_EQ(s2.node()->operation->name(), "add_1");
  EXPECT_EQ(ops::get_item(x, 0).node()->operation->name(), "get_item");
  EXPECT_EQ(ops::true_divide(x, 2).node()->operation->name(), "true_divide");
  EXPECT_EQ(layer->name(), "dense");
}

TEST(RawOps, ConstantsKeepPythonNumberTypes) {
  auto ids = keras::Input({5}, {.dtype = "int32"});
  auto x = keras::Input({5});
  auto int_mask = ops::not_equal(ids, 0);
  auto float_mask = ops::not_equal(x, 0.0);
  EXPECT_TRUE(int_mask.node()->args[1].is_number_integer());
  EXPECT_TRUE(float_mask.node()->args[1].is_number_float());
  EXPECT_EQ(int_mask.dtype(), keras::DType::bool_);
  // 0.1F is recorded as Python's 0.1, not as the widened float32 value.
  auto scaled = x * 0.1F;
  EXPECT_EQ(keras::dump_json_like_python(scaled.node()->args[1]), "0.1");
  auto clipped = ops::clip(x, -1, 1);
  EXPECT_EQ(keras::dump_json_like_python(clipped.node()->operation->get_config()),
            R"({"name": ")" + clipped.node()->operation->name() + R"(", "x_min": -1, "x_max": 1})");
}

TEST(RawOps, DtypePromotionFollowsKeras) {
  auto ids = keras::Input({5}, {.dtype = "int32"});
  auto x = keras::Input({5});
  auto h = keras::Input({5}, {.dtype = "float16"});
  EXPECT_EQ((ids + 1).dtype(), keras::DType::int32);
  EXPECT_EQ((ids + 1.0).dtype(), keras::DType::float32);
  EXPECT_EQ((ids / 2).dtype(), keras::DType::float32);
  EXPECT_EQ((ids + x).dtype(), keras::DType::float32);
  EXPECT_EQ((h + 1.0).dtype(), keras::DType::float16);
  EXPECT_EQ((h + x).dtype(), keras::DType::float32);
  EXPECT_EQ(ops::mean(ids).dtype(), keras::DType::float32);
  EXPECT_EQ(ops::sum(ops::cast(ids, "bool")).dtype(), keras::DType::int32);
  EXPECT_EQ(ops::any(ids > 3, -1).dtype(), keras::DType::bool_);
  EXPECT_EQ(ops::exp(ids).dtype(), keras::DType::float32);
  EXPECT_EQ(ops::argmax(x, -1).dtype(), keras::DType::int32);
}

TEST(RawOps, ShapesFollowKeras) {
  auto x = keras::Input({4, 6});
  EXPECT_EQ(ops::mean(x, {1, 2}, true).shape(), (keras::Shape{-1, 1, 1}));
  EXPECT_EQ(ops::sum(x).shape(), keras::Shape{});
  EXPECT_EQ(ops::reshape(x, {-1, 8, 3}).shape(), (keras::Shape{-1, 8, 3}));
  EXPECT_EQ(ops::transpose(x).shape(), (keras::Shape{6, 4, -1}));
  EXPECT_EQ(ops::get_item(x, {ops::ellipsis, 0}).shape(), (keras::Shape{-1, 4}));
  EXPECT_EQ(ops::get_item(x, {Slice(), ops::newaxis, Slice(-3, std::nullopt)}).shape(), (keras::Shape{-1, 1, 3, 6}));
  EXPECT_EQ(ops::get_item(x, Slice(0, 2)).shape(), (keras::Shape{-1, 4, 6}));
  EXPECT_EQ(ops::expand_dims(x, 1).shape(), (keras::Shape{-1, 1, 4, 6}));
  EXPECT_EQ(ops::concatenate({x, x}, -1).shape(), (keras::Shape{-1, 4, 12}));
  EXPECT_EQ(ops::stack({x, x}, 1).shape(), (keras::Shape{-1, 2, 4, 6}));
  auto v = keras::Input({6});
  EXPECT_EQ(ops::matmul(x, ops::expand_dims(v, -1)).shape(), (keras::Shape{-1, 4, 1}));
  EXPECT_THROW(ops::squeeze(x, 1), keras::ValueError);
  EXPECT_THROW(ops::get_item(x, {0, 0, 0, 0}), keras::ValueError);
  EXPECT_THROW(ops::get_item(x, {Slice(), 7}), keras::ValueError);
  EXPECT_THROW(ops::add(x, keras::Input({5})), keras::ShapeMismatchError);
}

TEST(RawOps, SlicesAreEncodedAsKerasDoes) {
  auto x = keras::Input({4, 6});
  auto y = ops::get_item(x, {ops::ellipsis, Slice(1, std::nullopt, -1), ops::newaxis});
  EXPECT_EQ(keras::dump_json_like_python(y.node()->args[1]),
            R"([{"class_name": "__ellipsis__", "config": {}}, )"
            R"({"class_name": "__slice__", "config": {"start": 1, "stop": null, "step": -1}}, null])");
  auto z = ops::get_item(x, 2);
  EXPECT_EQ(z.node()->args[1], Json(2));
}

// Runs a one-input model built from `make` on `input`.
Tensor run(const Tensor& input, const std::function<KerasTensor(const KerasTensor&)>& make,
           const std::string& dtype = "float32") {
  keras::Shape shape(input.shape().begin() + 1, input.shape().end());
  auto x = keras::Input(shape, {.dtype = dtype});
  keras::Model model(x, make(x));
  return model.predict(input).at(0);
}

TEST(RawOps, ComputeHandCheckedValues) {
  Tensor x = Tensor::from_vector({2, 3}, {1, -2, 3, 0, 5, -6});
  EXPECT_EQ(run(x, [](const KerasTensor& t) { return 1.0 - t; }).to_vector(), (std::vector<float>{0, 3, -2, 1, -4, 7}));
  EXPECT_EQ(run(x,
                [](const KerasTensor& t) {
                  return ops::get_item(t, {Slice(), Slice(std::nullopt, std::nullopt, -2)});
                })
                .to_vector(),
            (std::vector<float>{3, 1, -6, 0}));
  EXPECT_EQ(run(x,
                [](const KerasTensor& t) {
                  return ops::get_item(t, {Slice(), -1});
                })
                .to_vector(),
            (std::vector<float>{3, -6}));
  EXPECT_EQ(run(x, [](const KerasTensor& t) { return ops::max(t, -1, true); }).shape(), (keras::Shape{2, 1}));
  EXPECT_EQ(run(x, [](const KerasTensor& t) { return ops::sum(t, -1); }).to_vector(), (std::vector<float>{2, -1}));
  Tensor mask = run(x, [](const KerasTensor& t) { return ops::any(ops::not_equal(t, 0.0), -1); });
  EXPECT_EQ(mask.dtype(), keras::DType::bool_);
  EXPECT_EQ(mask.to_vector(), (std::vector<float>{1, 1}));
  Tensor ids = Tensor::from_vector_i64({1, 4}, {0, 3, 0, 7}, keras::DType::int32);
  Tensor id_mask = run(
      ids, [](const KerasTensor& t) { return ops::not_equal(t, 0); }, "int32");
  EXPECT_EQ(id_mask.to_vector(), (std::vector<float>{0, 1, 0, 1}));
  Tensor halves = run(
      ids, [](const KerasTensor& t) { return t / 2; }, "int32");
  EXPECT_EQ(halves.dtype(), keras::DType::float32);
  EXPECT_EQ(halves.to_vector(), (std::vector<float>{0, 1.5F, 0, 3.5F}));
  Tensor sums = run(
      ids, [](const KerasTensor& t) { return t + 1; }, "int32");
  EXPECT_EQ(sums.dtype(), keras::DType::int32);
  EXPECT_EQ(sums.to_vector_i64(), (std::vector<std::int64_t>{1, 4, 1, 8}));
  Tensor picked = run(x, [](const KerasTensor& t) { return ops::where(t > 0.0, t, 0.0); });
  EXPECT_EQ(picked.to_vector(), (std::vector<float>{1, 0, 3, 0, 5, 0}));
}

TEST(RawOps, UnknownOperationIsATypedError) {
  Json config = Json::parse(R"({"module": "keras.src.ops.numpy", "class_name": "Frobnicate",
                                "config": {"name": "frob"}, "registered_name": "Frobnicate"})");
  EXPECT_THROW(keras::saving::deserialize_operation(config), keras::UnknownObjectError);
  Json missing = Json::parse(R"({"module": "keras.src.ops.numpy", "class_name": "Clip",
                                 "config": {"name": "clip"}, "registered_name": "Clip"})");
  EXPECT_THROW(keras::saving::deserialize_operation(missing), keras::FormatError);
}

TEST(RawOps, ConfigRoundTripsWithDefaults) {
  // An older file without Max's `initial`: Keras fills the default in.
  Json config = Json::parse(R"({"module": "keras.src.ops.numpy", "class_name": "Max",
                                "config": {"name": "max_7", "axis": [1, 2]}, "registered_name": "Max"})");
  auto op = keras::saving::deserialize_operation(config);
  EXPECT_EQ(op->name(), "max_7");
  EXPECT_EQ(keras::dump_json_like_python(keras::saving::serialize_operation(*op)),
            R"({"module": "keras.src.ops.numpy", "class_name": "Max", "config": {"name": "max_7", "axis": [1, 2], )"
            R"("keepdims": false, "initial": null}, "registered_name": "Max"})");
}

}  // namespace
