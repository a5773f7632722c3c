// Inference fusion of Dense layers (models/fusion.hpp): a Dense, its activation and an activation
// layer that alone reads its output run as one prepared oneDNN matmul at predict. The fused
// result must equal running the layers one after the other (Layer::forward, unfused), within
// float32 rounding: the matmul sums in another order and oneDNN's eltwise post-ops are
// vectorized approximations of exp, tanh and erf (a few ulp). Tolerance: |fused - unfused| <=
// 2e-5 + 2e-5 * |unfused| for inputs in [-3, 3] and kernels of unit row norm.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "models/execution_plan.hpp"
#include "models/functional.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"

namespace {

namespace L = keras::layers;
using keras::Shape;
using keras::Tensor;

constexpr std::int64_t kIn = 48;
constexpr std::int64_t kUnits = 37;  // not a multiple of any vector width
constexpr double kAtol = 2e-5;
constexpr double kRtol = 2e-5;

void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  ASSERT_EQ(actual.dtype(), keras::DType::float32) << what;
  const float* a = actual.data<float>();
  const float* e = expected.data<float>();
  int bad = 0;
  for (std::int64_t i = 0; i < actual.size(); ++i) {
    if (std::abs(static_cast<double>(a[i]) - e[i]) > kAtol + kRtol * std::abs(static_cast<double>(e[i]))) {
      if (++bad <= 3) ADD_FAILURE() << what << ": element " << i << " fused " << a[i] << ", unfused " << e[i];
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

// How many plan steps run fused, and how many were absorbed into them.
std::pair<int, int> fusion_counts(const keras::Model& model) {
  auto& graph = dynamic_cast<keras::detail::FunctionalImpl&>(model.impl());
  int fused = 0;
  int absorbed = 0;
  for (const auto& step : graph.execution_plan()->steps) {
    fused += step.fused ? 1 : 0;
    absorbed += step.absorbed ? 1 : 0;
  }
  return {fused, absorbed};
}

Tensor random_kernel(std::int64_t in, std::int64_t units, std::uint64_t seed) {
  return keras::random::normal({in, units}, 0.0F, 1.0F / std::sqrt(static_cast<float>(in)), seed);
}

// The layers' own forward passes, one after the other (never fused).
Tensor unfused(const keras::Model& model, const std::vector<std::string>& layer_names, const Tensor& x) {
  Tensor y = x;
  for (const auto& name : layer_names) y = model.get_layer(name).ptr()->forward(y, false);
  return y;
}

const std::vector<std::string> kFusedActivations = {
    "linear",     "relu", "relu6", "sigmoid",     "tanh",         "silu",      "hard_silu", "gelu",
    "leaky_relu", "elu",  "selu",  "exponential", "hard_sigmoid", "hard_tanh", "mish",      "log_sigmoid"};

TEST(DenseFusion, EachActivationWithAndWithoutBiasMatchesTheUnfusedLayer) {
  // softmax and softsign are no post-ops: the prepared matmul runs, the activation after it.
  std::vector<std::string> activations = kFusedActivations;
  activations.insert(activations.end(), {"softmax", "softsign"});
  std::uint64_t seed = 1;
  for (const auto& activation : activations) {
    for (bool use_bias : {true, false}) {
      auto input = keras::Input({kIn});
      auto output = L::Dense(kUnits, {.activation = activation, .use_bias = use_bias, .name = "d"})(input);
      keras::Model model(input, output);
      std::vector<Tensor> weights{random_kernel(kIn, kUnits, seed++)};
      if (use_bias) weights.push_back(keras::random::uniform({kUnits}, -1.0F, 1.0F, seed++));
      model.set_weights(weights);
      EXPECT_EQ(fusion_counts(model), std::make_pair(1, 0)) << activation;
      for (std::int64_t batch : {1, 5, 64}) {
        const Tensor x = keras::random::uniform({batch, kIn}, -3.0F, 3.0F, seed++);
        const std::string what =
            activation + (use_bias ? " with bias" : " without bias") + ", batch " + std::to_string(batch);
        expect_close(model.predict(x, batch).at(0), unfused(model, {"d"}, x), what);
      }
    }
  }
}

TEST(DenseFusion, AbsorbsTheActivationLayerThatAloneReadsItsOutput) {
  std::uint64_t seed = 100;
  struct Case {
    std::string dense_activation;
    std::string layer_activation;
    bool absorbed;
  };
  const std::vector<Case> cases = {{"linear", "relu", true},    {"linear", "gelu", true},
                                   {"linear", "sigmoid", true}, {"relu", "tanh", true},  // two post-ops
                                   {"softmax", "relu", false},  {"linear", "softmax", false}};
  for (const auto& c : cases) {
    auto input = keras::Input({kIn});
    auto hidden = L::Dense(kUnits, {.activation = c.dense_activation, .name = "d"})(input);
    auto output = L::Activation(c.layer_activation, {.name = "a"})(hidden);
    keras::Model model(input, output);
    model.set_weights({random_kernel(kIn, kUnits, seed++), keras::random::uniform({kUnits}, -1.0F, 1.0F, seed++)});
    const std::string what = "Dense(" + c.dense_activation + ") -> Activation(" + c.layer_activation + ")";
    EXPECT_EQ(fusion_counts(model), std::make_pair(1, c.absorbed ? 1 : 0)) << what;
    for (std::int64_t batch : {1, 9}) {
      const Tensor x = keras::random::uniform({batch, kIn}, -3.0F, 3.0F, seed++);
      expect_close(model.predict(x, batch).at(0), unfused(model, {"d", "a"}, x), what);
    }
  }
}

TEST(DenseFusion, AnOutputReadTwiceIsNotAbsorbed) {
  auto input = keras::Input({kIn});
  auto hidden = L::Dense(kUnits, {.name = "d"})(input);
  auto activated = L::Activation("relu", {.name = "a"})(hidden);
  keras::Model model(std::vector<keras::KerasTensor>{input}, std::vector<keras::KerasTensor>{activated, hidden});
  model.set_weights({random_kernel(kIn, kUnits, 7), keras::random::uniform({kUnits}, -1.0F, 1.0F, 8)});
  EXPECT_EQ(fusion_counts(model), std::make_pair(1, 0));
  const Tensor x = keras::random::uniform({3, kIn}, -3.0F, 3.0F, 9);
  auto out = model.predict(x, 3);
  expect_close(out.at(0), unfused(model, {"d", "a"}, x), "activation output");
  expect_close(out.at(1), unfused(model, {"d"}, x), "Dense output");
}

TEST(DenseFusion, FollowsAssignedKernelAndBias) {
  auto input = keras::Input({kIn});
  auto output = L::Dense(kUnits, {.activation = "relu", .name = "d"})(input);
  keras::Model model(input, output);
  auto layer = model.get_layer("d").ptr();
  const Tensor x1 = keras::random::uniform({1, kIn}, -3.0F, 3.0F, 11);
  const Tensor x64 = keras::random::uniform({64, kIn}, -3.0F, 3.0F, 12);
  // Prepared for both batch sizes, then the weights change under the preparations.
  model.predict(x1, 1);
  model.predict(x64, 64);
  auto kernel = layer->weights().at(0);
  auto bias = layer->weights().at(1);
  kernel->assign(random_kernel(kIn, kUnits, 13));
  expect_close(model.predict(x64, 64).at(0), unfused(model, {"d"}, x64), "batch 64 after assigning the kernel");
  expect_close(model.predict(x1, 1).at(0), unfused(model, {"d"}, x1), "batch 1 after assigning the kernel");
  bias->assign(keras::random::uniform({kUnits}, -1.0F, 1.0F, 14));
  expect_close(model.predict(x1, 1).at(0), unfused(model, {"d"}, x1), "batch 1 after assigning the bias");
  expect_close(model.predict(x64, 64).at(0), unfused(model, {"d"}, x64), "batch 64 after assigning the bias");
  // A change the old preparation would miss: the result must move.
  const Tensor before = model.predict(x1, 1).at(0);
  Tensor negated = kernel->value().astype(keras::DType::float32);
  Tensor flipped = Tensor::uninitialized(negated.shape());
  for (std::int64_t i = 0; i < negated.size(); ++i) flipped.data<float>()[i] = -negated.data<float>()[i];
  kernel->assign(flipped);
  const Tensor after = model.predict(x1, 1).at(0);
  expect_close(after, unfused(model, {"d"}, x1), "batch 1 after negating the kernel");
  bool moved = false;
  for (std::int64_t i = 0; i < before.size(); ++i) moved = moved || before.data<float>()[i] != after.data<float>()[i];
  EXPECT_TRUE(moved);
}

// The prepared product keeps the kernel in oneDNN's layout; the variable gives its own buffer
// back (the weights are in memory once) and rebuilds it bit for bit when it is read again.
TEST(DenseFusion, ThePreparedCopyIsTheOnlyCopyOfTheKernel) {
  auto make_model = [] {
    auto input = keras::Input({kIn});
    auto output = L::Dense(kUnits, {.activation = "relu", .name = "d"})(input);
    keras::Model model(input, output);
    model.set_weights({random_kernel(kIn, kUnits, 41), keras::random::uniform({kUnits}, -1.0F, 1.0F, 42)});
    return model;
  };
  const Tensor x64 = keras::random::uniform({64, kIn}, -3.0F, 3.0F, 43);
  const Tensor x1 = keras::random::uniform({1, kIn}, -3.0F, 3.0F, 44);
  keras::Model model = make_model();
  auto kernel = model.get_layer("d").ptr()->weights().at(0);
  const Tensor original = kernel->value().clone();
  const std::uint64_t version = kernel->version();
  const Tensor y64 = model.predict(x64, 64).at(0);
  EXPECT_TRUE(kernel->released());
  EXPECT_TRUE(kernel->allocated());
  EXPECT_EQ(kernel->version(), version);  // the numbers did not change
  // Another batch size prepares again from the rebuilt value, and lets it go again.
  const Tensor y1 = model.predict(x1, 1).at(0);
  EXPECT_TRUE(kernel->released());
  const Tensor back = kernel->value();
  EXPECT_FALSE(kernel->released());
  ASSERT_EQ(back.shape(), original.shape());
  EXPECT_EQ(std::memcmp(back.data<float>(), original.data<float>(), sizeof(float) * original.size()), 0);
  expect_close(y64, unfused(model, {"d"}, x64), "batch 64 from the released kernel");
  expect_close(y1, unfused(model, {"d"}, x1), "batch 1 from the released kernel");
  // A copy held elsewhere shares the buffer: nothing is given back.
  keras::Model held_model = make_model();
  auto held_kernel = held_model.get_layer("d").ptr()->weights().at(0);
  const Tensor held = held_kernel->value();
  held_model.predict(x64, 64);
  EXPECT_FALSE(held_kernel->released());
  // Assigning a released variable replaces it: the old numbers are not rebuilt over the new ones.
  keras::Model assigned_model = make_model();
  auto assigned_kernel = assigned_model.get_layer("d").ptr()->weights().at(0);
  assigned_model.predict(x64, 64);
  ASSERT_TRUE(assigned_kernel->released());
  const Tensor replacement = random_kernel(kIn, kUnits, 45);
  assigned_kernel->assign(replacement);
  EXPECT_FALSE(assigned_kernel->released());
  EXPECT_EQ(std::memcmp(assigned_kernel->value().data<float>(), replacement.data<float>(),
                        sizeof(float) * replacement.size()),
            0);
}

// Kernels of more rows than one block (about 256 KiB of rows): the variable's buffer is
// copied into the prepared layout a block at a time and each block's pages go as it is copied.
// The product must equal, bit for bit, one prepared from a copy of the kernel (a model whose
// kernel buffer is shared elsewhere keeps it), and the kernel must read back bit for bit.
TEST(DenseFusion, AKernelGivenUpBlockByBlockIsCopiedExactly) {
  // Unpadded in oneDNN's layouts ({512, 1024}: blocks of 64 rows; {2048, 128}: of 512), and
  // padded ones, which are copied whole.
  for (const auto& size : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {512, 1024}, {2048, 128}, {1024, 300}, {1000, 130}, {4100, 17}}) {
    const std::int64_t in = size.first;
    const std::int64_t units = size.second;
    SCOPED_TRACE(std::to_string(in) + " x " + std::to_string(units));
    auto make_model = [&] {
      auto input = keras::Input({in});
      auto output = L::Dense(units, {.activation = "tanh", .name = "d"})(input);
      keras::Model model(input, output);
      model.set_weights({random_kernel(in, units, 51), keras::random::uniform({units}, -1.0F, 1.0F, 52)});
      return model;
    };
    keras::Model given_up = make_model();
    keras::Model kept = make_model();
    auto given_up_kernel = given_up.get_layer("d").ptr()->weights().at(0);
    auto kept_kernel = kept.get_layer("d").ptr()->weights().at(0);
    const Tensor original = given_up_kernel->value().clone();
    const Tensor held = kept_kernel->value();  // shares the buffer: nothing is given up
    for (const std::int64_t batch : {64, 3, 1}) {
      const Tensor x = keras::random::uniform({batch, in}, -1.0F, 1.0F, 53 + batch);
      const Tensor a = given_up.predict(x, batch).at(0);
      const Tensor b = kept.predict(x, batch).at(0);
      ASSERT_EQ(a.shape(), b.shape());
      EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), sizeof(float) * a.size()), 0) << "batch " << batch;
    }
    EXPECT_TRUE(given_up_kernel->released());
    EXPECT_FALSE(kept_kernel->released());
    const Tensor back = given_up_kernel->value();
    ASSERT_EQ(back.shape(), original.shape());
    EXPECT_EQ(std::memcmp(back.data<float>(), original.data<float>(), sizeof(float) * original.size()), 0);
  }
}

TEST(DenseFusion, AQuantizedLayerRunsUnfused) {
  // The plan fuses while the layer is float; Model::quantize changes it afterwards.
  auto input = keras::Input({kIn});
  auto output = L::Dense(kUnits, {.activation = "relu", .name = "d"})(input);
  keras::Model model(input, output);
  model.set_weights({random_kernel(kIn, kUnits, 31), keras::random::uniform({kUnits}, -1.0F, 1.0F, 32)});
  const Tensor x = keras::random::uniform({2, kIn}, -3.0F, 3.0F, 33);
  model.predict(x, 2);
  model.quantize("int8");
  expect_close(model.predict(x, 2).at(0), unfused(model, {"d"}, x), "int8 after quantize");
}

TEST(DenseFusion, InputsOfRankThreeAndSequentialModels) {
  keras::Sequential model(
      {L::Dense(kUnits, {.activation = "gelu", .name = "d1"}), L::Dense(5, {.activation = "tanh", .name = "d2"})});
  model.build({-1, 6, kIn});
  const Tensor x = keras::random::uniform({4, 6, kIn}, -3.0F, 3.0F, 21);
  expect_close(model.predict(x, 4).at(0), unfused(model, {"d1", "d2"}, x), "Sequential on [4, 6, 48]");
}

// Conv2D -> BatchNormalization -> Activation runs as one convolution whether the normalization
// names the channels axis -1 or counts it from the front (keras.applications write axis=3).
TEST(ConvFusion, FoldsTheNormalizationWhicheverWayItNamesTheChannelsAxis) {
  std::uint64_t seed = 700;
  for (int axis : {-1, 3}) {
    auto input = keras::Input({9, 9, 5});
    auto y = L::Conv2D(7, {3, 3}, {.padding = "same", .use_bias = false, .name = "c"})(input);
    y = L::BatchNormalization({.axis = axis, .name = "bn"})(y);
    y = L::Activation("swish", {.name = "a"})(y);
    keras::Model model(input, y);
    for (const std::string name : {"c", "bn"})
      for (const auto& v : model.get_layer(name).ptr()->weights())
        v->assign(keras::random::uniform(v->shape(), 0.5F, 1.5F, seed++));
    EXPECT_EQ(fusion_counts(model), std::make_pair(1, 2)) << "axis " << axis;
    const Tensor x = keras::random::uniform({3, 9, 9, 5}, -3.0F, 3.0F, seed++);
    expect_close(model.predict(x, 3).at(0), unfused(model, {"c", "bn", "a"}, x), "axis " + std::to_string(axis));
  }
}

// A ZeroPadding whose output only a convolution reads becomes the convolution's own padding
// (MobileNetV2's and EfficientNet's stride-2 blocks), whatever the convolution's padding mode,
// strides and dilation; padding as wide as the kernel, or an output read twice, stays a step.
TEST(ConvFusion, AbsorbsTheZeroPaddingOnlyItReads) {
  std::uint64_t seed = 800;
  auto randomize = [&](const keras::Model& model, const std::vector<std::string>& names) {
    for (const auto& name : names)
      for (const auto& v : model.get_layer(name).ptr()->weights())
        v->assign(keras::random::uniform(v->shape(), 0.5F, 1.5F, seed++));
  };
  struct Case {
    std::vector<L::Pad> pads;
    std::int64_t kernel;
    std::int64_t stride;
    std::string padding;
    std::int64_t dilation;
    bool absorbed;
  };
  const std::vector<Case> cases = {
      {{{0, 1}, {0, 1}}, 3, 2, "valid", 1, true},  // MobileNetV2
      {{{2, 2}, {2, 2}}, 5, 2, "valid", 1, true},  // EfficientNet's 5x5 blocks
      {{{1, 0}, {0, 2}}, 3, 2, "same", 1, true},   {{{2, 1}, {1, 3}}, 3, 1, "valid", 2, true},
      {{{3, 0}, {0, 0}}, 3, 2, "valid", 1, false},  // as wide as the kernel
  };
  for (const auto& c : cases) {
    for (bool depthwise : {true, false}) {
      const std::string what = std::string(depthwise ? "depthwise" : "conv") + " k" + std::to_string(c.kernel) + " s" +
                               std::to_string(c.stride) + " " + c.padding + " d" + std::to_string(c.dilation) +
                               " pads " + std::to_string(c.pads[0].first) + "," + std::to_string(c.pads[0].second) +
                               "," + std::to_string(c.pads[1].first) + "," + std::to_string(c.pads[1].second);
      auto input = keras::Input({11, 10, 6});
      auto y = L::ZeroPadding2D({.padding = c.pads, .name = "p"})(input);
      const std::vector<std::int64_t> strides = {c.stride, c.stride};
      const std::vector<std::int64_t> dilation = {c.dilation, c.dilation};
      if (depthwise) {
        y = L::DepthwiseConv2D({c.kernel, c.kernel}, {.strides = c.stride == 1 ? std::vector<std::int64_t>{1} : strides,
                                                      .padding = c.padding,
                                                      .depth_multiplier = 2,
                                                      .dilation_rate = dilation,
                                                      .name = "c"})(y);
      } else {
        y = L::Conv2D(7, {c.kernel, c.kernel},
                      {.strides = strides, .padding = c.padding, .dilation_rate = dilation, .name = "c"})(y);
      }
      y = L::BatchNormalization({.name = "bn"})(y);
      y = L::ReLU({.max_value = 6.0, .name = "a"})(y);
      keras::Model model(input, y);
      randomize(model, {"c", "bn"});
      EXPECT_EQ(fusion_counts(model), std::make_pair(1, c.absorbed ? 3 : 2)) << what;
      for (std::int64_t batch : {1, 4}) {
        const Tensor x = keras::random::uniform({batch, 11, 10, 6}, -3.0F, 3.0F, seed++);
        expect_close(model.predict(x, batch).at(0), unfused(model, {"p", "c", "bn", "a"}, x), what);
      }
    }
  }

  // ZeroPadding1D before a dilated Conv1D.
  {
    auto input = keras::Input({13, 3});
    auto y = L::ZeroPadding1D({.padding = {4, 1}, .name = "p"})(input);
    y = L::Conv1D(5, 3, {.dilation_rate = {2}, .activation = "relu", .name = "c"})(y);
    keras::Model model(input, y);
    randomize(model, {"c"});
    EXPECT_EQ(fusion_counts(model), std::make_pair(1, 1)) << "Conv1D";
    const Tensor x = keras::random::uniform({2, 13, 3}, -3.0F, 3.0F, seed++);
    expect_close(model.predict(x, 2).at(0), unfused(model, {"p", "c"}, x), "Conv1D");
  }

  // The padded tensor is also a model output: the padding stays a step of its own.
  {
    auto input = keras::Input({8, 8, 3});
    auto padded = L::ZeroPadding2D({.padding = {{0, 1}, {0, 1}}, .name = "p"})(input);
    auto y = L::Conv2D(4, {3, 3}, {.strides = {2, 2}, .name = "c"})(padded);
    keras::Model model(std::vector<keras::KerasTensor>{input}, std::vector<keras::KerasTensor>{y, padded});
    randomize(model, {"c"});
    EXPECT_EQ(fusion_counts(model), std::make_pair(1, 0));
    const Tensor x = keras::random::uniform({2, 8, 8, 3}, -3.0F, 3.0F, seed++);
    auto out = model.predict(x, 2);
    expect_close(out.at(0), unfused(model, {"p", "c"}, x), "conv output");
    expect_close(out.at(1), unfused(model, {"p"}, x), "padding output");
  }
}

// EinsumDense equations that are a plain matrix product run through a prepared matmul at
// inference (every call, inside MultiHeadAttention too): same tolerance against the einsum.
TEST(EinsumDenseMatmul, PlainProductsMatchTheEinsum) {
  struct Case {
    std::string equation;
    Shape input;  // batch included
    Shape output;
    std::optional<std::string> bias_axes;
    std::string activation;
  };
  const std::vector<Case> cases = {
      {"abc,cde->abde", {3, 5, 16}, {5, 4, 8}, "de", "linear"},  // bias fused
      {"abc,cde->abde", {3, 5, 16}, {5, 4, 8}, "e", "relu"},     // bias [8] broadcast after
      {"abcd,cde->abe", {2, 5, 4, 8}, {5, 16}, "e", "gelu"},     // two contracted axes
      {"...b,bc->...c", {7, 16}, {9}, "c", "tanh"},
      {"ab,bc->ac", {1, 16}, {9}, std::nullopt, "linear"},
      {"abc,bd->acd", {3, 5, 16}, {16, 6}, "d", "linear"},  // contracts a middle axis: the einsum path
  };
  std::uint64_t seed = 300;
  for (const auto& c : cases) {
    auto input = keras::Input(Shape(c.input.begin() + 1, c.input.end()));
    auto output = L::EinsumDense(c.equation, c.output,
                                 {.activation = c.activation, .bias_axes = c.bias_axes, .name = "e"})(input);
    keras::Model model(input, output);
    auto layer = model.get_layer("e").ptr();
    for (const auto& v : layer->weights()) v->assign(keras::random::uniform(v->shape(), -1.0F, 1.0F, seed++));
    for (int round = 0; round < 2; ++round) {
      const Tensor x = keras::random::uniform(c.input, -3.0F, 3.0F, seed++);
      Tensor expected = keras::kernels::einsum(c.equation, x, layer->weights().at(0)->value());
      if (c.bias_axes) expected = keras::kernels::add(expected, layer->weights().at(1)->value());
      expected = L::Activation(c.activation).ptr()->forward(expected, false);
      const std::string what = c.equation + " bias " + c.bias_axes.value_or("none") + " round " + std::to_string(round);
      expect_close(layer->forward(x, false), expected, what);
      expect_close(model.predict(x, c.input[0]).at(0), expected, what + " (predict)");
      // Round 2 runs after a new kernel: the preparation must follow it.
      layer->weights().at(0)->assign(keras::random::uniform(layer->weights().at(0)->shape(), -1.0F, 1.0F, seed++));
    }
  }
}

}  // namespace
