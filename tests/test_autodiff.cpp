// keras::ad: every differentiable operation's gradient against central
// finite differences, the activation derivatives, and the tape itself
// (shared subexpressions, broadcasting, multi-output operations, constants).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "keras/autodiff.hpp"
#include "keras/keras.hpp"
#include "ops/elementwise.hpp"
#include "support/gradient_check.hpp"

namespace {

using keras::Tensor;
namespace ad = keras::ad;
using ad::Var;

Tensor uniform(const keras::Shape& shape, float lo, float hi, std::uint64_t seed) {
  return keras::random::uniform(shape, lo, hi, seed);
}

// Distinct values (a shuffled even grid over [-1, 1]).
Tensor distinct(const keras::Shape& shape, std::uint64_t seed) {
  const std::int64_t n = keras::shape_size(shape);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    values[static_cast<std::size_t>(i)] = -1.0F + 2.0F * static_cast<float>(i) / static_cast<float>(n);
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::shuffle(values.begin(), values.end(), rng);
  return Tensor::from_vector(shape, values);
}

struct OpCase {
  std::string name;
  std::function<Var(const Var&)> f;
  Tensor x;
};

TEST(Autodiff, TapeBasics) {
  Var w = ad::leaf(Tensor::from_vector({2}, {1.0F, 2.0F}));
  Var y = ad::sum(ad::square(w));
  EXPECT_FLOAT_EQ(y.value().item(), 5.0F);
  auto g = ad::gradients(y, {w});
  EXPECT_EQ(g[0].to_vector(), (std::vector<float>{2.0F, 4.0F}));
  // A value used twice accumulates both contributions.
  Var z = ad::sum(w * w + w);
  EXPECT_EQ(ad::gradients(z, {w})[0].to_vector(), (std::vector<float>{3.0F, 5.0F}));
  // Constants record nothing; a leaf the output does not use gets zeros.
  Var c = Var(Tensor::from_vector({2}, {3.0F, 4.0F}));
  EXPECT_FALSE((c * c).requires_grad());
  Var unused = ad::leaf(Tensor::zeros({3}));
  EXPECT_EQ(ad::gradients(y, {unused})[0].to_vector(), (std::vector<float>{0, 0, 0}));
  // Broadcast operands get their gradient summed back to their shape.
  Var b = ad::leaf(Tensor::from_vector({1, 2}, {1.0F, 1.0F}));
  Var m = ad::leaf(Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6}));
  auto gb = ad::gradients(ad::sum(m * b), {b, m});
  EXPECT_EQ(gb[0].to_vector(), (std::vector<float>{9.0F, 12.0F}));
  EXPECT_EQ(gb[1].to_vector(), (std::vector<float>{1, 1, 1, 1, 1, 1}));
  // Multi-output operations: only the outputs used carry gradient.
  auto parts = ad::split(m, 2, 1);
  auto gs = ad::gradients(ad::sum(parts[1] * 2.0F), {m});
  EXPECT_EQ(gs[0].to_vector(), (std::vector<float>{0, 2, 0, 2, 0, 2}));
}

TEST(Autodiff, EveryOperationMatchesFiniteDifferences) {
  const Tensor x = uniform({3, 4}, -2.0F, 2.0F, 1);
  const Tensor pos = uniform({3, 4}, 0.5F, 2.0F, 2);
  const Tensor y = uniform({3, 4}, -2.0F, 2.0F, 3);
  const Tensor row = uniform({4}, -1.0F, 1.0F, 4);
  const Tensor w = uniform({4, 5}, -1.0F, 1.0F, 5);
  const Tensor batch = uniform({2, 3, 4}, -1.0F, 1.0F, 6);
  const Tensor idx = Tensor::from_vector_i64({5}, {0, 2, 2, 1, -1});
  const Tensor cond = keras::kernels::greater(y, Tensor::scalar(0.0F));
  std::vector<OpCase> cases = {
      {"neg", [](const Var& v) { return ad::neg(v); }, x},
      {"exp", [](const Var& v) { return ad::exp(v); }, x},
      {"log", [](const Var& v) { return ad::log(v); }, pos},
      {"log1p", [](const Var& v) { return ad::log1p(v); }, pos},
      {"expm1", [](const Var& v) { return ad::expm1(v); }, x},
      {"sqrt", [](const Var& v) { return ad::sqrt(v); }, pos},
      {"rsqrt", [](const Var& v) { return ad::rsqrt(v); }, pos},
      {"square", [](const Var& v) { return ad::square(v); }, x},
      {"abs", [](const Var& v) { return ad::abs(v); }, x},
      {"tanh", [](const Var& v) { return ad::tanh(v); }, x},
      {"sigmoid", [](const Var& v) { return ad::sigmoid(v); }, x},
      {"relu", [](const Var& v) { return ad::relu(v); }, x},
      {"softplus", [](const Var& v) { return ad::softplus(v); }, x},
      {"sin", [](const Var& v) { return ad::sin(v); }, x},
      {"cos", [](const Var& v) { return ad::cos(v); }, x},
      {"erf", [](const Var& v) { return ad::erf(v); }, x},
      {"reciprocal", [](const Var& v) { return ad::reciprocal(v); }, pos},
      {"add", [&](const Var& v) { return v + Var(y); }, x},
      {"subtract", [&](const Var& v) { return Var(y) - v; }, x},
      {"multiply", [&](const Var& v) { return v * Var(y); }, x},
      {"divide num", [&](const Var& v) { return v / Var(pos); }, x},
      {"divide den", [&](const Var& v) { return Var(y) / v; }, pos},
      {"divide_no_nan", [&](const Var& v) { return ad::divide_no_nan(Var(y), v); }, pos},
      {"power base", [](const Var& v) { return ad::power(v, ad::scalar(2.5F)); }, pos},
      {"power exponent", [&](const Var& v) { return ad::power(Var(pos), v); }, x},
      {"maximum", [&](const Var& v) { return ad::maximum(v, Var(y)); }, x},
      {"minimum", [&](const Var& v) { return ad::minimum(v, Var(y)); }, x},
      {"where", [&](const Var& v) { return ad::where(cond, v, v * 3.0F); }, x},
      {"clip", [](const Var& v) { return ad::clip(v, -1.0F, 1.0F); }, x},
      {"broadcast add", [&](const Var& v) { return Var(x) + v; }, row},
      {"sum", [](const Var& v) { return ad::sum(v, {1}); }, x},
      {"sum keepdims", [](const Var& v) { return ad::sum(v, {0}, true); }, x},
      {"mean", [](const Var& v) { return ad::mean(v); }, x},
      {"max", [](const Var& v) { return ad::max(v, {1}); }, x},
      {"min", [](const Var& v) { return ad::min(v, {0}); }, x},
      {"prod", [](const Var& v) { return ad::prod(v, {1}); }, pos},
      {"var", [](const Var& v) { return ad::var(v, {1}); }, x},
      {"stddev", [](const Var& v) { return ad::stddev(v, {0}); }, x},
      {"logsumexp", [](const Var& v) { return ad::logsumexp(v, {1}); }, x},
      {"softmax", [](const Var& v) { return ad::softmax(v, {-1}); }, x},
      {"softmax 2 axes",
       [](const Var& v) {
         return ad::softmax(v, {0, 1});
       },
       x},
      {"log_softmax", [](const Var& v) { return ad::log_softmax(v, {0}); }, x},
      {"l2_normalize", [](const Var& v) { return ad::l2_normalize(v, {-1}); }, x},
      {"reshape",
       [](const Var& v) {
         return ad::reshape(v, {2, 6}) * ad::reshape(v, {2, 6});
       },
       x},
      {"transpose",
       [](const Var& v) {
         return ad::transpose(v, {2, 0, 1});
       },
       batch},
      {"expand/squeeze", [](const Var& v) { return ad::squeeze(ad::expand_dims(v, 1), {1}) * 2.0F; }, x},
      {"broadcast_to",
       [](const Var& v) {
         return ad::broadcast_to(v, {3, 4});
       },
       row},
      {"concatenate",
       [&](const Var& v) {
         return ad::concatenate({v, Var(y), v * v}, 1);
       },
       x},
      {"stack",
       [&](const Var& v) {
         return ad::stack({v, v * 2.0F}, 1);
       },
       x},
      {"split", [](const Var& v) { return ad::split(v, 2, 1)[0] * ad::split(v, 2, 1)[1]; }, x},
      {"slice",
       [](const Var& v) {
         return ad::slice(v, {1, 1}, {2, -1});
       },
       x},
      {"pad",
       [](const Var& v) {
         return ad::pad(v, {{1, 0}, {2, 1}}, 0.5F);
       },
       x},
      {"tile",
       [](const Var& v) {
         return ad::tile(v, {2, 1});
       },
       x},
      {"repeat", [](const Var& v) { return ad::repeat(v, 3, 0); }, x},
      {"flip", [](const Var& v) { return ad::flip(v, {1}); }, x},
      {"take", [&](const Var& v) { return ad::take(v, idx, 1); }, x},
      {"take_along_axis",
       [&](const Var& v) {
         return ad::take_along_axis(v, Tensor::from_vector_i64({3, 1}, {0, 3, 1}), 1);
       },
       x},
      {"cast", [](const Var& v) { return ad::cast(v, keras::DType::float32) * 2.0F; }, x},
      {"matmul a", [&](const Var& v) { return ad::matmul(v, Var(w)); }, x},
      {"matmul b", [&](const Var& v) { return ad::matmul(Var(x), v); }, w},
      {"matmul batched", [&](const Var& v) { return ad::matmul(v, Var(w)); }, batch},
      {"matmul vector", [&](const Var& v) { return ad::matmul(v, Var(w)); }, row},
      {"dense x", [&](const Var& v) { return ad::dense(v, Var(w), Var(uniform({5}, -1, 1, 9))); }, batch},
      {"dense kernel", [&](const Var& v) { return ad::dense(Var(batch), v); }, w},
      {"einsum", [&](const Var& v) { return ad::einsum("abc,cd->abd", v, Var(w)); }, batch},
      {"einsum operand b", [&](const Var& v) { return ad::einsum("abc,cd->abd", Var(batch), v); }, w},
      {"einsum summed alone", [&](const Var& v) { return ad::einsum("abc,cd->ad", v, Var(w)); }, batch},
      {"einsum ellipsis", [&](const Var& v) { return ad::einsum("...c,cd->...d", v, Var(w)); }, batch},
  };
  for (const auto& c : cases) keras_test::expect_gradient_matches(c.f, c.x, {.rtol = 1e-2, .atol = 1e-3}, c.name);
}

// Convolutions and poolings in 1, 2 and 3 spatial dims, with strides,
// dilation, groups and every padding.
TEST(Autodiff, ConvolutionsAndPoolingsMatchFiniteDifferences) {
  const Tensor x1 = uniform({2, 9, 4}, -1, 1, 11);
  const Tensor x2 = uniform({1, 5, 4, 4}, -1, 1, 12);
  const Tensor x3 = uniform({1, 4, 4, 3, 2}, -1, 1, 13);
  const Tensor k1 = uniform({3, 4, 5}, -1, 1, 14);
  const Tensor k2 = uniform({3, 2, 4, 3}, -1, 1, 15);
  const Tensor k2g = uniform({3, 3, 2, 6}, -1, 1, 16);  // groups = 2
  const Tensor k3 = uniform({2, 3, 2, 2, 3}, -1, 1, 17);
  const Tensor kd = uniform({3, 3, 4, 2}, -1, 1, 18);  // depthwise, multiplier 2
  const Tensor kt = uniform({3, 3, 5, 4}, -1, 1, 19);  // transposed: [*k, filters, channels]
  const Tensor b3 = uniform({3}, -1, 1, 20);
  const Tensor b5 = uniform({5}, -1, 1, 21);
  const Tensor b8 = uniform({8}, -1, 1, 22);
  std::vector<OpCase> cases = {
      {"conv1d causal", [&](const Var& v) { return ad::conv(v, Var(k1), Var(b5), {1}, "causal", {2}); }, x1},
      {"conv1d kernel", [&](const Var& v) { return ad::conv(Var(x1), v, Var(b5), {2}, "valid"); }, k1},
      {"conv1d bias", [&](const Var& v) { return ad::conv(Var(x1), Var(k1), v, {1}, "same"); }, b5},
      {"conv2d x",
       [&](const Var& v) {
         return ad::conv(v, Var(k2), Var(b3), {2, 1}, "same");
       },
       x2},
      {"conv2d kernel",
       [&](const Var& v) {
         return ad::conv(Var(x2), v, Var(b3), {1, 2}, "valid", {2, 1});
       },
       k2},
      {"conv2d grouped x", [&](const Var& v) { return ad::conv(v, Var(k2g), {}, {1}, "same"); }, x2},
      {"conv2d grouped kernel", [&](const Var& v) { return ad::conv(Var(x2), v, {}, {1}, "same"); }, k2g},
      {"conv3d x", [&](const Var& v) { return ad::conv(v, Var(k3), Var(b3), {1}, "same"); }, x3},
      {"conv3d kernel", [&](const Var& v) { return ad::conv(Var(x3), v, {}, {2}, "valid"); }, k3},
      {"depthwise x", [&](const Var& v) { return ad::depthwise_conv(v, Var(kd), Var(b8), {1}, "same"); }, x2},
      {"depthwise kernel", [&](const Var& v) { return ad::depthwise_conv(Var(x2), v, {}, {2}, "valid"); }, kd},
      {"conv_transpose x", [&](const Var& v) { return ad::conv_transpose(v, Var(kt), Var(b5), {2}, "same"); }, x2},
      {"conv_transpose kernel",
       [&](const Var& v) {
         return ad::conv_transpose(Var(x2), v, Var(b5), {2, 1}, "valid");
       },
       kt},
      {"conv_transpose extended",
       [&](const Var& v) { return ad::conv_transpose(v, Var(kt), Var(b5), {3}, "valid", {2}); }, x2},
      {"conv_transpose bias", [&](const Var& v) { return ad::conv_transpose(Var(x2), Var(kt), v, {2}, "same"); }, b5},
      {"avg_pool 2d same", [](const Var& v) { return ad::avg_pool(v, {3}, {2}, "same"); }, x2},
      {"avg_pool 1d", [](const Var& v) { return ad::avg_pool(v, {3}, {2}, "valid"); }, x1},
      {"adaptive avg", [](const Var& v) { return ad::adaptive_avg_pool(v, {2}); }, x3},
  };
  for (const auto& c : cases) keras_test::expect_gradient_matches(c.f, c.x, {.rtol = 1e-2, .atol = 1e-3}, c.name);
  // Max poolings on well-separated values, so that no step crosses a tie.
  const Tensor s1 = distinct({2, 9, 4}, 31);
  const Tensor s2 = distinct({2, 5, 4, 3}, 32);
  const Tensor s3 = distinct({1, 4, 4, 3, 2}, 33);
  std::vector<OpCase> max_cases = {
      {"max_pool 1d", [](const Var& v) { return ad::max_pool(v, {2}, {}, "valid"); }, s1},
      {"max_pool 2d same",
       [](const Var& v) {
         return ad::max_pool(v, {3, 2}, {2, 2}, "same");
       },
       s2},
      {"max_pool 3d", [](const Var& v) { return ad::max_pool(v, {2}, {1}, "valid"); }, s3},
      {"adaptive max",
       [](const Var& v) {
         return ad::adaptive_max_pool(v, {3, 2});
       },
       s2},
  };
  for (const auto& c : max_cases)
    keras_test::expect_gradient_matches(c.f, c.x, {.rtol = 1e-2, .atol = 1e-3, .step = 1e-3}, c.name);
}

TEST(Autodiff, ActivationDerivatives) {
  // Away from kinks: the relu family at +-0.1 .. 3.
  const Tensor x =
      Tensor::from_vector({2, 6}, {-2.5F, -1.3F, -0.4F, 0.3F, 0.9F, 2.2F, -0.7F, -0.2F, 0.15F, 0.6F, 1.7F, 4.0F});
  for (const char* name :
       {"relu",           "relu6",       "leaky_relu",   "elu",         "selu",        "gelu",
        "silu",           "swish",       "hard_sigmoid", "hard_silu",   "softplus",    "softsign",
        "exponential",    "linear",      "mish",         "log_sigmoid", "celu",        "glu",
        "hard_tanh",      "sparse_plus", "squareplus",   "tanh_shrink", "soft_shrink", "hard_shrink",
        "sparse_sigmoid", "sigmoid",     "tanh",         "softmax",     "log_softmax", "sparsemax"}) {
    keras_test::expect_gradient_matches([&](const Var& v) { return ad::activation(name, v); }, x,
                                        {.rtol = 1e-2, .atol = 1e-3, .step = 1e-3}, name);
  }
}

}  // namespace
