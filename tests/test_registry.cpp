// The object registry: keys as Keras resolves them, aliases, refusals,
// custom objects of every kind (a custom optimizer from a .keras file's
// compile_config among them) and the context errors gather on the way up.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "layers/activations/activation_functions.hpp"
#include "ops/activations.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::saving::ObjectKind;
using keras_test::TempDir;

Json layer_envelope(const std::string& module, const std::string& class_name, Json config) {
  return Json{
      {"module", module}, {"class_name", class_name}, {"config", std::move(config)}, {"registered_name", nullptr}};
}

Json config_json_of(const std::filesystem::path& archive) {
  auto bytes = keras::saving::ZipReader::open(archive).read("config.json");
  return keras::parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                           archive.string());
}

bool is_registered(ObjectKind kind, const std::string& class_name, const std::string& alias_of = "") {
  keras::saving::register_builtins();
  for (const auto& c : keras::saving::registered_classes())
    if (c.kind == kind && c.class_name == class_name && c.alias_of == alias_of) return true;
  return false;
}

// ------------------------------------------------------------------ keys

TEST(RegistryKeys, EveryKindHasItsBuiltins) {
  EXPECT_TRUE(is_registered(ObjectKind::layer, "Conv2D"));
  EXPECT_TRUE(is_registered(ObjectKind::layer, "Convolution2D", "Conv2D"));
  EXPECT_TRUE(is_registered(ObjectKind::operation, "Add"));
  EXPECT_TRUE(is_registered(ObjectKind::model, "Functional"));
  EXPECT_TRUE(is_registered(ObjectKind::optimizer, "Adam"));
  EXPECT_TRUE(is_registered(ObjectKind::learning_rate_schedule, "CosineDecay"));
  EXPECT_TRUE(is_registered(ObjectKind::initializer, "GlorotUniform"));
  EXPECT_TRUE(is_registered(ObjectKind::initializer, "glorot_uniform", "GlorotUniform"));
  EXPECT_TRUE(is_registered(ObjectKind::regularizer, "L1L2"));
  EXPECT_TRUE(is_registered(ObjectKind::constraint, "MaxNorm"));
  EXPECT_TRUE(is_registered(ObjectKind::activation, "relu"));
  EXPECT_TRUE(is_registered(ObjectKind::activation, "swish", "silu"));
}

TEST(RegistryKeys, AliasesBuildTheClassTheyName) {
  Json config{{"name", "c"}, {"filters", 2}, {"kernel_size", 3}};
  auto layer = keras::saving::deserialize_layer(layer_envelope("keras.layers", "Convolution2D", config));
  EXPECT_EQ(layer->class_name(), "Conv2D");
  EXPECT_EQ(keras::saving::serialize_operation(*layer).at("class_name"), "Conv2D");
}

TEST(RegistryKeys, ModuleTellsRawOpsFromLayersOfTheSameName) {
  Json op =
      keras::saving::serialize_operation(*keras::saving::deserialize_operation(Json{{"module", "keras.src.ops.numpy"},
                                                                                    {"class_name", "Add"},
                                                                                    {"config", {{"name", "add_op"}}},
                                                                                    {"registered_name", "Add"}}));
  EXPECT_EQ(op.at("module"), "keras.src.ops.numpy");
  auto layer = keras::saving::deserialize_operation(layer_envelope("keras.layers", "Add", {{"name", "add_layer"}}));
  EXPECT_TRUE(layer->is_layer());
  // An internal module of an older Keras still finds the layer (§8).
  auto legacy = keras::saving::deserialize_operation(
      layer_envelope("keras.src.layers.merging.add", "Add", {{"name", "add_legacy"}}));
  EXPECT_TRUE(legacy->is_layer());
  EXPECT_THROW(keras::saving::deserialize_operation(layer_envelope("keras.src.ops.numpy", "NoSuchOp", {{"name", "x"}})),
               keras::UnknownObjectError);
}

TEST(RegistryKeys, RefusalsRaiseTheirErrors) {
  keras::saving::register_builtins();
  bool saw_lambda = false;
  for (const auto& r : keras::saving::refused_classes()) {
    EXPECT_FALSE(r.reason.empty() && r.refusal != keras::saving::Refusal::not_implemented) << r.class_name;
    saw_lambda = saw_lambda || r.class_name == "Lambda";
  }
  EXPECT_TRUE(saw_lambda);
  EXPECT_THROW(keras::saving::deserialize_layer(layer_envelope("keras.layers", "Lambda", {{"name", "l"}})),
               keras::UnsafeContentError);
  EXPECT_THROW(keras::saving::deserialize_layer(layer_envelope("keras.layers", "StringLookup", {{"name", "s"}})),
               keras::UnknownObjectError);
  EXPECT_THROW(keras::optimizers::get("adafactor"), keras::NotImplementedError);
}

TEST(RegistryKeys, OptimizerNamesMatchInAnyCase) {
  EXPECT_EQ(keras::optimizers::get("adam")->class_name(), "Adam");
  EXPECT_EQ(keras::optimizers::get("RMSPROP")->class_name(), "RMSprop");
  EXPECT_EQ(keras::optimizers::deserialize(Json{{"module", "keras.optimizers"},
                                                {"class_name", "sgd"},
                                                {"config", Json::object()},
                                                {"registered_name", nullptr}})
                ->class_name(),
            "SGD");
}

// ---------------------------------------------------------- activations

TEST(RegistryActivations, NamesDispatchToTheirKernels) {
  namespace k = keras::kernels;
  using keras::Shape;
  using keras::Tensor;
  // Every activation string of the Keras 3.16 dense_activations fixture, plus aliases.
  const std::vector<std::string> names = {
      "relu",      "relu6",          "leaky_relu",  "elu",          "selu",        "gelu",        "silu",
      "swish",     "tanh",           "sigmoid",     "hard_sigmoid", "hard_silu",   "softplus",    "softsign",
      "softmax",   "log_softmax",    "exponential", "linear",       "mish",        "celu",        "glu",
      "hard_tanh", "sparse_plus",    "squareplus",  "soft_shrink",  "hard_shrink", "tanh_shrink", "log_sigmoid",
      "sparsemax", "sparse_sigmoid", "hard_swish"};
  Tensor x = Tensor::from_vector({2, 4}, {-2, -0.5F, 0.5F, 2, 1, 0, -1, 3});
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string canonical = keras::detail::canonical_activation(name);
    Tensor y = keras::detail::apply_activation(canonical, x);
    EXPECT_EQ(y.shape(), name == "glu" ? (Shape{2, 2}) : x.shape());
  }
  Tensor relu = keras::detail::apply_activation("relu", x);
  const std::vector<float> expected = {0, 0, 0.5, 2, 1, 0, 0, 3};
  for (std::int64_t i = 0; i < x.size(); ++i) EXPECT_EQ(relu.at(i), expected[static_cast<std::size_t>(i)]);
  EXPECT_EQ(keras::detail::canonical_activation("swish"), "silu");
  EXPECT_EQ(keras::detail::canonical_activation("hard_swish"), "hard_silu");
  EXPECT_EQ(keras::detail::canonical_activation(""), "linear");
  Tensor swish = keras::detail::apply_activation("silu", x);
  Tensor silu = k::silu(x);
  for (std::int64_t i = 0; i < x.size(); ++i) EXPECT_EQ(swish.at(i), silu.at(i));
  EXPECT_EQ(keras::detail::canonical_activation("threshold"), "threshold");
  EXPECT_THROW(keras::detail::apply_activation("threshold", x), keras::ValueError);
  EXPECT_THROW(keras::detail::canonical_activation("swishy"), keras::UnknownObjectError);
  EXPECT_THROW(keras::detail::apply_activation("swishy", x), keras::UnknownObjectError);
}

TEST(RegistryActivations, CustomFunctionsRunAndSerializeAsKeras) {
  keras::saving::register_keras_serializable(
      "Testing", "cube", keras::saving::ActivationFunction([](const keras::Tensor& x) {
        keras::Tensor y = x.astype(keras::DType::float32);
        for (std::int64_t i = 0; i < y.size(); ++i)
          y.data<float>()[i] = y.data<float>()[i] * y.data<float>()[i] * y.data<float>()[i];
        return y;
      }));
  auto input = keras::Input({2});
  auto dense = keras::layers::Dense(2, {.activation = "Testing>cube", .use_bias = false});
  keras::Model model(input, dense(input));
  model.set_weights({keras::Tensor::from_vector({2, 2}, {1, 0, 0, 1})});
  auto y = model.predict(keras::Tensor::from_vector({1, 2}, {2, -3}))[0];
  EXPECT_EQ(y.at(0), 8.0F);
  EXPECT_EQ(y.at(1), -27.0F);
  // Keras writes a custom function as a `function` envelope.
  Json config = keras::saving::serialize_operation(*dense.ptr()).at("config");
  EXPECT_EQ(config.at("activation"), (Json{{"module", "builtins"},
                                           {"class_name", "function"},
                                           {"config", "Testing>cube"},
                                           {"registered_name", "function"}}));
  auto copy = keras::saving::deserialize_layer(keras::saving::serialize_operation(*dense.ptr()));
  EXPECT_EQ(keras::saving::serialize_operation(*copy).at("config").at("activation"), config.at("activation"));
  // Keras <= 3.6 wrote a custom function by its bare name; Keras finds it by the suffix.
  Json old_file = keras::saving::serialize_operation(*dense.ptr());
  old_file["config"]["activation"]["config"] = "cube";
  auto legacy = keras::saving::deserialize_layer(old_file);
  EXPECT_EQ(keras::saving::serialize_operation(*legacy).at("config").at("activation"), config.at("activation"));
}

// ---------------------------------------------------- custom optimizers

// SGD with a scaled step: w -= scale * learning_rate * g.
class ScaledSGD final : public keras::Optimizer {
 public:
  ScaledSGD(double scale, BaseConfig base) : Optimizer("ScaledSGD", std::move(base)), scale_(scale) {}
  static std::shared_ptr<keras::Optimizer> from_config(const Json& config) {
    return std::make_shared<ScaledSGD>(config.value("scale", 1.0),
                                       base_config_from("ScaledSGD", config, {"scale"}, 0.01));
  }
  std::string class_name() const override { return "ScaledSGD"; }
  std::string module() const override { return ""; }
  std::optional<std::string> registered_name() const override { return "Testing>ScaledSGD"; }
  double scale() const { return scale_; }

 protected:
  Json class_config() const override { return Json{{"scale", scale_}}; }
  void build_slots(const std::vector<keras::VariablePtr>& /*variables*/) override {}
  void update_step(const keras::Tensor& gradient, keras::Variable& variable, std::size_t /*index*/,
                   float learning_rate) override {
    keras::Tensor w = variable.value().clone();
    for (std::int64_t i = 0; i < w.size(); ++i)
      w.data<float>()[i] -= static_cast<float>(scale_) * learning_rate * gradient.data<float>()[i];
    variable.assign(w);
  }

 private:
  double scale_;
};

keras::Model compiled_with_scaled_sgd() {
  keras::Optimizer::BaseConfig base;
  base.learning_rate = 0.5;
  keras::Sequential model({keras::Input({3}), keras::layers::Dense(2)});
  model.compile({.optimizer = std::make_shared<ScaledSGD>(0.25, base), .loss = "mse"});
  return model;
}

TEST(CustomOptimizer, LoadsFromAKerasFilesCompileConfig) {
  TempDir tmp;
  const auto path = tmp / "custom_optimizer.keras";
  keras::save_model(compiled_with_scaled_sgd(), path);
  // The compile_config carries it as Keras writes a registered custom class.
  Json optimizer = config_json_of(path).at("compile_config").at("optimizer");
  EXPECT_EQ(optimizer.at("module"), nullptr);
  EXPECT_EQ(optimizer.at("class_name"), "ScaledSGD");
  EXPECT_EQ(optimizer.at("registered_name"), "Testing>ScaledSGD");
  // Unknown until registered: the error names it, the compile_config and the file.
  try {
    keras::load_model(path);
    FAIL() << "expected UnknownObjectError";
  } catch (const keras::UnknownObjectError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Testing>ScaledSGD"), std::string::npos) << what;
    EXPECT_NE(what.find("custom_optimizer.keras config.json"), std::string::npos) << what;
  }
  // In a scope, then registered for good.
  {
    keras::saving::CustomObjectScope scope(std::map<std::string, keras::saving::AnyFactory>{
        {"Testing>ScaledSGD",
         keras::saving::AnyFactory(ObjectKind::optimizer, keras::saving::OptimizerFactory(ScaledSGD::from_config))}});
    EXPECT_NE(dynamic_cast<ScaledSGD*>(keras::load_model(path).optimizer().get()), nullptr);
  }
  EXPECT_THROW(keras::load_model(path), keras::UnknownObjectError);
  keras::saving::register_keras_serializable("Testing", "ScaledSGD",
                                             keras::saving::OptimizerFactory(ScaledSGD::from_config));
  keras::Model loaded = keras::load_model(path);
  auto* restored = dynamic_cast<ScaledSGD*>(loaded.optimizer().get());
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->scale(), 0.25);
  EXPECT_FLOAT_EQ(restored->learning_rate(), 0.5F);
  EXPECT_EQ(keras::saving::get_registered_name(*restored), "Testing>ScaledSGD");
  // It trains: one step moves every weight by -scale * lr * g.
  auto variables = loaded.trainable_variables();
  std::vector<keras::Tensor> grads;
  for (const auto& v : variables) grads.push_back(keras::Tensor::full(v->shape(), 1.0F));
  const float before = variables[0]->value().at(0);
  restored->apply_gradients(grads, variables);
  EXPECT_FLOAT_EQ(variables[0]->value().at(0), before - 0.25F * 0.5F);
}

// ------------------------------------------------ other custom kinds

TEST(CustomObjects, SchedulesAndInitializersResolveByRegisteredName) {
  keras::saving::register_keras_serializable("Testing", "Halves", keras::saving::InitializerFactory([](const Json&) {
                                               return keras::initializers::Constant(0.5);
                                             }));
  EXPECT_EQ(keras::initializers::get(Json("Testing>Halves"))({2}).at(0), 0.5F);
  EXPECT_EQ(keras::initializers::get(Json{{"module", nullptr},
                                          {"class_name", "Halves"},
                                          {"config", Json::object()},
                                          {"registered_name", "Testing>Halves"}})({1})
                .at(0),
            0.5F);
  keras::saving::register_keras_serializable("Testing", "Flat", keras::saving::ScheduleFactory([](const Json& config) {
                                               return keras::optimizers::schedules::ExponentialDecay(
                                                   config.value("rate", 0.1), 10, 1.0);
                                             }));
  auto schedule = keras::optimizers::schedules::deserialize(Json{
      {"module", nullptr}, {"class_name", "Flat"}, {"config", {{"rate", 0.2}}}, {"registered_name", "Testing>Flat"}});
  EXPECT_FLOAT_EQ((*schedule)(5), 0.2F);
  // A name registered for one kind is not another kind.
  EXPECT_THROW(keras::optimizers::deserialize(Json{{"module", nullptr},
                                                   {"class_name", "Flat"},
                                                   {"config", Json::object()},
                                                   {"registered_name", "Testing>Flat"}}),
               keras::ValueError);
  // Regularizers and constraints: factories of their envelopes.
  keras::saving::register_keras_serializable(
      "Testing", "Tiny",
      keras::saving::AnyFactory(
          ObjectKind::regularizer, keras::saving::Factory<Json>([](const Json& config) {
            return Json{
                {"module", nullptr}, {"class_name", "Tiny"}, {"config", config}, {"registered_name", "Testing>Tiny"}};
          })));
  EXPECT_EQ(keras::regularizers::get(Json("Testing>Tiny")).at("registered_name"), "Testing>Tiny");
}

// ------------------------------------------------------- error context

TEST(ErrorContext, LoadErrorsNameTheLayerPathAndTheFile) {
  auto input = keras::Input({3}, {.name = "x"});
  auto hidden = keras::layers::Dense(4, {.name = "hidden"})(input);
  keras::Model inner(input, hidden, "inner");
  auto outer_input = keras::Input({3}, {.name = "outer_x"});
  keras::Model outer(outer_input, inner(outer_input), "outer");
  std::string json = keras::to_json(outer);
  const std::string from = "\"class_name\": \"Dense\"";
  json.replace(json.find(from), from.size(), "\"class_name\": \"NoSuchDense\"");
  TempDir tmp;
  std::ofstream(tmp / "broken.json") << json;
  try {
    keras::load_model_config(tmp / "broken.json");
    FAIL() << "expected UnknownObjectError";
  } catch (const keras::UnknownObjectError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NoSuchDense"), std::string::npos) << what;
    EXPECT_NE(what.find("while loading layer 'outer/inner/hidden' from " + (tmp / "broken.json").string()),
              std::string::npos)
        << what;
    ASSERT_EQ(e.context().size(), 4U);
    EXPECT_EQ(e.context().front().name, "hidden");
    EXPECT_EQ(e.message().find("while"), std::string::npos);
  }
}

TEST(ErrorContext, WithContextKeepsTheTypeAndTheObject) {
  try {
    keras::with_context(keras::ErrorContext::source("outer.json"), [] {
      keras::with_context(keras::ErrorContext::object("layer", "d"),
                          [] { throw keras::ShapeMismatchError("bad shape"); });
    });
    FAIL() << "expected ShapeMismatchError";
  } catch (const keras::ShapeMismatchError& e) {
    EXPECT_EQ(std::string(e.what()), "bad shape (while loading layer 'd' from outer.json)");
    EXPECT_EQ(e.message(), "bad shape");
  }
}

}  // namespace
