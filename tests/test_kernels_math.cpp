// keras::kernels elementwise math, activations, reductions and normalization,
// against hand-computed values and naive loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/normalization.hpp"
#include "ops/reduce.hpp"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace k = keras::kernels;

constexpr double kTol = 1e-6;  // single float32 operations on values of magnitude <= 10

Tensor vec(const std::vector<float>& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_vector({n}, values);
}

Tensor random_tensor(const Shape& shape, std::uint64_t seed, float lo = -1.0F, float hi = 1.0F) {
  return keras::random::uniform(shape, lo, hi, seed);
}

void expect_values(const Tensor& actual, const std::vector<double>& expected, double atol = kTol) {
  ASSERT_EQ(actual.size(), static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual.at(static_cast<std::int64_t>(i)))) << "at " << i;
      continue;
    }
    EXPECT_NEAR(actual.at(static_cast<std::int64_t>(i)), expected[i], atol) << "at " << i;
  }
}

// Applies a scalar reference function elementwise.
template <typename F>
std::vector<double> reference(const Tensor& x, F fn) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < x.size(); ++i) out.push_back(fn(x.at(i)));
  return out;
}

const std::vector<float> kSamples = {-7.5F, -3.0F, -2.5F, -1.0F, -0.5F, -0.1F, 0.0F,
                                     0.1F,  0.5F,  1.0F,  1.5F,  2.5F,  3.0F,  6.5F};

// ---- Elementwise

TEST(KernelsUnary, MatchesStandardFunctions) {
  Tensor x = vec(kSamples);
  Tensor pos = vec({0.01F, 0.5F, 1.0F, 2.0F, 9.0F});
  expect_values(k::exp(x), reference(x, [](double v) { return std::exp(v); }), 1e-5 * 700);
  expect_values(k::log(pos), reference(pos, [](double v) { return std::log(v); }));
  expect_values(k::sqrt(pos), reference(pos, [](double v) { return std::sqrt(v); }));
  expect_values(k::rsqrt(pos), reference(pos, [](double v) { return 1 / std::sqrt(v); }), 1e-5);
  expect_values(k::abs(x), reference(x, [](double v) { return std::abs(v); }));
  expect_values(k::neg(x), reference(x, [](double v) { return -v; }));
  expect_values(k::square(x), reference(x, [](double v) { return v * v; }), 1e-5);
  expect_values(k::tanh(x), reference(x, [](double v) { return std::tanh(v); }));
  expect_values(k::sigmoid(x), reference(x, [](double v) { return 1 / (1 + std::exp(-v)); }));
  expect_values(k::sin(x), reference(x, [](double v) { return std::sin(v); }));
  expect_values(k::cos(x), reference(x, [](double v) { return std::cos(v); }));
  expect_values(k::floor(x), reference(x, [](double v) { return std::floor(v); }));
  expect_values(k::ceil(x), reference(x, [](double v) { return std::ceil(v); }));
  expect_values(k::erf(x), reference(x, [](double v) { return std::erf(v); }));
  expect_values(k::log1p(pos), reference(pos, [](double v) { return std::log1p(v); }));
  expect_values(k::expm1(x), reference(x, [](double v) { return std::expm1(v); }), 1e-3);
  expect_values(k::reciprocal(pos), reference(pos, [](double v) { return 1 / v; }), 1e-5);
}

TEST(KernelsUnary, RoundHalfToEvenAndSign) {
  expect_values(k::round(vec({0.5F, 1.5F, 2.5F, -0.5F, -1.5F, -2.5F, 2.6F, -2.4F})), {0, 2, 2, -0.0, -2, -2, 3, -2});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_values(k::sign(vec({-3.0F, 0.0F, 2.0F, nan})), {-1, 0, 1, std::nan("")});
}

TEST(KernelsUnary, IntegerInputBecomesFloat) {
  Tensor ids = Tensor::from_vector_i64({3}, {-2, 0, 3}, DType::int64);
  Tensor out = k::abs(ids);
  EXPECT_EQ(out.dtype(), DType::float32);
  expect_values(out, {2, 0, 3});
}

TEST(KernelsBinary, BroadcastAgainstNaive) {
  Tensor a = random_tensor({2, 1, 3}, 1);
  Tensor b = random_tensor({4, 1}, 2);
  Tensor sum = k::add(a, b);
  Tensor prod = k::multiply(a, b);
  ASSERT_EQ(sum.shape(), (Shape{2, 4, 3}));
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 4; ++j)
      for (std::int64_t l = 0; l < 3; ++l) {
        const std::int64_t o = (i * 4 + j) * 3 + l;
        EXPECT_NEAR(sum.at(o), a.at(i * 3 + l) + b.at(j), kTol);
        EXPECT_NEAR(prod.at(o), a.at(i * 3 + l) * b.at(j), kTol);
      }
  EXPECT_THROW(k::add(Tensor({2, 3}), Tensor({4})), keras::ShapeMismatchError);
}

TEST(KernelsBinary, ArithmeticHandComputed) {
  Tensor a = vec({7, -7, 7, -7, 2, 9});
  Tensor b = vec({2, 2, -2, -2, 3, 0.5F});
  expect_values(k::subtract(a, b), {5, -9, 9, -5, -1, 8.5});
  expect_values(k::divide(a, b), {3.5, -3.5, -3.5, 3.5, 2.0 / 3, 18}, 1e-6);
  expect_values(k::power(a, b), {49, 49, 1.0 / 49, 1.0 / 49, 8, 3}, 1e-5);
  // Python semantics: floor division and a modulo with the divisor's sign.
  expect_values(k::floor_divide(a, b), {3, -4, -4, 3, 0, 18});
  expect_values(k::mod(a, b), {1, 1, -1, -1, 2, 0});
  expect_values(k::add(vec({1, 2}), 0.5F), {1.5, 2.5});
  expect_values(k::multiply(vec({1, 2}), 3.0F), {3, 6});
}

TEST(KernelsBinary, MaximumMinimumPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor a = vec({1, nan, 3});
  Tensor b = vec({2, 0, nan});
  expect_values(k::maximum(a, b), {2, std::nan(""), std::nan("")});
  expect_values(k::minimum(a, b), {1, std::nan(""), std::nan("")});
}

TEST(KernelsBinary, SameIntegerDtypeIsKept) {
  Tensor a = Tensor::from_vector_i64({4}, {7, -7, 9, 5}, DType::int64);
  Tensor b = Tensor::from_vector_i64({4}, {2, 2, 0, 3}, DType::int64);
  Tensor q = k::floor_divide(a, b);
  EXPECT_EQ(q.dtype(), DType::int64);
  EXPECT_EQ(q.to_vector_i64(), (std::vector<std::int64_t>{3, -4, 0, 1}));  // x // 0 -> 0 like numpy
  EXPECT_EQ(k::mod(a, b).to_vector_i64(), (std::vector<std::int64_t>{1, 1, 0, 2}));
  EXPECT_EQ(k::add(a, b).to_vector_i64(), (std::vector<std::int64_t>{9, -5, 9, 8}));
  // Mixed dtypes compute in float32.
  EXPECT_EQ(k::add(a, vec({0.5F, 0.5F, 0.5F, 0.5F})).dtype(), DType::float32);
}

TEST(KernelsBinary, ComparisonsAndLogicalReturnBool) {
  Tensor a = vec({1, 2, 3});
  Tensor b = Tensor::scalar(2.0F);
  auto bools = [](const Tensor& t) {
    EXPECT_EQ(t.dtype(), DType::bool_);
    return t.to_vector_i64();
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(bools(k::equal(a, b)), (V{0, 1, 0}));
  EXPECT_EQ(bools(k::not_equal(a, b)), (V{1, 0, 1}));
  EXPECT_EQ(bools(k::less(a, b)), (V{1, 0, 0}));
  EXPECT_EQ(bools(k::less_equal(a, b)), (V{1, 1, 0}));
  EXPECT_EQ(bools(k::greater(a, b)), (V{0, 0, 1}));
  EXPECT_EQ(bools(k::greater_equal(a, b)), (V{0, 1, 1}));
  Tensor p = Tensor::from_vector_i64({4}, {0, 0, 1, 1}, DType::bool_);
  Tensor q = Tensor::from_vector_i64({4}, {0, 5, 0, -2}, DType::int32);
  EXPECT_EQ(bools(k::logical_and(p, q)), (V{0, 0, 0, 1}));
  EXPECT_EQ(bools(k::logical_or(p, q)), (V{0, 1, 1, 1}));
  EXPECT_EQ(bools(k::logical_xor(p, q)), (V{0, 1, 1, 0}));
  EXPECT_EQ(bools(k::logical_not(q)), (V{1, 0, 1, 0}));
}

TEST(KernelsBinary, WhereBroadcastsAllThree) {
  Tensor cond = Tensor::from_vector_i64({2, 1}, {1, 0}, DType::bool_);
  Tensor a = vec({1, 2, 3});
  Tensor b = Tensor::scalar(-1.0F);
  Tensor out = k::where(cond, a, b);
  ASSERT_EQ(out.shape(), (Shape{2, 3}));
  expect_values(out, {1, 2, 3, -1, -1, -1});
  // A float condition: nonzero is true.
  expect_values(k::where(vec({0.0F, 0.5F}), vec({1, 2}), vec({3, 4})), {3, 2});
}

TEST(KernelsBinary, ClipAndCast) {
  expect_values(k::clip(vec({-2, 0.5F, 3}), -1, 1), {-1, 0.5, 1});
  Tensor ints = Tensor::from_vector_i64({2}, {3, 4}, DType::int32);
  EXPECT_EQ(ints.astype(DType::float32).dtype(), DType::float32);
}

// ---- Activations

TEST(KernelsActivations, ReluVariantsMatchKerasDocExamples) {
  Tensor x = vec({-10, -5, 0, 5, 10});
  expect_values(k::relu(x), {0, 0, 0, 5, 10});
  expect_values(k::relu(x, 0.5F), {-5, -2.5, 0, 5, 10});
  expect_values(k::relu(x, 0.0F, 5.0F), {0, 0, 0, 5, 5});
  expect_values(k::relu(x, 0.0F, std::nullopt, 5.0F), {0, 0, 0, 0, 10});
  // All three together: x > t ? min(x, max) : 0, minus slope * relu(t - x).
  expect_values(k::relu(x, 0.5F, 8.0F, 2.0F), {-6, -3.5, -1, 5, 8});
  expect_values(k::relu6(vec({-1, 3, 7})), {0, 3, 6});
  expect_values(k::leaky_relu(vec({-10, 5})), {-2, 5});
  expect_values(k::leaky_relu(vec({-10, 5}), 0.1F), {-1, 5});
}

TEST(KernelsActivations, ExponentialFamily) {
  Tensor x = vec(kSamples);
  const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  expect_values(k::elu(x), reference(x, [](double v) { return v >= 0 ? v : std::expm1(v); }));
  expect_values(k::elu(x, 0.5F), reference(x, [](double v) { return v >= 0 ? v : 0.5 * std::expm1(v); }));
  expect_values(k::selu(x), reference(x, [&](double v) { return scale * (v >= 0 ? v : alpha * std::expm1(v)); }));
  expect_values(k::celu(x, 2.0F),
                reference(x, [](double v) { return std::max(v, 0.0) + 2.0 * std::expm1(std::min(v, 0.0) / 2.0); }));
  expect_values(k::exponential(vec({0, 1})), {1, std::exp(1.0)});
  EXPECT_NEAR(k::selu(vec({-1})).item(), -1.1113307, 1e-6);
}

TEST(KernelsActivations, SmoothGates) {
  Tensor x = vec(kSamples);
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  expect_values(k::gelu(x), reference(x, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }));
  expect_values(k::gelu(x, true), reference(x, [](double v) {
                  return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
                }));
  EXPECT_NEAR(k::gelu(vec({1})).item(), 0.8413447, 1e-6);
  expect_values(k::silu(x), reference(x, [&](double v) { return v * sig(v); }));
  expect_values(k::softplus(x), reference(x, softplus));
  EXPECT_NEAR(k::softplus(vec({0})).item(), std::log(2.0), 1e-7);
  EXPECT_NEAR(k::softplus(vec({100})).item(), 100.0, 1e-4);  // no overflow
  expect_values(k::softsign(x), reference(x, [](double v) { return v / (1 + std::abs(v)); }));
  expect_values(k::mish(x), reference(x, [&](double v) { return v * std::tanh(softplus(v)); }));
  expect_values(k::log_sigmoid(x), reference(x, [&](double v) { return -softplus(-v); }));
  expect_values(k::tanh_shrink(x), reference(x, [](double v) { return v - std::tanh(v); }));
  expect_values(k::squareplus(x), reference(x, [](double v) { return (v + std::sqrt(v * v + 4)) / 2; }), 1e-5);
  expect_values(k::squareplus(x, 1.0F), reference(x, [](double v) { return (v + std::sqrt(v * v + 1)) / 2; }), 1e-5);
}

TEST(KernelsActivations, PiecewiseLinear) {
  Tensor x = vec({-4, -3, -1, -0.5F, 0, 0.5F, 1, 3, 4});
  expect_values(k::hard_sigmoid(x), {0, 0, 1.0 / 3, 5.0 / 12, 0.5, 7.0 / 12, 2.0 / 3, 1, 1});
  expect_values(k::hard_silu(x), {0, 0, -1.0 / 3, -5.0 / 24, 0, 7.0 / 24, 2.0 / 3, 3, 4});
  expect_values(k::hard_tanh(x), {-1, -1, -1, -0.5, 0, 0.5, 1, 1, 1});
  expect_values(k::sparse_plus(x), {0, 0, 0, 0.0625, 0.25, 0.5625, 1, 3, 4});
  expect_values(k::sparse_sigmoid(x), {0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1});
  expect_values(k::soft_shrink(x), {-3.5, -2.5, -0.5, 0, 0, 0, 0.5, 2.5, 3.5});
  expect_values(k::soft_shrink(x, 1.0F), {-3, -2, 0, 0, 0, 0, 0, 2, 3});
  expect_values(k::hard_shrink(x), {-4, -3, -1, 0, 0, 0, 1, 3, 4});
  expect_values(k::threshold(x, 0.5F, -9.0F), {-9, -9, -9, -9, -9, -9, 1, 3, 4});
}

TEST(KernelsActivations, GluSplitsTheAxis) {
  Tensor x = Tensor::from_vector({2, 4}, {1, 2, 0, 100, -1, 3, 2, -100});
  // a = x[:, :2], b = x[:, 2:]: a * sigmoid(b).
  expect_values(k::glu(x), {0.5, 2, -1 / (1 + std::exp(-2.0)), 0});
  Tensor col = Tensor::from_vector({2, 1}, {3, 0});
  expect_values(k::glu(col, 0), {1.5});
  EXPECT_THROW(k::glu(Tensor({2, 3})), keras::ValueError);
}

TEST(KernelsActivations, SparsemaxFollowsKeras) {
  // Support of size one: the top value minus (it - 1).
  expect_values(k::sparsemax(vec({2, 1, 0})), {1, 0, 0});
  // Keras: tau = (sum over the support of the running sums - 1) / k. For
  // [0.5, 0.4, 0.1]: sorted running sums 0.5, 0.9, 1.0; support 3 (0.1 - 0 > 0);
  // tau = (0.5 + 0.9 + 1.0 - 1) / 3.
  const double tau = (0.5 + 0.9 + 1.0 - 1) / 3;
  expect_values(k::sparsemax(vec({0.5F, 0.4F, 0.1F})), {std::max(0.5 - tau, 0.0), std::max(0.4 - tau, 0.0), 0}, 1e-6);
  // Along axis 0 of a [2, 2] tensor: columns [3, 0] and [0, 3].
  expect_values(k::sparsemax(Tensor::from_vector({2, 2}, {3, 0, 0, 3}), 0), {1, 0, 0, 1});
}

// ---- Reductions

TEST(KernelsReduce, SumMeanMaxMinProdOverAxes) {
  Tensor x = random_tensor({2, 3, 4}, 10);
  Tensor s = k::sum(x, {0, 2});
  Tensor m = k::mean(x, {0, 2}, true);
  Tensor mx = k::max(x, {0, 2});
  Tensor mn = k::min(x, {-1, 0});
  Tensor p = k::prod(x, {0, 2});
  ASSERT_EQ(s.shape(), (Shape{3}));
  ASSERT_EQ(m.shape(), (Shape{1, 3, 1}));
  for (std::int64_t j = 0; j < 3; ++j) {
    double total = 0, best = -1e9, least = 1e9, product = 1;
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t l = 0; l < 4; ++l) {
        const double v = x.at((i * 3 + j) * 4 + l);
        total += v;
        best = std::max(best, v);
        least = std::min(least, v);
        product *= v;
      }
    EXPECT_NEAR(s.at(j), total, 1e-6);
    EXPECT_NEAR(m.at(j), total / 8, 1e-6);
    EXPECT_NEAR(mx.at(j), best, 0);
    EXPECT_NEAR(mn.at(j), least, 0);
    EXPECT_NEAR(p.at(j), product, 1e-7);
  }
  // Empty axis list = all axes.
  double total = 0;
  for (std::int64_t i = 0; i < x.size(); ++i) total += x.at(i);
  EXPECT_NEAR(k::sum(x).item(), total, 1e-5);
  EXPECT_EQ(k::sum(x).rank(), 0);
  EXPECT_EQ(k::sum(x, {}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_THROW(k::sum(x, {3}), keras::ValueError);
}

TEST(KernelsReduce, VarianceAndStd) {
  Tensor x = Tensor::from_vector({2, 4}, {1, 2, 3, 4, 2, 2, 2, 2});
  expect_values(k::var(x, {1}), {1.25, 0});
  expect_values(k::stddev(x, {1}), {std::sqrt(1.25), 0});
  expect_values(k::var(x), {0.6875}, 1e-6);  // mean 2.25, squared deviations sum to 5.5
}

TEST(KernelsReduce, AnyAllArgmaxArgmin) {
  Tensor b = Tensor::from_vector({2, 3}, {0, 0, 1, 0, 0, 0});
  EXPECT_EQ(k::any(b, {1}).to_vector_i64(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(k::all(b, {0}).to_vector_i64(), (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(k::any(b).dtype(), DType::bool_);
  Tensor x = Tensor::from_vector({2, 3}, {1, 5, 5, 7, -2, 7});
  Tensor am = k::argmax(x, 1);
  EXPECT_EQ(am.dtype(), DType::int32);
  EXPECT_EQ(am.to_vector_i64(), (std::vector<std::int64_t>{1, 0}));  // first occurrence
  EXPECT_EQ(k::argmin(x, 0).to_vector_i64(), (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(k::argmax(x, -1, true).shape(), (Shape{2, 1}));
}

TEST(KernelsReduce, LogsumexpIsStable) {
  Tensor x = Tensor::from_vector({2, 2}, {1000, 1000, -1, 2});
  expect_values(k::logsumexp(x, {1}), {1000 + std::log(2.0), std::log(std::exp(-1.0) + std::exp(2.0))}, 1e-4);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(k::logsumexp(vec({-inf, -inf})).item(), -inf);
}

TEST(KernelsReduce, SoftmaxAlongAnyAxis) {
  Tensor x = random_tensor({2, 3, 4}, 11, -5, 5);
  for (int axis : {0, 1, 2, -1}) {
    SCOPED_TRACE(axis);
    Tensor y = k::softmax(x, axis);
    Tensor ly = k::log_softmax(x, axis);
    const int a = axis < 0 ? axis + 3 : axis;
    const Shape& s = x.shape();
    for (std::int64_t i = 0; i < x.size(); ++i) {
      // Naive: exp(x_i) / sum over the axis through i.
      std::int64_t idx[3] = {i / (s[1] * s[2]), (i / s[2]) % s[1], i % s[2]};
      double total = 0;
      for (std::int64_t r = 0; r < s[static_cast<std::size_t>(a)]; ++r) {
        std::int64_t j[3] = {idx[0], idx[1], idx[2]};
        j[a] = r;
        total += std::exp(x.at((j[0] * s[1] + j[1]) * s[2] + j[2]));
      }
      EXPECT_NEAR(y.at(i), std::exp(x.at(i)) / total, 1e-6);
      EXPECT_NEAR(ly.at(i), x.at(i) - std::log(total), 1e-5);
    }
  }
  // Joint softmax over two axes sums to one over both.
  Tensor joint = k::softmax(x, std::vector<int>{1, 2});
  Tensor sums = k::sum(joint, {1, 2});
  expect_values(sums, {1, 1}, 1e-6);
  expect_values(k::softmax(vec({1000, 1000})), {0.5, 0.5});
}

// The last-axis softmax row kernel against double precision: row lengths around its 16 lanes,
// values down to float32's exp range and past it, masked (-inf) entries, a NaN row.
TEST(KernelsReduce, LastAxisSoftmaxRowsAgainstDouble) {
  const float inf = std::numeric_limits<float>::infinity();
  for (std::int64_t n : {1, 2, 15, 16, 17, 31, 64, 100, 1000}) {
    SCOPED_TRACE(n);
    Tensor x = random_tensor({3, n}, static_cast<std::uint64_t>(n), -30, 30);
    float* p = x.data<float>();
    if (n > 1) p[0] = -inf;  // masked (a row of -inf alone is NaN, as in numpy)
    p[n + n / 2] = -120.0F;  // exp underflows in float32
    p[2 * n] = 88.0F;        // large, for the shift
    if (n > 2) p[2 * n + 1] = -inf;
    Tensor y = k::softmax(x, -1);
    Tensor ly = k::log_softmax(x, -1);
    for (std::int64_t r = 0; r < 3; ++r) {
      double m = -INFINITY;
      for (std::int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(x.at(r * n + j)));
      double total = 0;
      for (std::int64_t j = 0; j < n; ++j) total += std::exp(static_cast<double>(x.at(r * n + j)) - m);
      for (std::int64_t j = 0; j < n; ++j) {
        const double v = x.at(r * n + j);
        const double expected = std::exp(v - m) / total;
        // x - max is rounded to float32 first (as numpy does), which alone moves exp by up to
        // |x - max| ulps of float32.
        const double tolerance = std::isfinite(v) ? expected * (1e-6 + 1.2e-7 * std::abs(v - m)) + 1e-37 : 0.0;
        ASSERT_NEAR(y.at(r * n + j), expected, tolerance) << "row " << r << " column " << j;
        if (std::isfinite(v))
          ASSERT_NEAR(ly.at(r * n + j), v - m - std::log(total), 1e-5 * std::max(1.0, std::abs(v - m)));
        else
          ASSERT_EQ(ly.at(r * n + j), -inf);
      }
    }
  }
  Tensor with_nan = Tensor::from_vector({2, 3}, {1, NAN, 2, 1, 2, 3});
  Tensor y = k::softmax(with_nan, -1);
  for (int j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(y.at(j)));
  EXPECT_NEAR(y.at(5), std::exp(0.0) / (std::exp(-2.0) + std::exp(-1.0) + 1.0), 1e-6);
}

TEST(KernelsReduce, L2Normalize) {
  Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  // keras.ops.normalize docstring example.
  expect_values(k::l2_normalize(x, {-1}), {0.26726124, 0.5345225, 0.8017837, 0.45584232, 0.5698029, 0.68376344});
  // A zero vector stays finite: x * rsqrt(eps^2).
  expect_values(k::l2_normalize(vec({0, 0}), {-1}, 1e-12F), {0, 0});
}

// ---- Normalization

TEST(KernelsNormalization, BatchNormInference) {
  Tensor x = random_tensor({3, 4, 5}, 20);
  Tensor mean = random_tensor({4}, 21);
  Tensor var = random_tensor({4}, 22, 0.1F, 2.0F);
  Tensor gamma = random_tensor({4}, 23);
  Tensor beta = random_tensor({4}, 24);
  Tensor y = k::batch_norm_inference(x, mean, var, gamma, beta, 1e-3F, 1);
  Tensor plain = k::batch_norm_inference(x, mean, var, Tensor(), Tensor(), 1e-3F, 1);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const std::int64_t c = (i / 5) % 4;
    const double normalized = (x.at(i) - mean.at(c)) / std::sqrt(var.at(c) + 1e-3);
    EXPECT_NEAR(y.at(i), normalized * gamma.at(c) + beta.at(c), 1e-5);
    EXPECT_NEAR(plain.at(i), normalized, 1e-5);
  }
  EXPECT_THROW(k::batch_norm_inference(x, Tensor({5}), var, gamma, beta, 1e-3F, 1), keras::ShapeMismatchError);
}

TEST(KernelsNormalization, LayerNormOverOneAndTwoAxes) {
  Tensor x = random_tensor({2, 3, 4}, 30);
  Tensor gamma = random_tensor({4}, 31);
  Tensor beta = random_tensor({4}, 32);
  Tensor y = k::layer_norm(x, {-1}, gamma, beta, 1e-3F);
  for (std::int64_t r = 0; r < 6; ++r) {
    double m = 0, v = 0;
    for (int j = 0; j < 4; ++j) m += x.at(r * 4 + j) / 4;
    for (int j = 0; j < 4; ++j) v += (x.at(r * 4 + j) - m) * (x.at(r * 4 + j) - m) / 4;
    for (int j = 0; j < 4; ++j)
      EXPECT_NEAR(y.at(r * 4 + j), (x.at(r * 4 + j) - m) / std::sqrt(v + 1e-3) * gamma.at(j) + beta.at(j), 1e-5);
  }
  Tensor gamma2 = random_tensor({3, 4}, 33);
  Tensor y2 = k::layer_norm(x, {1, 2}, gamma2, Tensor(), 1e-3F);
  for (std::int64_t b = 0; b < 2; ++b) {
    double m = 0, v = 0;
    for (int j = 0; j < 12; ++j) m += x.at(b * 12 + j) / 12;
    for (int j = 0; j < 12; ++j) v += (x.at(b * 12 + j) - m) * (x.at(b * 12 + j) - m) / 12;
    for (int j = 0; j < 12; ++j)
      EXPECT_NEAR(y2.at(b * 12 + j), (x.at(b * 12 + j) - m) / std::sqrt(v + 1e-3) * gamma2.at(j), 1e-5);
  }
  // rms_scaling (deprecated Keras flag): x * rsqrt(var + eps) * gamma, not centred.
  Tensor y3 = k::layer_norm(x, {-1}, gamma, beta, 1e-3F, true);
  double m = 0, v = 0;
  for (int j = 0; j < 4; ++j) m += x.at(j) / 4;
  for (int j = 0; j < 4; ++j) v += (x.at(j) - m) * (x.at(j) - m) / 4;
  EXPECT_NEAR(y3.at(1), x.at(1) / std::sqrt(v + 1e-3) * gamma.at(1), 1e-5);
}

// The row kernel (float32, trailing axes) against a double-precision reference on rows of
// every length class (shorter than, a multiple of, and not a multiple of its four
// accumulators), rows far from zero mean (a one-pass variance would lose digits there), and
// without gamma or beta; other axes take the general path. Tolerance 2e-6 relative to the
// row's spread.
TEST(KernelsNormalization, LayerNormRowsMatchADoublePrecisionReference) {
  std::uint64_t seed = 40;
  for (std::int64_t row : {1, 3, 4, 37, 256}) {
    for (float offset : {0.0F, 100.0F}) {
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_gamma = variant != 1;
        const bool with_beta = variant != 2;
        const bool rms = variant == 3;
        Tensor x = random_tensor({5, 2, row}, seed++, offset - 3.0F, offset + 3.0F);
        Tensor gamma = with_gamma ? random_tensor({row}, seed++) : Tensor();
        Tensor beta = with_beta ? random_tensor({row}, seed++) : Tensor();
        Tensor y = k::layer_norm(x, {-1}, gamma, beta, 1e-3F, rms);
        ASSERT_EQ(y.shape(), x.shape());
        for (std::int64_t r = 0; r < 10; ++r) {
          double m = 0, v = 0;
          for (std::int64_t j = 0; j < row; ++j) m += x.at(r * row + j);
          m /= static_cast<double>(row);
          for (std::int64_t j = 0; j < row; ++j) v += std::pow(x.at(r * row + j) - m, 2);
          v /= static_cast<double>(row);
          const double inv = 1.0 / std::sqrt(v + 1e-3);
          for (std::int64_t j = 0; j < row; ++j) {
            const double xv = x.at(r * row + j);
            const double g = with_gamma ? gamma.at(j) : 1.0;
            double expected = rms ? xv * inv * g : (xv - m) * inv * g + (with_beta ? beta.at(j) : 0.0);
            const double tolerance = 2e-6 * (1.0 + std::abs(xv * inv * g));
            ASSERT_NEAR(y.at(r * row + j), expected, tolerance)
                << "row " << row << " offset " << offset << " variant " << variant << " at " << r << "," << j;
          }
        }
      }
    }
  }
  // Leading axes and a gamma of the wrong size go the general way (and that one is refused).
  Tensor x = random_tensor({3, 4, 5}, seed++);
  Tensor gamma = random_tensor({3}, seed++);
  Tensor y = k::layer_norm(x, {0}, gamma, Tensor(), 1e-3F);
  for (std::int64_t c = 0; c < 20; ++c) {
    double m = 0, v = 0;
    for (int b = 0; b < 3; ++b) m += x.at(b * 20 + c) / 3;
    for (int b = 0; b < 3; ++b) v += std::pow(x.at(b * 20 + c) - m, 2) / 3;
    for (int b = 0; b < 3; ++b)
      EXPECT_NEAR(y.at(b * 20 + c), (x.at(b * 20 + c) - m) / std::sqrt(v + 1e-3) * gamma.at(b), 1e-5) << c;
  }
  EXPECT_THROW(k::layer_norm(x, {-1}, random_tensor({4}, seed++), Tensor(), 1e-3F), keras::ShapeMismatchError);
}

TEST(KernelsNormalization, RmsNorm) {
  Tensor x = Tensor::from_vector({1, 2}, {3, 4});
  Tensor scale = vec({2, 0.5F});
  const double rms = std::sqrt((9.0 + 16.0) / 2 + 1e-6);
  expect_values(k::rms_norm(x, {-1}, scale, 1e-6F), {3 / rms * 2, 4 / rms * 0.5}, 1e-6);
}

TEST(KernelsNormalization, GroupNorm) {
  Tensor x = random_tensor({2, 3, 8}, 40);
  Tensor gamma = random_tensor({8}, 41);
  Tensor beta = random_tensor({8}, 42);
  Tensor y = k::group_norm(x, 4, gamma, beta, 1e-3F);
  ASSERT_EQ(y.shape(), x.shape());
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t g = 0; g < 4; ++g) {
      double m = 0, v = 0;
      for (int s = 0; s < 3; ++s)
        for (int c = 0; c < 2; ++c) m += x.at((b * 3 + s) * 8 + g * 2 + c) / 6;
      for (int s = 0; s < 3; ++s)
        for (int c = 0; c < 2; ++c) {
          const double d = x.at((b * 3 + s) * 8 + g * 2 + c) - m;
          v += d * d / 6;
        }
      for (int s = 0; s < 3; ++s)
        for (int c = 0; c < 2; ++c) {
          const std::int64_t i = (b * 3 + s) * 8 + g * 2 + c;
          EXPECT_NEAR(y.at(i), (x.at(i) - m) / std::sqrt(v + 1e-3) * gamma.at(g * 2 + c) + beta.at(g * 2 + c), 1e-5);
        }
    }
  EXPECT_THROW(k::group_norm(x, 3, gamma, beta, 1e-3F), keras::ValueError);
}

// channel_affine is two binary() calls in one pass: the same bits for every pair of the four
// arithmetic ops, per-channel and scalar constants, channel counts below, at and above its
// 64-value period, and a size that leaves a partial period; anything else is left undefined.
TEST(KernelsBinary, ChannelAffineIsTwoBinaryCallsBitForBit) {
  const std::vector<k::BinaryOp> ops = {k::BinaryOp::add, k::BinaryOp::subtract, k::BinaryOp::multiply,
                                        k::BinaryOp::divide};
  for (std::int64_t channels : {1, 3, 16, 70}) {
    const Tensor x = keras::random::uniform({2, 5, 7, channels}, -3.0F, 3.0F, 11);
    const Tensor per_channel_a = keras::random::uniform({1, 1, 1, channels}, 0.5F, 2.0F, 12);
    const Tensor per_channel_b = keras::random::uniform({channels}, 0.5F, 2.0F, 13);
    const Tensor scalar = Tensor::scalar(0.37F);
    for (k::BinaryOp first : ops) {
      for (k::BinaryOp second : ops) {
        for (const auto& [a, b] : {std::pair{per_channel_a, per_channel_b}, std::pair{scalar, per_channel_b},
                                   std::pair{per_channel_a, scalar}}) {
          SCOPED_TRACE(std::to_string(channels) + " channels, ops " + std::to_string(static_cast<int>(first)) + ", " +
                       std::to_string(static_cast<int>(second)));
          const Tensor got = k::channel_affine(x, first, a, second, b);
          const Tensor want = k::binary(second, k::binary(first, x, a), b);
          ASSERT_TRUE(got.defined());
          ASSERT_EQ(got.shape(), want.shape());
          const auto g = got.to_vector();
          const auto w = want.to_vector();
          for (std::size_t i = 0; i < g.size(); ++i) ASSERT_EQ(g[i], w[i]) << "at " << i;
        }
      }
    }
  }
  const Tensor x = keras::random::uniform({4, 3}, -1.0F, 1.0F, 14);
  const Tensor row = Tensor::full({4, 1}, 2.0F);  // broadcasts along the other axis
  EXPECT_FALSE(k::channel_affine(x, k::BinaryOp::add, row, k::BinaryOp::add, row).defined());
  const Tensor wider = Tensor::full({1, 1, 3}, 2.0F);  // would add an axis to x
  EXPECT_FALSE(k::channel_affine(x, k::BinaryOp::add, wider, k::BinaryOp::add, wider).defined());
  EXPECT_FALSE(
      k::channel_affine(x, k::BinaryOp::power, Tensor::scalar(2.0F), k::BinaryOp::add, Tensor::scalar(1.0F)).defined());
  EXPECT_FALSE(k::channel_affine(x.astype(DType::float64), k::BinaryOp::add, Tensor::scalar(2.0F), k::BinaryOp::add,
                                 Tensor::scalar(1.0F))
                   .defined());
}

}  // namespace
