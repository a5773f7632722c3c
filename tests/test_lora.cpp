// LoRA on Dense, EinsumDense, Embedding and Conv1D/2D/3D, as Keras 3.16 does it
// (keras/src/layers/core/dense.py, einsum_dense.py, embedding.py,
// convolutional/base_conv.py): the config keys, enable_lora()'s variables and
// freezing, the forward pass with kernel + (alpha / rank) * (a @ b), the
// gradients, what save_own_variables writes (the merged kernel, never a or b)
// and what load_own_variables does (reads the merged kernel, zeroes a and b).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "layers/convolutional/conv.hpp"
#include "layers/core/dense.hpp"
#include "layers/core/einsum_dense.hpp"
#include "layers/core/embedding.hpp"
#include "saving/h5_file.hpp"
#include "support/test_support.hpp"
#include "training/regularization.hpp"

namespace {

namespace L = keras::layers;
using keras::Json;
using keras::Shape;
using keras::Tensor;

keras::LayerPtr from_config(const std::string& cls, const Json& config) {
  return keras::saving::deserialize_layer(
      Json{{"module", "keras.layers"}, {"class_name", cls}, {"config", config}, {"registered_name", nullptr}});
}

std::vector<std::string> names(const std::vector<keras::VariablePtr>& variables) {
  std::vector<std::string> out;
  for (const auto& v : variables) out.push_back(v->name());
  return out;
}

// kernel + scale * (a @ b) by loops, a read as [rows, rank], b as [rank, cols].
Tensor naive_merge(const Tensor& kernel, const Tensor& a, const Tensor& b, double scale) {
  const std::int64_t rank = b.shape()[0];
  const std::int64_t cols = b.shape()[1];
  const std::int64_t rows = kernel.size() / cols;
  std::vector<float> k = kernel.to_vector();
  const std::vector<float> av = a.to_vector();
  const std::vector<float> bv = b.to_vector();
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      double acc = 0;
      for (std::int64_t r = 0; r < rank; ++r)
        acc += static_cast<double>(av[static_cast<std::size_t>(i * rank + r)]) *
               bv[static_cast<std::size_t>(r * cols + j)];
      k[static_cast<std::size_t>(i * cols + j)] += static_cast<float>(scale * acc);
    }
  return Tensor::from_vector(kernel.shape(), k);
}

void randomize(const keras::VariablePtr& v, std::uint64_t seed) {
  v->assign(keras::random::uniform(v->shape(), -1.0F, 1.0F, seed));
}

std::filesystem::path scratch(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("keras_cpp_lora_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

// The dataset names and values of one vars group of a weights file.
std::vector<std::string> stored_names(const std::filesystem::path& file, const std::string& group) {
  auto h5 = keras::saving::H5File::open_read(file);
  return h5.root().group(group).children();
}
Tensor stored(const std::filesystem::path& file, const std::string& group, const std::string& name) {
  auto h5 = keras::saving::H5File::open_read(file);
  return h5.root().group(group).read_dataset(name);
}

// ------------------------------------------------------------------ config

TEST(LoraConfig, RoundTripsAsKerasWritesIt) {
  struct Case {
    std::string cls;
    Json config;
    Shape input;
    std::int64_t built_alpha;  // Dense and Embedding build with enable_lora(rank): alpha becomes the rank
  };
  const std::vector<Case> cases = {
      {"Dense", {{"name", "d"}, {"units", 3}, {"lora_rank", 4}, {"lora_alpha", 8}}, {2, 5}, 4},
      {"Embedding",
       {{"name", "e"}, {"input_dim", 6}, {"output_dim", 3}, {"lora_rank", 4}, {"lora_alpha", 8}},
       {2, 3},
       4},
      {"EinsumDense",
       {{"name", "x"}, {"equation", "ab,bc->ac"}, {"output_shape", 3}, {"lora_rank", 4}, {"lora_alpha", 8}},
       {2, 5},
       8},
      {"Conv1D",
       {{"name", "c1"}, {"filters", 2}, {"kernel_size", 3}, {"lora_rank", 4}, {"lora_alpha", 8}},
       {1, 6, 2},
       8},
      {"Conv2D",
       {{"name", "c2"}, {"filters", 2}, {"kernel_size", 2}, {"lora_rank", 4}, {"lora_alpha", 8}},
       {1, 4, 4, 2},
       8},
      {"Conv3D",
       {{"name", "c3"}, {"filters", 2}, {"kernel_size", 2}, {"lora_rank", 4}, {"lora_alpha", 8}},
       {1, 3, 3, 3, 1},
       8},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.cls);
    auto layer = from_config(c.cls, c.config);
    Json config = layer->get_config();
    // Keras appends lora_rank, lora_alpha after its other keys.
    auto it = config.end();
    --it;
    EXPECT_EQ(it.key(), "lora_alpha");
    --it;
    EXPECT_EQ(it.key(), "lora_rank");
    EXPECT_EQ(config["lora_rank"], 4);
    EXPECT_EQ(config["lora_alpha"], 8);  // unbuilt: as given
    EXPECT_FALSE(layer->lora_enabled());
    layer->build_for({c.input});
    EXPECT_TRUE(layer->lora_enabled());
    config = layer->get_config();
    EXPECT_EQ(config["lora_rank"], 4);
    EXPECT_EQ(config["lora_alpha"], c.built_alpha);
    // The config of the built layer rebuilds the same layer.
    auto again = from_config(c.cls, config);
    again->build_for({c.input});
    EXPECT_EQ(again->get_config(), config);
    // Without lora_rank (or with 0, which Keras treats as unset) no key is written.
    Json plain = c.config;
    plain.erase("lora_rank");
    plain.erase("lora_alpha");
    EXPECT_FALSE(from_config(c.cls, plain)->get_config().contains("lora_rank"));
    plain["lora_rank"] = 0;
    auto zero = from_config(c.cls, plain);
    zero->build_for({c.input});
    EXPECT_FALSE(zero->lora_enabled());
    EXPECT_FALSE(zero->get_config().contains("lora_alpha"));
  }
  // lora_alpha defaults to lora_rank; a float alpha is written as given.
  auto d = from_config("Dense", {{"name", "d"}, {"units", 3}, {"lora_rank", 2}});
  EXPECT_EQ(d->get_config()["lora_alpha"], 2);
  auto c =
      from_config("Conv1D", {{"name", "c"}, {"filters", 2}, {"kernel_size", 3}, {"lora_rank", 2}, {"lora_alpha", 2.5}});
  c->build_for({{1, 5, 2}});
  EXPECT_EQ(c->get_config()["lora_alpha"], 2.5);
}

TEST(LoraConfig, ClassesWithoutLoraRefuseIt) {
  for (const std::string cls : {"Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"}) {
    Json config = {{"name", "c"}, {"kernel_size", 2}, {"lora_rank", 2}};
    if (cls != "DepthwiseConv2D") config["filters"] = 2;
    EXPECT_THROW(from_config(cls, config), keras::NotImplementedError) << cls;
  }
  EXPECT_THROW(from_config("Dense", {{"name", "d"}, {"units", 3}, {"lora_rank", "2"}}), keras::FormatError);
}

// ------------------------------------------------------------ enable_lora

TEST(LoraLayer, EnableLoraAddsKerasVariablesAndFreezesTheKernel) {
  auto dense = std::make_shared<keras::detail::DenseImpl>(3, L::DenseOptions{.kernel_regularizer = "l2"});
  EXPECT_THROW(dense->enable_lora(2), keras::ValueError);  // not built
  dense->build_for({{2, 5}});
  dense->enable_lora(2, {.lora_alpha = 6});
  EXPECT_THROW(dense->enable_lora(2), keras::ValueError);  // once per layer
  EXPECT_EQ(names(dense->trainable_variables()), (std::vector<std::string>{"bias", "lora_kernel_a", "lora_kernel_b"}));
  EXPECT_EQ(names(dense->non_trainable_variables()), (std::vector<std::string>{"kernel"}));
  // As Keras' layer.weights: the frozen kernel keeps its place (get_weights / set_weights order).
  EXPECT_EQ(names(dense->weights()), (std::vector<std::string>{"kernel", "bias", "lora_kernel_a", "lora_kernel_b"}));
  EXPECT_FALSE(dense->kernel()->trainable());
  EXPECT_EQ(dense->lora().a()->shape(), (Shape{5, 2}));
  EXPECT_EQ(dense->lora().b()->shape(), (Shape{2, 3}));
  EXPECT_EQ(dense->lora().a()->dtype(), keras::DType::float32);
  EXPECT_DOUBLE_EQ(dense->lora().scale(), 3.0);
  // Initializers: he_uniform a, zeros b by default.
  EXPECT_GT(keras::max_abs_diff(dense->lora().a()->value(), Tensor::zeros({5, 2})), 0.0);
  EXPECT_EQ(keras::max_abs_diff(dense->lora().b()->value(), Tensor::zeros({2, 3})), 0.0);
  EXPECT_EQ(dense->get_config()["lora_alpha"], 6);
  // The saved order is Keras' spec: kernel, bias.
  EXPECT_EQ(names(dense->own_variables()), (std::vector<std::string>{"kernel", "bias"}));

  auto constrained = std::make_shared<keras::detail::DenseImpl>(3, L::DenseOptions{.kernel_constraint = "non_neg"});
  constrained->build_for({{2, 5}});
  EXPECT_THROW(constrained->enable_lora(2), keras::ValueError);

  L::Conv2D conv(4, {3, 3}, {.groups = 2});
  conv->build_for({{1, 6, 6, 4}});
  conv->enable_lora(3, {.a_initializer = "ones", .b_initializer = "ones"});
  const auto& c = static_cast<const keras::detail::ConvImpl&>(*conv);
  EXPECT_EQ(c.lora().a()->shape(), (Shape{3, 3, 2, 3}));
  EXPECT_EQ(c.lora().b()->shape(), (Shape{3, 4}));
  EXPECT_EQ(c.lora().a()->value().to_vector().front(), 1.0F);

  L::Embedding emb(7, 3);
  emb->build_for({{2}});
  emb->enable_lora(2);
  EXPECT_EQ(names(emb->trainable_variables()), (std::vector<std::string>{"lora_embeddings_a", "lora_embeddings_b"}));
  EXPECT_EQ(names(emb->non_trainable_variables()), (std::vector<std::string>{"embeddings"}));

  L::EinsumDense ein("abc,cde->abde", Shape{-1, 2, 4}, {.bias_axes = "de"});
  ein->build_for({{1, 3, 5}});
  ein->enable_lora(2);
  const auto& e = static_cast<const keras::detail::EinsumDenseImpl&>(*ein);
  EXPECT_EQ(e.lora().a()->shape(), (Shape{5, 2, 2}));
  EXPECT_EQ(e.lora().b()->shape(), (Shape{2, 4}));

  L::Conv2DTranspose transpose(2, 3);
  transpose->build_for({{1, 4, 4, 2}});
  EXPECT_THROW(transpose->enable_lora(2), keras::NotImplementedError);
}

// ---------------------------------------------------------------- forward

TEST(LoraForward, DenseComputesTheMergedKernel) {
  L::Dense dense(3, {.activation = "relu"});
  dense->build_for({{4, 5}});
  dense->enable_lora(2, {.lora_alpha = 6});
  const auto& d = static_cast<const keras::detail::DenseImpl&>(*dense);
  randomize(d.bias(), 3);
  randomize(d.lora().a(), 4);
  randomize(d.lora().b(), 5);
  const Tensor x = keras::random::uniform({4, 5}, -1.0F, 1.0F, 6);
  const Tensor merged = naive_merge(d.kernel()->value(), d.lora().a()->value(), d.lora().b()->value(), 3.0);
  std::vector<float> expected;
  const auto xv = x.to_vector();
  const auto kv = merged.to_vector();
  const auto bv = d.bias()->value().to_vector();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      double acc = bv[static_cast<std::size_t>(j)];
      for (int k = 0; k < 5; ++k)
        acc += double(xv[static_cast<std::size_t>(i * 5 + k)]) * kv[static_cast<std::size_t>(k * 3 + j)];
      expected.push_back(static_cast<float>(std::max(acc, 0.0)));
    }
  const Tensor y = dense->forward(x, false);
  EXPECT_LT(keras::max_abs_diff(y, Tensor::from_vector({4, 3}, expected)), 1e-5);
  // The delta matters (the check would pass on the plain kernel otherwise).
  L::Dense plain(3, {.activation = "relu"});
  plain->build_for({{4, 5}});
  static_cast<keras::detail::DenseImpl&>(*plain).kernel()->assign(d.kernel()->value());
  static_cast<keras::detail::DenseImpl&>(*plain).bias()->assign(d.bias()->value());
  EXPECT_GT(keras::max_abs_diff(plain->forward(x, false), y), 1e-2);
}

// A LoRA layer and a plain twin whose kernel is the merged one predict alike, inside
// models (so through the inference plan and its fusions: Dense + activation, Conv + BN + ReLU).
TEST(LoraForward, ModelsPredictWithTheDeltaThroughFusedPlans) {
  auto build = [](bool lora) {
    auto in = keras::Input({6, 6, 2});
    auto conv = L::Conv2D(
        4, 3,
        {.padding = "same", .lora_rank = lora ? std::optional<std::int64_t>(2) : std::nullopt, .lora_alpha = 4.0});
    auto x = conv(in);
    x = L::BatchNormalization()(x);
    x = L::ReLU()(x);
    x = L::Flatten()(x);
    auto dense = L::Dense(3, {.activation = "relu", .lora_rank = lora ? std::optional<std::int64_t>(3) : std::nullopt});
    return keras::Model(in, dense(x));
  };
  keras::Model a = build(true);
  keras::Model b = build(false);
  const Tensor x = keras::random::uniform({3, 6, 6, 2}, -1.0F, 1.0F, 11);
  const Tensor before = a.predict(x)[0];  // a plan exists; LoRA b is zero so far
  for (const auto& layer : a.layers()) {
    if (auto* c = dynamic_cast<keras::detail::ConvImpl*>(layer.ptr().get())) {
      randomize(c->lora().a(), 1);
      randomize(c->lora().b(), 2);
    }
    if (auto* d = dynamic_cast<keras::detail::DenseImpl*>(layer.ptr().get())) {
      randomize(d->lora().a(), 3);
      randomize(d->lora().b(), 4);
    }
  }
  // b: the same weights, the kernels merged by loops.
  const auto la = a.layers();
  const auto lb = b.layers();
  ASSERT_EQ(la.size(), lb.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    auto wa = la[i]->own_variables();
    auto wb = lb[i]->own_variables();
    ASSERT_EQ(wa.size(), wb.size());
    for (std::size_t j = 0; j < wa.size(); ++j) wb[j]->assign(wa[j]->value());
    if (auto* c = dynamic_cast<keras::detail::ConvImpl*>(la[i].ptr().get()))
      wb[0]->assign(naive_merge(c->kernel()->value(), c->lora().a()->value(), c->lora().b()->value(), 2.0));
    if (auto* d = dynamic_cast<keras::detail::DenseImpl*>(la[i].ptr().get()))
      wb[0]->assign(naive_merge(d->kernel()->value(), d->lora().a()->value(), d->lora().b()->value(), 1.0));
  }
  const Tensor ya = a.predict(x)[0];
  EXPECT_LT(keras::max_abs_diff(ya, b.predict(x)[0]), 1e-4);
  EXPECT_GT(keras::max_abs_diff(ya, before), 1e-2);
}

// enable_lora() after predict() planned (and fused) the layer: the plan runs it unfused.
TEST(LoraForward, EnablingAfterAPlanFusedTheLayerTakesEffect) {
  auto in = keras::Input({5});
  auto dense = L::Dense(4, {.activation = "relu"});
  auto conv_in = keras::Input({5, 5, 2});
  auto conv = L::Conv2D(3, 2, {.activation = "relu"});
  keras::Model dense_model(in, dense(in));
  keras::Model conv_model(conv_in, conv(conv_in));
  const Tensor x = keras::random::uniform({3, 5}, -1.0F, 1.0F, 1);
  const Tensor cx = keras::random::uniform({2, 5, 5, 2}, -1.0F, 1.0F, 2);
  const Tensor y0 = dense_model.predict(x)[0];
  const Tensor c0 = conv_model.predict(cx)[0];
  auto& d = static_cast<keras::detail::DenseImpl&>(*dense_model.get_layer(dense->name()));
  auto& c = static_cast<keras::detail::ConvImpl&>(*conv_model.get_layer(conv->name()));
  d.enable_lora(2);
  c.enable_lora(2);
  for (auto* layer : std::vector<keras::Layer*>{&d, &c})
    for (const auto& v : layer->own_trainable_variables()) randomize(v, 5);
  const Tensor y = dense_model.predict(x)[0];
  const Tensor cy = conv_model.predict(cx)[0];
  EXPECT_GT(keras::max_abs_diff(y, y0), 1e-2);
  EXPECT_GT(keras::max_abs_diff(cy, c0), 1e-2);
  EXPECT_LT(keras::max_abs_diff(y, d.forward(x, false)), 1e-6);
  EXPECT_LT(keras::max_abs_diff(cy, c.forward(cx, false)), 1e-5);
}

TEST(LoraForward, EmbeddingAndEinsumDenseUseTheMergedKernel) {
  L::Embedding emb(6, 4);
  emb->build_for({{2, 3}});
  emb->enable_lora(2, {.lora_alpha = 1});
  const auto& e = static_cast<const keras::detail::EmbeddingImpl&>(*emb);
  randomize(e.lora().a(), 1);
  randomize(e.lora().b(), 2);
  const Tensor ids = Tensor::from_vector_i64({2, 3}, {0, 5, 2, 2, 1, 4}, keras::DType::int32);
  const Tensor table = naive_merge(e.embeddings()->value(), e.lora().a()->value(), e.lora().b()->value(), 0.5);
  const Tensor y = emb->forward(ids, false);
  const auto tv = table.to_vector();
  const auto yv = y.to_vector();
  const std::vector<int> idv = {0, 5, 2, 2, 1, 4};
  for (std::size_t i = 0; i < idv.size(); ++i)
    for (std::size_t j = 0; j < 4; ++j) EXPECT_NEAR(yv[i * 4 + j], tv[static_cast<std::size_t>(idv[i]) * 4 + j], 1e-6);

  L::EinsumDense ein("abc,cde->abde", Shape{-1, 2, 4}, {.bias_axes = "de"});
  ein->build_for({{2, 3, 5}});
  ein->enable_lora(3, {.lora_alpha = 6});
  const auto& d = static_cast<const keras::detail::EinsumDenseImpl&>(*ein);
  randomize(d.bias(), 3);
  randomize(d.lora().a(), 4);
  randomize(d.lora().b(), 5);
  L::EinsumDense twin("abc,cde->abde", Shape{-1, 2, 4}, {.bias_axes = "de"});
  twin->build_for({{2, 3, 5}});
  const auto& t = static_cast<const keras::detail::EinsumDenseImpl&>(*twin);
  t.kernel()->assign(naive_merge(d.kernel()->value(), d.lora().a()->value(), d.lora().b()->value(), 2.0));
  t.bias()->assign(d.bias()->value());
  const Tensor x = keras::random::uniform({2, 3, 5}, -1.0F, 1.0F, 9);
  EXPECT_LT(keras::max_abs_diff(ein->forward(x, false), twin->forward(x, false)), 1e-5);
}

// --------------------------------------------------------------- gradients

TEST(LoraGradients, OnlyTheLoraMatricesAndBiasGetGradients) {
  L::Dense dense(3);
  dense->build_for({{2, 4}});
  dense->enable_lora(2);
  const auto& d = static_cast<const keras::detail::DenseImpl&>(*dense);
  randomize(d.lora().a(), 1);
  randomize(d.lora().b(), 2);
  keras::CallArgs args;
  args.tensors = {keras::random::uniform({2, 4}, -1.0F, 1.0F, 3)};
  args.args = Json::array({Json{{"__tensor__", 0}}});
  keras::VjpResult vjp = dense->call_vjp(args);
  const keras::Gradients g = vjp.pullback({Tensor::full({2, 3}, 1.0F)});
  std::vector<std::string> with_gradient;
  for (const auto& [v, grad] : g.variables) with_gradient.push_back(v->name());
  std::sort(with_gradient.begin(), with_gradient.end());
  EXPECT_EQ(with_gradient, (std::vector<std::string>{"bias", "lora_kernel_a", "lora_kernel_b"}));
  // d sum(y) / d b = scale * a^T (x^T 1): checked against the closed form.
  const auto x = args.tensors[0].to_vector();
  const auto a = d.lora().a()->value().to_vector();
  std::vector<float> expected(6, 0.0F);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j) {
      double acc = 0;
      for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 4; ++k)
          acc += double(x[static_cast<std::size_t>(i * 4 + k)]) * a[static_cast<std::size_t>(k * 2 + r)];
      expected[static_cast<std::size_t>(r * 3 + j)] = static_cast<float>(acc);
    }
  for (const auto& [v, grad] : g.variables) {
    if (v->name() == "lora_kernel_b") {
      EXPECT_LT(keras::max_abs_diff(grad, Tensor::from_vector({2, 3}, expected)), 1e-5);
    }
  }
}

// Keras' enable_lora() hands the kernel regularizer to a and b; the frozen
// kernel is no longer a trainable weight, so it is no longer penalized.
TEST(LoraGradients, TheKernelRegularizerMovesToTheLoraMatrices) {
  auto in = keras::Input({4});
  auto dense = L::Dense(2, {.kernel_regularizer = "l2", .bias_regularizer = "l1"});
  auto emb_in = keras::Input({3}, {.dtype = "int32"});
  auto emb = L::Embedding(5, 2, {.embeddings_regularizer = "l2"});
  keras::Model model({in, emb_in}, {dense(in), emb(emb_in)});
  auto regularized = [&] {
    std::vector<std::string> out;
    for (const auto& [v, r] : keras::training::variables_with(model.impl(), "regularizer")) out.push_back(v->name());
    return out;
  };
  EXPECT_EQ(regularized(), (std::vector<std::string>{"kernel", "bias", "embeddings"}));
  model.get_layer(dense->name())->enable_lora(2);
  model.get_layer(emb->name())->enable_lora(1);
  EXPECT_EQ(regularized(), (std::vector<std::string>{"lora_kernel_a", "lora_kernel_b", "bias", "lora_embeddings_a",
                                                     "lora_embeddings_b"}));
}

// ----------------------------------------------------------------- fit

TEST(LoraFit, OnlyTheLoraMatricesAndBiasChange) {
  auto in = keras::Input({4});
  auto dense = L::Dense(2, {.lora_rank = 2});
  keras::Model model(in, dense(in));
  const auto& d = static_cast<const keras::detail::DenseImpl&>(*model.get_layer(dense->name()));
  const Tensor kernel = d.kernel()->value().clone();
  const Tensor a = d.lora().a()->value().clone();
  const Tensor bias = d.bias()->value().clone();
  const Tensor x = keras::random::uniform({64, 4}, -1.0F, 1.0F, 1);
  const Tensor y = keras::random::uniform({64, 2}, -1.0F, 1.0F, 2);
  model.compile(
      {.optimizer = std::make_shared<keras::optimizers::SGD>(keras::optimizers::SGDOptions{.learning_rate = 0.1}),
       .loss = "mse"});
  auto history = model.fit(x, y, {.batch_size = 16, .epochs = 5, .verbose = 0, .seed = 3});
  const auto& [key, loss] = history->history().at(0);
  ASSERT_EQ(key, "loss");
  EXPECT_LT(loss.back(), loss.front());
  EXPECT_EQ(keras::max_abs_diff(d.kernel()->value(), kernel), 0.0);  // frozen
  EXPECT_GT(keras::max_abs_diff(d.lora().a()->value(), a), 1e-4);
  EXPECT_GT(keras::max_abs_diff(d.lora().b()->value(), Tensor::zeros({2, 2})), 1e-4);
  EXPECT_GT(keras::max_abs_diff(d.bias()->value(), bias), 1e-4);
  EXPECT_EQ(model.impl().trainable_variables().size(), 3U);
}

// ------------------------------------------------------------ save / load

struct SavedCase {
  std::string what;
  keras::Model model;
  std::string layer;
  std::string group;                  // the layer's vars group in model.weights.h5
  std::vector<std::string> datasets;  // what Keras' save_own_variables writes there
  Tensor x;
};

void check_save_load(SavedCase& c) {
  SCOPED_TRACE(c.what);
  auto* layer = c.model.get_layer(c.layer).ptr().get();
  ASSERT_TRUE(layer->lora_enabled());
  // Non-zero LoRA matrices, so that the merged kernel differs from the variable.
  auto trainable = layer->own_trainable_variables();
  for (std::size_t i = 0; i < trainable.size(); ++i) randomize(trainable[i], 20 + i);
  const Tensor y = c.model.predict(c.x)[0];
  const auto kernel_var = layer->non_trainable_variables().at(0);
  const Tensor kernel_before = kernel_var->value().clone();

  const auto weights = scratch(c.layer + ".weights.h5");
  keras::save_weights(c.model, weights, {.overwrite = true});
  EXPECT_EQ(stored_names(weights, c.group), c.datasets);
  // "0" is the merged kernel, not the variable.
  const Tensor saved = stored(weights, c.group, "0");
  EXPECT_GT(keras::max_abs_diff(saved, kernel_before), 1e-3);
  EXPECT_EQ(keras::max_abs_diff(kernel_var->value(), kernel_before), 0.0);  // saving changes nothing

  const auto file = scratch(c.layer + ".keras");
  keras::save_model(c.model, file, {.overwrite = true});
  keras::Model loaded = keras::load_model(file);
  auto* reloaded = loaded.get_layer(c.layer).ptr().get();
  ASSERT_TRUE(reloaded->lora_enabled());
  EXPECT_EQ(reloaded->get_config()["lora_rank"], layer->get_config()["lora_rank"]);
  // load_own_variables: the merged kernel in the kernel, a and b zeros.
  EXPECT_EQ(keras::max_abs_diff(reloaded->non_trainable_variables().at(0)->value(), saved), 0.0);
  for (const auto& v : reloaded->own_trainable_variables()) {
    if (v->name().starts_with("lora_")) {
      EXPECT_EQ(keras::max_abs_diff(v->value(), Tensor::zeros(v->shape())), 0.0);
    }
  }
  EXPECT_LT(keras::max_abs_diff(loaded.predict(c.x)[0], y), 1e-4);
  // And it saves the same datasets again.
  const auto again = scratch(c.layer + "_again.weights.h5");
  keras::save_weights(loaded, again, {.overwrite = true});
  EXPECT_EQ(stored_names(again, c.group), c.datasets);
  EXPECT_EQ(keras::max_abs_diff(stored(again, c.group, "0"), saved), 0.0);
}

TEST(LoraSaving, SaveWritesTheMergedKernelAndLoadResetsLora) {
  std::vector<SavedCase> cases;
  {
    keras::Sequential m({keras::Input({5}), L::Dense(3, {.name = "dense", .lora_rank = 2, .lora_alpha = 4})});
    cases.push_back({"Dense", m, "dense", "layers/dense/vars", {"0", "1"}, keras::random::uniform({4, 5}, -1, 1, 1)});
  }
  {
    keras::Sequential m({keras::Input({6, 6, 3}), L::Conv2D(4, 3, {.name = "conv", .lora_rank = 2, .lora_alpha = 3})});
    cases.push_back(
        {"Conv2D", m, "conv", "layers/conv2d/vars", {"0", "1"}, keras::random::uniform({2, 6, 6, 3}, -1, 1, 2)});
  }
  {
    keras::Sequential m({keras::Input({7, 2}), L::Conv1D(3, 2, {.use_bias = false, .name = "conv", .lora_rank = 1})});
    cases.push_back({"Conv1D", m, "conv", "layers/conv1d/vars", {"0"}, keras::random::uniform({2, 7, 2}, -1, 1, 3)});
  }
  {
    keras::Sequential m({keras::Input({4}, {.dtype = "int32"}), L::Embedding(9, 3, {.name = "emb", .lora_rank = 2})});
    cases.push_back({"Embedding",
                     m,
                     "emb",
                     "layers/embedding/vars",
                     {"0"},
                     Tensor::from_vector_i64({2, 4}, {1, 8, 0, 3, 3, 2, 7, 5}, keras::DType::int32)});
  }
  {
    keras::Sequential m({keras::Input({3, 5}), L::EinsumDense("abc,cd->abd", Shape{-1, 4},
                                                              {.bias_axes = "d", .name = "ein", .lora_rank = 2})});
    cases.push_back(
        {"EinsumDense", m, "ein", "layers/einsum_dense/vars", {"0", "1"}, keras::random::uniform({2, 3, 5}, -1, 1, 4)});
  }
  for (auto& c : cases) check_save_load(c);
}

// Quantized layers: Keras dequantizes, merges and quantizes again on save
// (int8: kernel, bias, kernel_scale), and adds (x @ a) @ b to its quantized call.
TEST(LoraSaving, QuantizedDenseMergesAndRequantizes) {
  for (const std::string mode : {"int8", "int4"}) {
    SCOPED_TRACE(mode);
    keras::Sequential m({keras::Input({8}), L::Dense(6, {.name = "dense"})});
    m.quantize(mode);
    auto* layer = m.get_layer("dense").ptr().get();
    auto& d = static_cast<keras::detail::DenseImpl&>(*layer);
    const Tensor x = keras::random::uniform({4, 8}, -1.0F, 1.0F, 5);
    const Tensor y0 = m.predict(x)[0];
    d.enable_lora(2, {.lora_alpha = 4});
    randomize(d.lora().a(), 6);
    randomize(d.lora().b(), 7);
    // y = quantized(x) + 2 * (x @ a) @ b.
    const Tensor y = m.predict(x)[0];
    const Tensor delta = naive_merge(Tensor::zeros({8, 6}), d.lora().a()->value(), d.lora().b()->value(), 2.0);
    std::vector<float> expected = y0.to_vector();
    const auto xv = x.to_vector();
    const auto dv = delta.to_vector();
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 6; ++j)
        for (int k = 0; k < 8; ++k)
          expected[static_cast<std::size_t>(i * 6 + j)] +=
              xv[static_cast<std::size_t>(i * 8 + k)] * dv[static_cast<std::size_t>(k * 6 + j)];
    EXPECT_LT(keras::max_abs_diff(y, Tensor::from_vector({4, 6}, expected)), 1e-4);

    const auto weights = scratch("q_" + mode + ".weights.h5");
    keras::save_weights(m, weights, {.overwrite = true});
    const auto datasets = stored_names(weights, "layers/dense/vars");
    // int8: kernel, bias, kernel_scale; int4 (grouped, block 128 > 8 rows): also kernel_zero, g_idx.
    const std::vector<std::string> expected_datasets =
        mode == "int8" ? std::vector<std::string>{"0", "1", "2"} : std::vector<std::string>{"0", "1", "2", "3", "4"};
    EXPECT_EQ(datasets, expected_datasets);
    EXPECT_EQ(stored(weights, "layers/dense/vars", "0").dtype(), keras::DType::int8);
    const auto file = scratch("q_" + mode + ".keras");
    keras::save_model(m, file, {.overwrite = true});
    keras::Model loaded = keras::load_model(file);
    EXPECT_TRUE(loaded.get_layer("dense")->lora_enabled());
    // The re-quantized merged kernel predicts the LoRA output up to quantization error.
    const Tensor reloaded = loaded.predict(x)[0];
    const double kept = keras::max_abs_diff(reloaded, y);
    const double lost = keras::max_abs_diff(y, y0);
    EXPECT_GT(lost, 1.0);
    EXPECT_LT(kept, (mode == "int8" ? 0.1 : 0.5) * lost) << kept << " vs " << lost;
  }
}

// The same for EinsumDense, whose int8 scale has the layout of the output (undone to dequantize,
// redone for the new scale): equations with and without transposed or expanded scale axes.
TEST(LoraSaving, QuantizedEinsumDenseMergesAndRequantizes) {
  struct Case {
    std::string equation;
    Shape output_shape;
    std::string bias_axes;
  };
  for (const Case& c : {Case{"abc,cd->abd", Shape{-1, 6}, "d"}, Case{"abc,cde->abde", Shape{-1, 3, 2}, "de"},
                        Case{"abc,dce->abde", Shape{-1, 2, 3}, "e"}}) {
    for (const std::string mode : {"int8", "int4"}) {
      SCOPED_TRACE(c.equation + " " + mode);
      keras::Sequential m({keras::Input({4, 8}),
                           L::EinsumDense(c.equation, c.output_shape, {.bias_axes = c.bias_axes, .name = "ein"})});
      const Tensor x = keras::random::uniform({3, 4, 8}, -1.0F, 1.0F, 5);
      m.quantize(mode);
      const Tensor y0 = m.predict(x)[0];
      auto* layer = m.get_layer("ein").ptr().get();
      auto& e = static_cast<keras::detail::EinsumDenseImpl&>(*layer);
      e.enable_lora(2, {.lora_alpha = 4});
      randomize(e.lora().a(), 6);
      randomize(e.lora().b(), 7);
      const Tensor y = m.predict(x)[0];

      const auto file = scratch("qe_" + mode + ".keras");
      keras::save_model(m, file, {.overwrite = true});
      keras::Model loaded = keras::load_model(file);
      EXPECT_TRUE(loaded.get_layer("ein")->lora_enabled());
      const Tensor reloaded = loaded.predict(x)[0];
      const double kept = keras::max_abs_diff(reloaded, y);
      const double lost = keras::max_abs_diff(y, y0);
      EXPECT_GT(lost, 1.0);
      EXPECT_LT(kept, (mode == "int8" ? 0.1 : 0.5) * lost) << kept << " vs " << lost;
      const auto weights = scratch("qe_" + mode + ".weights.h5");
      keras::save_weights(m, weights, {.overwrite = true});
      EXPECT_EQ(stored(weights, "layers/einsum_dense/vars", "0").dtype(), keras::DType::int8);
    }
  }
}

}  // namespace
