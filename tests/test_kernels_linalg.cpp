// keras::kernels matmul / dense / einsum against naive loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/linalg.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace k = keras::kernels;

constexpr double kTol = 1e-4;  // float32 sums of a few dozen products of values in [-1, 1]

Tensor random_tensor(const Shape& shape, std::uint64_t seed) {
  return keras::random::uniform(shape, -1.0F, 1.0F, seed);
}

void expect_close(const Tensor& actual, const Tensor& expected, double atol = kTol) {
  ASSERT_EQ(actual.shape(), expected.shape());
  for (std::int64_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(actual.at(i), expected.at(i), atol) << "at flat index " << i;
}

// Naive einsum without ellipsis: loops over every assignment of the letters.
Tensor naive_einsum(const std::string& equation, const Tensor& a, const Tensor& b) {
  const auto arrow = equation.find("->");
  const auto comma = equation.find(',');
  const std::string ta = equation.substr(0, comma);
  const std::string tb = equation.substr(comma + 1, arrow - comma - 1);
  const std::string to = equation.substr(arrow + 2);
  std::map<char, std::int64_t> size;
  for (std::size_t i = 0; i < ta.size(); ++i) size[ta[i]] = a.shape()[i];
  for (std::size_t i = 0; i < tb.size(); ++i) size[tb[i]] = b.shape()[i];
  std::string letters;
  for (const auto& [c, n] : size) letters += c;
  Shape out_shape;
  for (char c : to) out_shape.push_back(size[c]);
  std::vector<double> out(static_cast<std::size_t>(keras::shape_size(out_shape)), 0.0);
  std::map<char, std::int64_t> value;
  for (char c : letters) value[c] = 0;
  auto flat = [&](const std::string& term, const Shape& shape) {
    std::int64_t index = 0;
    for (std::size_t i = 0; i < term.size(); ++i) index = index * shape[i] + value[term[i]];
    return index;
  };
  while (true) {
    out[static_cast<std::size_t>(flat(to, out_shape))] += a.at(flat(ta, a.shape())) * b.at(flat(tb, b.shape()));
    std::size_t pos = letters.size();
    while (pos > 0) {
      char c = letters[pos - 1];
      if (++value[c] < size[c]) break;
      value[c] = 0;
      --pos;
    }
    if (pos == 0) break;
  }
  std::vector<float> values(out.begin(), out.end());
  return Tensor::from_vector(out_shape, values);
}

// C[b, m, n] = sum_k A[b, m, k] B[b, k, n] with explicit batch index maps.
Tensor naive_matmul_2d(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.dim(0), kk = a.dim(1), n = b.dim(1);
  std::vector<float> out(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::int64_t p = 0; p < kk; ++p) s += a.at(i * kk + p) * b.at(p * n + j);
      out[static_cast<std::size_t>(i * n + j)] = static_cast<float>(s);
    }
  return Tensor::from_vector({m, n}, out);
}

TEST(KernelsMatmul, TwoByTwoHandComputed) {
  Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor c = k::matmul(a, b);
  expect_close(c, Tensor::from_vector({2, 2}, {58, 64, 139, 154}));
}

TEST(KernelsMatmul, LargerMatrixAgainstNaive) {
  Tensor a = random_tensor({37, 65}, 1);
  Tensor b = random_tensor({65, 19}, 2);
  expect_close(k::matmul(a, b), naive_matmul_2d(a, b));
}

TEST(KernelsMatmul, BroadcastBatchDims) {
  Tensor a = random_tensor({2, 1, 3, 4}, 3);
  Tensor b = random_tensor({3, 4, 5}, 4);
  Tensor c = k::matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 3, 3, 5}));
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t m = 0; m < 3; ++m)
        for (std::int64_t n = 0; n < 5; ++n) {
          double s = 0;
          for (std::int64_t p = 0; p < 4; ++p) s += a.at((i * 3 + m) * 4 + p) * b.at((j * 4 + p) * 5 + n);
          ASSERT_NEAR(c.at(((i * 3 + j) * 3 + m) * 5 + n), s, kTol);
        }
}

TEST(KernelsMatmul, BatchedSameBatch) {
  Tensor a = random_tensor({4, 3, 6}, 5);
  Tensor b = random_tensor({4, 6, 2}, 6);
  Tensor c = k::matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{4, 3, 2}));
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t m = 0; m < 3; ++m)
      for (std::int64_t n = 0; n < 2; ++n) {
        double s = 0;
        for (std::int64_t p = 0; p < 6; ++p) s += a.at((i * 3 + m) * 6 + p) * b.at((i * 6 + p) * 2 + n);
        ASSERT_NEAR(c.at((i * 3 + m) * 2 + n), s, kTol);
      }
}

TEST(KernelsMatmul, HigherRankTimesMatrixFoldsBatch) {
  Tensor a = random_tensor({2, 3, 5, 4}, 7);
  Tensor b = random_tensor({4, 6}, 8);
  Tensor c = k::matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 3, 5, 6}));
  expect_close(c.reshape({30, 6}), naive_matmul_2d(a.reshape({30, 4}), b));
}

TEST(KernelsMatmul, VectorOperandsLikeNumpy) {
  Tensor v = Tensor::from_vector({3}, {1, 2, 3});
  Tensor m = Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor vm = k::matmul(v, m);
  expect_close(vm, Tensor::from_vector({2}, {4, 5}));
  Tensor mt = Tensor::from_vector({2, 3}, {1, 0, 1, 0, 1, 1});
  expect_close(k::matmul(mt, v), Tensor::from_vector({2}, {4, 5}));
  Tensor dot = k::matmul(v, v);
  EXPECT_EQ(dot.rank(), 0);
  EXPECT_NEAR(dot.item(), 14.0, 1e-6);
  // Batched matrix times vector: [2, 2, 3] x [3] -> [2, 2].
  Tensor batch = Tensor::from_vector({2, 2, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1});
  expect_close(k::matmul(batch, v), Tensor::from_vector({2, 2}, {1, 2, 3, 6}));
}

TEST(KernelsMatmul, RejectsMismatchedInnerDims) {
  EXPECT_THROW(k::matmul(Tensor({2, 3}), Tensor({4, 2})), keras::ShapeMismatchError);
  EXPECT_THROW(k::matmul(Tensor({2, 2, 3}), Tensor({3, 3, 2})), keras::ShapeMismatchError);
}

TEST(KernelsMatmul, IntegerInputsAreConverted) {
  Tensor a = Tensor::from_vector_i64({1, 2}, {2, 3}, keras::DType::int32);
  Tensor b = Tensor::from_vector_i64({2, 1}, {4, 5}, keras::DType::int64);
  Tensor c = k::matmul(a, b);
  EXPECT_EQ(c.dtype(), keras::DType::float32);
  EXPECT_FLOAT_EQ(c.item(), 23.0F);
}

TEST(KernelsMatmul, ConcurrentCallsAgree) {
  Tensor a = random_tensor({16, 32}, 9);
  Tensor b = random_tensor({32, 8}, 10);
  Tensor expected = naive_matmul_2d(a, b);
  std::vector<Tensor> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 20; ++repeat) results[t] = k::matmul(a, b);
    });
  for (auto& th : threads) th.join();
  for (const auto& r : results) expect_close(r, expected);
}

TEST(KernelsDense, HandComputedWithBias) {
  Tensor x = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor kernel = Tensor::from_vector({2, 3}, {1, 0, -1, 2, 1, 0});
  Tensor bias = Tensor::from_vector({3}, {0.5F, -0.5F, 1});
  expect_close(k::dense(x, kernel, bias), Tensor::from_vector({2, 3}, {5.5F, 1.5F, 0, 11.5F, 3.5F, -2}));
}

TEST(KernelsDense, AnyRankWithAndWithoutBias) {
  Tensor x = random_tensor({2, 3, 4, 7}, 11);
  Tensor kernel = random_tensor({7, 5}, 12);
  Tensor bias = random_tensor({5}, 13);
  Tensor no_bias = k::dense(x, kernel);
  ASSERT_EQ(no_bias.shape(), (Shape{2, 3, 4, 5}));
  expect_close(no_bias.reshape({24, 5}), naive_matmul_2d(x.reshape({24, 7}), kernel));
  Tensor with_bias = k::dense(x, kernel, bias);
  for (std::int64_t i = 0; i < with_bias.size(); ++i)
    ASSERT_NEAR(with_bias.at(i), no_bias.at(i) + bias.at(i % 5), kTol);
}

TEST(KernelsDense, BatchOfOneAndShapeErrors) {
  Tensor x = random_tensor({1, 3}, 14);
  Tensor kernel = random_tensor({3, 2}, 15);
  expect_close(k::dense(x, kernel), naive_matmul_2d(x, kernel));
  EXPECT_THROW(k::dense(random_tensor({1, 4}, 1), kernel), keras::ShapeMismatchError);
  EXPECT_THROW(k::dense(x, kernel, Tensor({3})), keras::ShapeMismatchError);
}

struct EinsumCase {
  std::string equation;
  Shape a, b;
};

TEST(KernelsEinsum, KerasEquationsAgainstNaive) {
  const std::vector<EinsumCase> cases = {
      {"ab,bc->ac", {3, 4}, {4, 5}},
      {"abc,cde->abde", {2, 3, 4}, {4, 2, 3}},
      {"abc,cd->abd", {2, 3, 4}, {4, 8}},
      {"abcd,cde->abe", {2, 3, 4, 2}, {4, 2, 5}},
      {"aecd,abcd->acbe", {2, 5, 3, 4}, {2, 6, 3, 4}},  // attention scores
      {"acbe,aecd->abcd", {2, 3, 6, 5}, {2, 5, 3, 4}},  // attention output
      {"abc,dce->abde", {2, 3, 4}, {5, 4, 6}},
      {"ab,cb->ac", {3, 4}, {5, 4}},
      {"ab,ab->a", {3, 4}, {3, 4}},
      {"ab,cd->abcd", {2, 3}, {4, 5}},
      {"abc,cb->a", {2, 3, 4}, {4, 3}},
  };
  std::uint64_t seed = 100;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.equation);
    Tensor a = random_tensor(c.a, seed++);
    Tensor b = random_tensor(c.b, seed++);
    expect_close(k::einsum(c.equation, a, b), naive_einsum(c.equation, a, b));
  }
}

TEST(KernelsEinsum, EllipsisMatchesDense) {
  Tensor x = random_tensor({2, 3, 4}, 20);
  Tensor w = random_tensor({4, 6}, 21);
  Tensor out = k::einsum("...b,bc->...c", x, w);
  ASSERT_EQ(out.shape(), (Shape{2, 3, 6}));
  expect_close(out, k::dense(x, w));
  // The ellipsis may also stand for no axes at all.
  Tensor flat = random_tensor({4}, 22);
  expect_close(k::einsum("...b,bc->...c", flat, w), naive_einsum("b,bc->c", flat, w));
}

TEST(KernelsEinsum, EllipsisBroadcastsBatchAxes) {
  Tensor a = random_tensor({2, 1, 3, 4}, 23);
  Tensor b = random_tensor({5, 4, 2}, 24);
  Tensor out = k::einsum("...ij,...jk->...ik", a, b);
  ASSERT_EQ(out.shape(), (Shape{2, 5, 3, 2}));
  for (std::int64_t p = 0; p < 2; ++p)
    for (std::int64_t q = 0; q < 5; ++q)
      for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t kk = 0; kk < 2; ++kk) {
          double s = 0;
          for (std::int64_t j = 0; j < 4; ++j) s += a.at((p * 3 + i) * 4 + j) * b.at((q * 4 + j) * 2 + kk);
          ASSERT_NEAR(out.at(((p * 5 + q) * 3 + i) * 2 + kk), s, kTol);
        }
}

TEST(KernelsEinsum, ImplicitOutputAndSummedOutLetters) {
  Tensor a = random_tensor({3, 4}, 25);
  Tensor b = random_tensor({4, 5}, 26);
  expect_close(k::einsum("ij,jk", a, b), naive_einsum("ij,jk->ik", a, b));
  // 'b' appears only in the first operand and not in the output: summed.
  Tensor c = random_tensor({2, 3, 4}, 27);
  Tensor d = random_tensor({4, 5}, 28);
  expect_close(k::einsum("abc,cd->ad", c, d), naive_einsum("abc,cd->ad", c, d));
}

TEST(KernelsEinsum, RejectsBadEquations) {
  Tensor a = random_tensor({3, 4}, 29);
  EXPECT_THROW(k::einsum("ab->ab", a, a), keras::ValueError);
  EXPECT_THROW(k::einsum("abc,bc->a", a, a), keras::ShapeMismatchError);
  EXPECT_THROW(k::einsum("ab,bc->ac", a, a), keras::ShapeMismatchError);  // b: 4 vs 3
  EXPECT_THROW(k::einsum("aa,ab->b", Tensor({3, 3}), a), keras::NotImplementedError);
  EXPECT_THROW(k::einsum("ab,bc->az", a, random_tensor({4, 2}, 30)), keras::ValueError);
}

}  // namespace
