// Quantized models (Keras 3.16's model.quantize): the int8 and int4 fixtures
// predict and convert as Keras wrote them, dtype policies and quantization
// configs round trip, the quantizers give Keras' documented values, and
// Model::quantize on the fixtures' float weights gives Keras' quantized files.
#include <gtest/gtest.h>

#include <filesystem>

#include "keras/keras.hpp"
#include "layers/core/quantization.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::DType;
using keras::DTypePolicy;
using keras::Json;
using keras::Tensor;
namespace L = keras::layers;
namespace quant = keras::detail::quant;
namespace fs = std::filesystem;

// ------------------------------------------------------------------ fixtures

TEST(QuantizedFixtures, Int8MatchesKeras) { keras_test::expect_fixture_matches("quantized_int8"); }
TEST(QuantizedFixtures, Int4MatchesKeras) { keras_test::expect_fixture_matches("quantized_int4"); }

TEST(QuantizedFixtures, ConfigsRoundTripExactly) {
  for (const char* name : {"quantized_int8", "quantized_int4"}) {
    auto model = keras::load_model(keras_test::fixture_dir(name) / "model.keras");
    keras_test::expect_model_config_matches_fixture(model, name);
  }
}

// ------------------------------------------------------------- dtype policies

Json parse(const std::string& text) { return Json::parse(text); }

TEST(QuantizedPolicies, RoundTripKerasEnvelopes) {
  for (const char* text : {
           R"({"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
               "config": {"mode": "int8", "source_name": "float32"}, "registered_name": null})",
           R"({"module": "keras.dtype_policies", "class_name": "Int4DTypePolicy",
               "config": {"mode": "int4/128", "source_name": "float32"}, "registered_name": null})",
           R"({"module": "keras.dtype_policies", "class_name": "Int4DTypePolicy",
               "config": {"mode": "int4/-1", "source_name": "mixed_bfloat16"}, "registered_name": null})",
           R"({"module": "keras.dtype_policies", "class_name": "QuantizedFloat8DTypePolicy",
               "config": {"mode": "float8", "source_name": "float32", "amax_history_length": 16},
               "registered_name": null})",
           R"({"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
               "config": {"mode": "int4", "source_name": "float32"}, "registered_name": null})"}) {
    const Json envelope = parse(text);
    EXPECT_EQ(keras::dump_json_like_python(DTypePolicy::from_json(envelope).serialize()),
              keras::dump_json_like_python(envelope));
  }
}

TEST(QuantizedPolicies, NamesAsKerasParsesThem) {
  EXPECT_EQ(DTypePolicy("int8_from_float32").quantization_mode(), "int8");
  EXPECT_EQ(DTypePolicy("int8_from_mixed_bfloat16").compute_dtype(), DType::bfloat16);
  EXPECT_EQ(DTypePolicy("int8_from_mixed_bfloat16").variable_dtype(), DType::float32);
  EXPECT_EQ(DTypePolicy("int4/64_from_float32").int4_block_size(), 64);
  EXPECT_EQ(DTypePolicy("int4/None_from_float32").name(), "int4/-1_from_float32");  // older files
  EXPECT_FALSE(DTypePolicy("int4_from_float32").int4_block_size().has_value());     // legacy per channel
  EXPECT_EQ(DTypePolicy("float8_from_float32").amax_history_length(), 1024);
  EXPECT_EQ(DTypePolicy("float8_from_float32").serialize().at("class_name"), "QuantizedFloat8DTypePolicy");
  EXPECT_FALSE(DTypePolicy("float32").quantized());
  EXPECT_THROW(DTypePolicy("int8_float32"), keras::ValueError);
  EXPECT_THROW(DTypePolicy("int8_from_float16"), keras::ValueError);  // Keras refuses int8 in float16
  EXPECT_THROW(DTypePolicy("int4/0_from_float32"), keras::ValueError);
  EXPECT_THROW(DTypePolicy("int4/x_from_float32"), keras::ValueError);
  EXPECT_THROW(DTypePolicy("int8_from_float99"), keras::ValueError);
  EXPECT_THROW(DTypePolicy("gptq/4/128_from_float32"), keras::NotImplementedError);
  EXPECT_THROW(DTypePolicy::from_json(parse(R"({"class_name": "DTypePolicyMap", "config": {}})")),
               keras::NotImplementedError);
}

TEST(QuantizedPolicies, OnlyQuantizableLayersAcceptThem) {
  Json conv = parse(R"({"module": "keras.layers", "class_name": "LayerNormalization", "config": {
      "name": "ln", "dtype": {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
      "config": {"mode": "int8", "source_name": "float32"}, "registered_name": null}}})");
  try {
    keras::saving::deserialize_operation(conv);
    FAIL() << "a quantized LayerNormalization loaded";
  } catch (const keras::NotImplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("'ln'"), std::string::npos) << e.what();
  }
}

// --------------------------------------------------------------- quantizers

TEST(Quantizers, PackInt4AsKerasDocuments) {
  // keras.quantizers.pack_int4's docstring examples.
  Tensor a = Tensor::from_vector({3, 2}, {-3, 7, 2, -8, 1, 0}).astype(DType::int8);
  Tensor packed = quant::pack_int4(a, 0);
  EXPECT_EQ(packed.shape(), (keras::Shape{2, 2}));
  EXPECT_EQ(packed.to_vector_i64(), (std::vector<std::int64_t>{45, -121, 1, 0}));
  EXPECT_EQ(quant::unpack_int4(packed, 3, 0).to_vector_i64(), a.to_vector_i64());
  Tensor b = Tensor::from_vector({2, 3}, {-3, 7, 2, -8, 1, 0}).astype(DType::int8);
  Tensor packed_b = quant::pack_int4(b, 1);
  EXPECT_EQ(packed_b.to_vector_i64(), (std::vector<std::int64_t>{125, 2, 24, 0}));
  EXPECT_EQ(quant::unpack_int4(packed_b, 3, -1).to_vector_i64(), b.to_vector_i64());
  EXPECT_THROW(quant::unpack_int4(packed_b, 5, -1), keras::ShapeMismatchError);
}

TEST(Quantizers, AbsMaxRoundsHalfToEvenAndClips) {
  // Row max 2: scale 127 / (2 + 1e-7) in float32; 0.5 * scale = 31.75 -> 32,
  // -2 -> -127; a row of zeros keeps its scale finite.
  Tensor x = Tensor::from_vector({2, 3}, {0.5F, -2.0F, 1.0F, 0.0F, 0.0F, 0.0F});
  auto q = quant::abs_max_quantize(x, {-1}, {-127, 127}, 1e-7);
  EXPECT_EQ(q.values.to_vector_i64(), (std::vector<std::int64_t>{32, -127, 64, 0, 0, 0}));
  EXPECT_EQ(q.scale.shape(), (keras::Shape{2, 1}));
  EXPECT_FLOAT_EQ(q.scale.at(0), 127.0F / (2.0F + 1e-7F));
  EXPECT_FLOAT_EQ(q.scale.at(1), 127.0F / 1e-7F);
  // Ties go to the even integer as numpy's round does: 2.5 -> 2, 3.5 -> 4.
  Tensor t = Tensor::from_vector({1, 3}, {2.5F, 3.5F, 127.0F});
  auto r = quant::abs_max_quantize(t, {-1}, {-127, 127}, 0.0);
  EXPECT_EQ(r.values.to_vector_i64(), (std::vector<std::int64_t>{2, 4, 127}));
}

TEST(Quantizers, GroupedZeroPointIncludesPaddingRows) {
  // Three rows in a group of four: the zero padding row takes part in min/max.
  Tensor x = Tensor::from_vector({3, 1}, {1.0F, 2.0F, 3.0F});
  auto g = quant::grouped_quantize_with_zero_point(x, 4);
  const float scale = (3.0F - 0.0F + 1e-7F) / 15.0F;
  EXPECT_FLOAT_EQ(g.scale.at(0), scale);
  EXPECT_EQ(g.zero.at(0), -8);
  EXPECT_EQ(g.values.at(2), 7);
  Tensor back = quant::dequantize_with_sz_map(g.values, g.scale, g.zero, quant::group_indices(3, 4), 0, "test");
  EXPECT_NEAR(back.at(1), 2.0, scale / 2 + 1e-6);
  Tensor bad_groups = Tensor::from_vector({3}, {0, 0, 1});
  EXPECT_THROW(quant::dequantize_with_sz_map(g.values, g.scale, g.zero, bad_groups, 0, "test"), keras::FormatError);
}

TEST(Quantizers, ConfigsRoundTrip) {
  for (const auto& config :
       {keras::quantizers::QuantizationConfig::int8(), keras::quantizers::QuantizationConfig::int4(),
        keras::quantizers::QuantizationConfig::int4(-1), keras::quantizers::QuantizationConfig::float8()}) {
    const Json j = config.serialize();
    EXPECT_EQ(keras::dump_json_like_python(keras::quantizers::QuantizationConfig::from_json(j).serialize()),
              keras::dump_json_like_python(j));
  }
  EXPECT_EQ(keras::dump_json_like_python(keras::quantizers::QuantizationConfig::int8().serialize()),
            R"({"module": "keras.quantizers", "class_name": "Int8QuantizationConfig", "config": {"weight_quantizer": )"
            R"(null, "activation_quantizer": {"module": "keras.quantizers", "class_name": "AbsMaxQuantizer", )"
            R"("config": {"value_range": [-127, 127], "epsilon": 1e-07, "output_dtype": "int8"}, )"
            R"("registered_name": null}}, "registered_name": null})");
  EXPECT_THROW(keras::quantizers::QuantizationConfig::int4(0), keras::ValueError);
  EXPECT_THROW(keras::quantizers::QuantizationConfig::int4(128, keras::quantizers::AbsMaxQuantizer{}),
               keras::ValueError);  // sub-channel takes no custom quantizer
  EXPECT_THROW(keras::quantizers::QuantizationConfig::for_mode("int3"), keras::ValueError);
  EXPECT_THROW(keras::quantizers::QuantizationConfig::for_mode("gptq"), keras::NotImplementedError);
}

// ----------------------------------------------------------- Model::quantize

Tensor dequantize_int8(const Tensor& q, const Tensor& scale, int scale_axis) {
  Tensor s = scale_axis == 0 ? keras::kernels::expand_dims(scale, -1) : scale;
  return keras::kernels::divide(q.astype(DType::float32), s);
}

// Loads the quantized fixture and builds, from the same config made float,
// a model carrying the de-quantized weights.
keras::Model float_twin(const keras::Model& quantized) {
  Json config = keras::parse_json(keras::to_json(quantized), "quantized");
  std::function<void(Json&)> strip = [&](Json& node) {
    if (node.is_object()) {
      if (auto it = node.find("quantization_config"); it != node.end()) *it = nullptr;
      if (auto it = node.find("dtype");
          it != node.end() && it->is_object() && it->value("module", "") == "keras.dtype_policies")
        *it = DTypePolicy(it->at("config").at("source_name").get<std::string>()).serialize();
      for (auto& [key, item] : node.items()) strip(item);
    } else if (node.is_array()) {
      for (auto& item : node) strip(item);
    }
  };
  strip(config);
  return keras::model_from_json(keras::dump_json_like_python(config));
}

TEST(ModelQuantize, Int8OfKerasFloatWeightsGivesKerasFile) {
  const std::string name = "quantized_int8";
  const fs::path keras_file = keras_test::fixture_dir(name) / "model.keras";
  auto quantized = keras::load_model(keras_file);
  auto model = float_twin(quantized);
  // The float weights Keras' int8 values stand for.
  auto q = [&](const char* layer) { return quantized.get_layer(layer)->own_variables(); };
  model.get_layer("embedding")
      ->own_variables()[0]
      ->assign(dequantize_int8(q("embedding")[0]->value(), q("embedding")[1]->value(), 0));
  for (const char* layer : {"einsum_dense", "dense", "dense_1"}) {
    auto vars = q(layer);
    Tensor scale = vars[2]->value().reshape({vars[2]->value().size()});
    model.get_layer(layer)->own_variables()[0]->assign(dequantize_int8(vars[0]->value(), scale, 1));
    model.get_layer(layer)->own_variables()[1]->assign(vars[1]->value());
  }
  auto report = model.quantize("int8");
  EXPECT_EQ(report.quantized, (std::vector<std::string>{"embedding", "einsum_dense", "dense", "dense_1"}));
  EXPECT_EQ(report.skipped.size(), 2U);  // the pooling and the Add
  EXPECT_TRUE(model.quantize("int8").quantized.empty()) << "a second call skips the quantized layers";
  for (const char* layer : {"embedding", "einsum_dense", "dense", "dense_1"}) {
    auto ours = model.get_layer(layer)->own_variables();
    auto theirs = q(layer);
    ASSERT_EQ(ours.size(), theirs.size()) << layer;
    EXPECT_EQ(ours[0]->dtype(), DType::int8);
    EXPECT_EQ(ours[0]->value().to_vector_i64(), theirs[0]->value().to_vector_i64()) << layer << " int8 values";
    const auto& our_scale = ours.back()->value();
    EXPECT_TRUE(keras::allclose(our_scale, theirs.back()->value(), 1e-5, 0)) << layer;
  }
  // Same predictions, and a file Keras' own file matches in every structure.
  auto outputs = model.predict(keras_test::fixture_inputs(name));
  keras_test::expect_close(outputs[0], keras_test::fixture_outputs(name)[0], 1e-4, 1e-4, "C++-quantized int8");
  keras_test::TempDir tmp;
  keras::save_model(model, tmp / "ours.keras");
  auto differences = keras::saving::compare_saved_models(tmp / "ours.keras", keras_file, {.compare_values = false});
  EXPECT_TRUE(differences.empty()) << differences.front();
}

TEST(ModelQuantize, Int4OfKerasFloatWeightsGivesKerasFile) {
  const std::string name = "quantized_int4";
  const fs::path keras_file = keras_test::fixture_dir(name) / "model.keras";
  auto quantized = keras::load_model(keras_file);
  auto model = float_twin(quantized);
  // Keras named this fixture's layers embedding_1, einsum_dense_1, dense_2, ...
  auto q = [&](const char* layer) { return quantized.get_layer(layer)->own_variables(); };
  // Grouped int4 de-quantized: (q - zero) * scale, the embeddings' groups along output_dim.
  {
    auto v = q("embedding_1");
    Tensor unpacked = quant::unpack_int4(v[0]->value(), 8, -1);
    model.get_layer("embedding_1")
        ->own_variables()[0]
        ->assign(quant::dequantize_with_sz_map(unpacked, v[1]->value(), v[2]->value(), v[3]->value(), -1, "test"));
  }
  for (const char* layer : {"einsum_dense_1", "dense_2", "dense_3"}) {
    auto v = q(layer);
    auto target = model.get_layer(layer)->own_variables();
    const std::int64_t columns = v[2]->value().dim(1);
    Tensor unpacked = quant::unpack_int4(v[0]->value(), columns, -1);
    Tensor w = quant::dequantize_with_sz_map(unpacked, v[2]->value(), v[3]->value(), v[4]->value(), 0, "test");
    target[0]->assign(w.reshape(target[0]->shape()));
    target[1]->assign(v[1]->value());
  }
  auto report = model.quantize("int4");
  EXPECT_EQ(report.quantized.size(), 4U);
  EXPECT_EQ(model.get_layer("dense_2")->dtype_policy().name(), "int4/128_from_float32");
  for (const char* layer : {"embedding_1", "einsum_dense_1", "dense_2", "dense_3"}) {
    auto ours = model.get_layer(layer)->own_variables();
    auto theirs = q(layer);
    ASSERT_EQ(ours.size(), theirs.size()) << layer;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i]->dtype(), theirs[i]->dtype()) << layer << " " << i;
      EXPECT_EQ(ours[i]->shape(), theirs[i]->shape()) << layer << " " << i;
    }
    // Re-quantizing the de-quantized groups gives Keras' int4 values and zero points back.
    EXPECT_EQ(ours[0]->value().to_vector_i64(), theirs[0]->value().to_vector_i64()) << layer << " packed values";
    const std::size_t zero = std::string(layer) == "embedding_1" ? 2 : 3;
    EXPECT_EQ(ours[zero]->value().to_vector_i64(), theirs[zero]->value().to_vector_i64()) << layer << " zero points";
  }
  auto outputs = model.predict(keras_test::fixture_inputs(name));
  keras_test::expect_close(outputs[0], keras_test::fixture_outputs(name)[0], 1e-4, 1e-4, "C++-quantized int4");
  keras_test::TempDir tmp;
  keras::save_model(model, tmp / "ours.keras");
  auto differences = keras::saving::compare_saved_models(tmp / "ours.keras", keras_file, {.compare_values = false});
  EXPECT_TRUE(differences.empty()) << differences.front();
}

// A small float model: Input(6) -> Dense(5, relu) -> Dense(3); ids -> Embedding.
keras::Model small_model() {
  auto x = keras::Input({6}, {.name = "x"});
  auto h = L::Dense(5, {.activation = "relu", .name = "hidden"})(x);
  auto y = L::Dense(3, {.name = "out"})(h);
  keras::Model model(x, y);
  for (const auto& v : model.impl().weights()) v->assign(keras::random::uniform(v->shape(), -1.0F, 1.0F, 7));
  return model;
}

TEST(ModelQuantize, ModesPredictCloseToTheFloatModel) {
  Tensor x = keras::random::uniform({4, 6}, -1.0F, 1.0F, 3);
  for (const char* mode : {"int8", "int4", "float8"}) {
    auto model = small_model();
    const Tensor expected = model.predict(x)[0];
    model.quantize(mode);
    const Tensor got = model.predict(x)[0];
    // float8 keeps 3 mantissa bits (scales stay 1 until training updates them).
    const double tolerance = std::string(mode) == "int8" ? 0.05 : 0.25;
    EXPECT_LT(keras::max_abs_diff(got, expected), tolerance) << mode;
    // Saved and loaded back, it predicts the same numbers.
    auto back = keras::load_model(std::span<const std::byte>(keras::save_model(model)));
    EXPECT_EQ(keras::max_abs_diff(back.predict(x)[0], got), 0.0) << mode;
    EXPECT_EQ(keras::dump_json_like_python(keras::parse_json(keras::to_json(back), "back")),
              keras::dump_json_like_python(keras::parse_json(keras::to_json(model), "model")))
        << mode;
  }
}

TEST(ModelQuantize, Float8KeepsKerasVariables) {
  auto model = small_model();
  model.quantize("float8");
  auto layer = model.get_layer("hidden");
  EXPECT_EQ(keras::dump_json_like_python(layer->dtype_policy().serialize()),
            R"({"module": "keras.dtype_policies", "class_name": "QuantizedFloat8DTypePolicy", "config": {"mode": )"
            R"("float8", "source_name": "float32", "amax_history_length": 1024}, "registered_name": null})");
  std::vector<std::string> names;
  for (const auto& v : layer->own_variables()) names.push_back(v->name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale",
                                      "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history"}));
  EXPECT_EQ(layer->own_variables()[3]->shape(), (keras::Shape{1024}));
  // Scales of one: the kernel is rounded to float8 e4m3 (3 mantissa bits).
  EXPECT_EQ(quant::round_to_float8_e4m3fn(0.3F), 0.3125F);
  EXPECT_EQ(quant::round_to_float8_e4m3fn(-448.0F), -448.0F);
  EXPECT_EQ(quant::round_to_float8_e4m3fn(0.001F), 0.001953125F);  // subnormals in steps of 2^-9
  EXPECT_EQ(quant::round_to_float8_e4m3fn(0.0009F), 0.0F);
}

TEST(ModelQuantize, KerasRules) {
  auto model = small_model();
  EXPECT_THROW(model.quantize("int3"), keras::ValueError);
  EXPECT_THROW(model.quantize("gptq"), keras::NotImplementedError);
  EXPECT_THROW(model.quantize("int8", keras::quantizers::QuantizationConfig::int4()), keras::ValueError);
  // A layer must be built first, and can be quantized once.
  L::Dense lone(3);
  EXPECT_THROW(lone->quantize("int8"), keras::ValueError);
  model.get_layer("hidden")->quantize("int8");
  EXPECT_THROW(model.get_layer("hidden")->quantize("int8"), keras::ValueError);
  auto report = model.quantize("int4");
  EXPECT_EQ(report.quantized, (std::vector<std::string>{"out"}));
  ASSERT_EQ(report.skipped.size(), 1U);
  EXPECT_EQ(report.skipped[0].first, "hidden");
  // A layer without a quantized variant refuses on its own.
  auto ln = L::LayerNormalization();
  auto in = keras::Input({4});
  keras::Model norm(in, ln(in));
  EXPECT_THROW(ln->quantize("int8"), keras::NotImplementedError);
  EXPECT_TRUE(norm.quantize("int8").quantized.empty());
  // The quantized layers have no backward pass.
  EXPECT_EQ(model.get_layer("out")->differentiability(), keras::Differentiability::unsupported);
}

}  // namespace
