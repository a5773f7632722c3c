// keras::kernels convolutions and pooling against direct loops written here
// (and a few hand-computed values). Tolerance 1e-4: float32 sums of at most a
// few hundred products of values in [-1, 1].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/conv.hpp"
#include "ops/pooling.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
namespace k = keras::kernels;
using Dims = std::vector<std::int64_t>;

constexpr double kTol = 1e-4;

Tensor random_tensor(const Shape& shape, std::uint64_t seed) {
  return keras::random::uniform(shape, -1.0F, 1.0F, seed);
}

void expect_close(const Tensor& actual, const Tensor& expected, double atol = kTol) {
  ASSERT_EQ(actual.shape(), expected.shape());
  for (std::int64_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(actual.at(i), expected.at(i), atol) << "at flat index " << i;
}

// ---- Reference helpers: everything as 3 spatial dims (missing leading dims = 1).

struct Geometry {
  std::int64_t in[3] = {1, 1, 1};
  std::int64_t k[3] = {1, 1, 1};
  std::int64_t s[3] = {1, 1, 1};
  std::int64_t d[3] = {1, 1, 1};
  std::int64_t pad[3] = {0, 0, 0};  // before
  std::int64_t out[3] = {1, 1, 1};
};

// TF/Keras padding rules, written out independently of the library.
void plan_conv(Geometry& g, int n, const Dims& in, const Dims& ks, const Dims& strides, const Dims& dil,
               const std::string& padding) {
  for (int i = 0; i < n; ++i) {
    const int j = 3 - n + i;
    auto u = static_cast<std::size_t>(i);
    g.in[j] = in[u];
    g.k[j] = ks[u];
    g.s[j] = strides[u];
    g.d[j] = dil[u];
    const std::int64_t k_eff = (ks[u] - 1) * dil[u] + 1;
    if (padding == "valid") {
      g.pad[j] = 0;
      g.out[j] = (in[u] - k_eff) / strides[u] + 1;
    } else if (padding == "same") {
      g.out[j] = (in[u] + strides[u] - 1) / strides[u];
      const std::int64_t total = std::max<std::int64_t>((g.out[j] - 1) * strides[u] + k_eff - in[u], 0);
      g.pad[j] = total / 2;
    } else {  // causal
      g.pad[j] = k_eff - 1;
      g.out[j] = (in[u] - 1) / strides[u] + 1;
    }
  }
}

// Direct convolution: x [N, *in, C], kernel [*k, C/groups, F].
Tensor naive_conv(const Tensor& x, const Tensor& kernel, const Tensor& bias, int n, const Dims& strides,
                  const Dims& dil, const std::string& padding) {
  Dims in, ks;
  for (int i = 0; i < n; ++i) {
    in.push_back(x.shape()[static_cast<std::size_t>(i) + 1]);
    ks.push_back(kernel.shape()[static_cast<std::size_t>(i)]);
  }
  Geometry g;
  plan_conv(g, n, in, ks, strides, dil, padding);
  const std::int64_t batch = x.dim(0), c_in = x.dim(-1), cg = kernel.dim(-2), f = kernel.dim(-1);
  const std::int64_t groups = c_in / cg, fg = f / groups;
  Shape out_shape{batch};
  for (int i = 0; i < n; ++i) out_shape.push_back(g.out[3 - n + i]);
  out_shape.push_back(f);
  Tensor out(out_shape);
  float* o = out.data<float>();
  std::int64_t index = 0;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t o0 = 0; o0 < g.out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < g.out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < g.out[2]; ++o2)
          for (std::int64_t fo = 0; fo < f; ++fo, ++index) {
            const std::int64_t group = fo / fg;
            double s = bias.defined() ? bias.at(fo) : 0.0;
            for (std::int64_t k0 = 0; k0 < g.k[0]; ++k0)
              for (std::int64_t k1 = 0; k1 < g.k[1]; ++k1)
                for (std::int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                  const std::int64_t i0 = o0 * g.s[0] + k0 * g.d[0] - g.pad[0];
                  const std::int64_t i1 = o1 * g.s[1] + k1 * g.d[1] - g.pad[1];
                  const std::int64_t i2 = o2 * g.s[2] + k2 * g.d[2] - g.pad[2];
                  if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) continue;
                  for (std::int64_t c = 0; c < cg; ++c) {
                    const std::int64_t xi =
                        (((b * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * c_in + group * cg + c;
                    const std::int64_t ki = (((k0 * g.k[1] + k1) * g.k[2] + k2) * cg + c) * f + fo;
                    s += x.at(xi) * kernel.at(ki);
                  }
                }
            o[index] = static_cast<float>(s);
          }
  return out;
}

struct ConvCase {
  Shape x;
  Shape kernel;
  Dims strides;
  Dims dilation;
  std::string padding;
};

void check_conv_case(const ConvCase& c, std::uint64_t seed) {
  SCOPED_TRACE("x " + keras::shape_to_string(c.x) + " kernel " + keras::shape_to_string(c.kernel) + " " + c.padding);
  const int n = static_cast<int>(c.x.size()) - 2;
  Tensor x = random_tensor(c.x, seed);
  Tensor kernel = random_tensor(c.kernel, seed + 1);
  Tensor bias = random_tensor({c.kernel.back()}, seed + 2);
  Tensor actual = k::conv(x, kernel, bias, c.strides, k::parse_padding(c.padding), c.dilation);
  expect_close(actual, naive_conv(x, kernel, bias, n, c.strides, c.dilation, c.padding));
  Tensor no_bias = k::conv(x, kernel, Tensor(), c.strides, k::parse_padding(c.padding), c.dilation);
  expect_close(no_bias, naive_conv(x, kernel, Tensor(), n, c.strides, c.dilation, c.padding));
}

TEST(KernelsConv, HandComputed1D) {
  // x = [1, 2, 3, 4], kernel [1, 0, -1]: valid -> [1-3, 2-4]; same pads 1 each side.
  Tensor x = Tensor::from_vector({1, 4, 1}, {1, 2, 3, 4});
  Tensor kernel = Tensor::from_vector({3, 1, 1}, {1, 0, -1});
  expect_close(k::conv(x, kernel, Tensor(), {1}, k::Padding::valid), Tensor::from_vector({1, 2, 1}, {-2, -2}));
  expect_close(k::conv(x, kernel, Tensor(), {1}, k::Padding::same), Tensor::from_vector({1, 4, 1}, {-2, -2, -2, 3}));
  // causal pads 2 on the left: [0, 0, 1, 2, 3, 4].
  expect_close(k::conv(x, kernel, Tensor(), {1}, k::Padding::causal), Tensor::from_vector({1, 4, 1}, {-1, -2, -2, -2}));
}

TEST(KernelsConv, Conv1DCases) {
  const std::vector<ConvCase> cases = {
      {{2, 10, 3}, {3, 3, 4}, {1}, {1}, "same"},   {{2, 10, 3}, {3, 3, 4}, {2}, {1}, "valid"},
      {{2, 10, 3}, {3, 3, 4}, {1}, {2}, "causal"}, {{2, 10, 4}, {3, 2, 6}, {1}, {1}, "same"},  // groups = 2
      {{1, 9, 2}, {4, 2, 3}, {1}, {1}, "same"},                                                // even kernel, batch 1
      {{1, 11, 2}, {2, 2, 3}, {3}, {1}, "valid"},                                              // stride > kernel
      {{1, 11, 2}, {1, 2, 3}, {3}, {1}, "same"},   {{2, 7, 3}, {3, 3, 2}, {2}, {1}, "causal"},
  };
  std::uint64_t seed = 1;
  for (const auto& c : cases) check_conv_case(c, seed += 3);
}

TEST(KernelsConv, Conv2DCases) {
  const std::vector<ConvCase> cases = {
      {{2, 8, 8, 3}, {3, 3, 3, 4}, {1, 1}, {1, 1}, "same"},
      {{2, 9, 10, 3}, {3, 2, 3, 5}, {2, 3}, {1, 1}, "valid"},
      {{1, 8, 8, 3}, {3, 3, 3, 4}, {1, 1}, {2, 2}, "same"},
      {{2, 8, 8, 4}, {3, 3, 2, 6}, {2, 2}, {1, 1}, "same"},   // groups = 2
      {{1, 7, 6, 2}, {2, 4, 2, 3}, {1, 1}, {1, 1}, "same"},   // even kernels
      {{1, 7, 7, 2}, {2, 2, 2, 3}, {3, 3}, {1, 1}, "same"},   // stride > kernel
      {{1, 9, 9, 4}, {3, 3, 1, 4}, {1, 2}, {2, 1}, "valid"},  // depthwise-like groups = 4
      {{1, 5, 5, 3}, {1, 1, 3, 7}, {1, 1}, {1, 1}, "valid"},  // pointwise
  };
  std::uint64_t seed = 50;
  for (const auto& c : cases) check_conv_case(c, seed += 3);
}

TEST(KernelsConv, Conv3DCases) {
  const std::vector<ConvCase> cases = {
      {{1, 5, 6, 4, 2}, {3, 3, 3, 2, 3}, {1, 1, 1}, {1, 1, 1}, "same"},
      {{2, 6, 6, 6, 2}, {2, 3, 2, 2, 4}, {2, 2, 2}, {1, 1, 1}, "valid"},
      {{1, 6, 6, 6, 4}, {3, 3, 3, 2, 2}, {1, 1, 1}, {2, 1, 1}, "same"},  // groups = 2, dilation
  };
  std::uint64_t seed = 90;
  for (const auto& c : cases) check_conv_case(c, seed += 3);
}

TEST(KernelsConv, OutputLengthsAndPadding) {
  EXPECT_EQ(k::conv_output_length(10, 3, 1, k::Padding::same), 10);
  EXPECT_EQ(k::conv_output_length(10, 3, 2, k::Padding::valid), 4);
  EXPECT_EQ(k::conv_output_length(10, 3, 3, k::Padding::same), 4);
  EXPECT_EQ(k::conv_output_length(10, 3, 1, k::Padding::causal, 2), 10);
  EXPECT_EQ(k::conv_output_length(10, 3, 1, k::Padding::valid, 2), 6);
  EXPECT_EQ(k::conv_padding(7, 4, 1, k::Padding::same), (std::pair<std::int64_t, std::int64_t>{1, 2}));
  EXPECT_EQ(k::conv_padding(7, 3, 1, k::Padding::causal, 3), (std::pair<std::int64_t, std::int64_t>{6, 0}));
  EXPECT_EQ(k::parse_padding("SAME"), k::Padding::same);
  EXPECT_THROW(k::parse_padding("full"), keras::ValueError);
}

TEST(KernelsConv, RejectsBadArguments) {
  Tensor x = random_tensor({1, 4, 4, 3}, 1);
  EXPECT_THROW(k::conv(x, random_tensor({3, 3, 2, 4}, 2), Tensor(), {1}, k::Padding::same),
               keras::ShapeMismatchError);  // 3 channels not divisible by 2
  EXPECT_THROW(k::conv(x, random_tensor({5, 5, 3, 4}, 3), Tensor(), {1}, k::Padding::valid),
               keras::ValueError);  // empty output
  EXPECT_THROW(k::conv(x, random_tensor({3, 3, 3, 4}, 4), Tensor(), {1}, k::Padding::causal), keras::ValueError);
  EXPECT_THROW(k::conv(x, random_tensor({3, 3, 3, 4}, 5), Tensor({3}), {1}, k::Padding::same),
               keras::ShapeMismatchError);
  EXPECT_THROW(k::conv(x, random_tensor({3, 3, 3, 4}, 6), Tensor(), {1, 1, 1}, k::Padding::same), keras::ValueError);
}

TEST(KernelsConv, RepeatedCallsReuseCachedPrimitive) {
  Tensor x = random_tensor({1, 6, 6, 2}, 7);
  Tensor kernel = random_tensor({3, 3, 2, 2}, 8);
  Tensor first = k::conv(x, kernel, Tensor(), {1}, k::Padding::same);
  Tensor other_kernel = random_tensor({3, 3, 2, 2}, 9);
  Tensor second = k::conv(x, other_kernel, Tensor(), {1}, k::Padding::same);
  // Same shapes, different weights: the cached primitive must not keep stale weights.
  expect_close(second, naive_conv(x, other_kernel, Tensor(), 2, {1, 1}, {1, 1}, "same"));
  expect_close(k::conv(x, kernel, Tensor(), {1}, k::Padding::same), first);
}

// ---- Depthwise / separable

Tensor naive_depthwise(const Tensor& x, const Tensor& kernel, const Tensor& bias, int n, const Dims& strides,
                       const Dims& dil, const std::string& padding) {
  // Expand [*k, C, M] to a dense [*k, C, C*M] kernel with zeros off the diagonal blocks.
  const std::int64_t c = kernel.dim(-2), m = kernel.dim(-1);
  Shape dense_shape(kernel.shape().begin(), kernel.shape().end() - 2);
  const std::int64_t taps = keras::shape_size(dense_shape);
  dense_shape.push_back(c);
  dense_shape.push_back(c * m);
  Tensor dense(dense_shape);
  float* p = dense.data<float>();
  for (std::int64_t t = 0; t < taps; ++t)
    for (std::int64_t ci = 0; ci < c; ++ci)
      for (std::int64_t mi = 0; mi < m; ++mi)
        p[(t * c + ci) * c * m + ci * m + mi] = static_cast<float>(kernel.at((t * c + ci) * m + mi));
  return naive_conv(x, dense, bias, n, strides, dil, padding);
}

TEST(KernelsDepthwiseConv, MatchesBlockDiagonalConv) {
  struct Case {
    Shape x, kernel;
    Dims strides, dilation;
    std::string padding;
  };
  const std::vector<Case> cases = {
      {{2, 9, 3}, {3, 3, 2}, {1}, {1}, "same"},
      {{1, 8, 8, 3}, {3, 3, 3, 2}, {1, 1}, {1, 1}, "same"},
      {{2, 9, 8, 4}, {3, 3, 4, 1}, {2, 2}, {1, 1}, "valid"},
      {{1, 9, 9, 2}, {3, 3, 2, 3}, {1, 1}, {2, 2}, "same"},
  };
  std::uint64_t seed = 200;
  for (const auto& c : cases) {
    SCOPED_TRACE(keras::shape_to_string(c.x) + " " + keras::shape_to_string(c.kernel));
    const int n = static_cast<int>(c.x.size()) - 2;
    Tensor x = random_tensor(c.x, seed++);
    Tensor kernel = random_tensor(c.kernel, seed++);
    Tensor bias = random_tensor({c.kernel[c.kernel.size() - 2] * c.kernel.back()}, seed++);
    expect_close(k::depthwise_conv(x, kernel, bias, c.strides, k::parse_padding(c.padding), c.dilation),
                 naive_depthwise(x, kernel, bias, n, c.strides, c.dilation, c.padding));
  }
}

TEST(KernelsDepthwiseConv, OutputChannelOrderHandComputed) {
  // One pixel, C = 2, M = 2, 1x1 kernel: out[c * M + m] = x[c] * k[c, m].
  Tensor x = Tensor::from_vector({1, 1, 1, 2}, {2, 3});
  Tensor kernel = Tensor::from_vector({1, 1, 2, 2}, {1, 10, 100, 1000});
  expect_close(k::depthwise_conv(x, kernel, Tensor(), {1}, k::Padding::valid),
               Tensor::from_vector({1, 1, 1, 4}, {2, 20, 300, 3000}));
}

TEST(KernelsSeparableConv, DepthwiseThenPointwise) {
  Tensor x = random_tensor({2, 7, 7, 3}, 300);
  Tensor dk = random_tensor({3, 3, 3, 2}, 301);
  Tensor pk = random_tensor({1, 1, 6, 4}, 302);
  Tensor bias = random_tensor({4}, 303);
  Tensor depthwise = naive_depthwise(x, dk, Tensor(), 2, {1, 1}, {1, 1}, "same");
  Tensor expected = naive_conv(depthwise, pk, bias, 2, {1, 1}, {1, 1}, "valid");
  expect_close(k::separable_conv(x, dk, pk, bias, {1}, k::Padding::same), expected);
}

// ---- Transposed convolution

// Keras' (left, right) padding of the input-dilated convolution
// (backend_utils._convert_conv_transpose_padding_args_from_keras_to_jax).
std::pair<std::int64_t, std::int64_t> keras_transpose_pads(std::int64_t kernel, std::int64_t stride,
                                                           std::int64_t dilation, const std::string& padding,
                                                           std::optional<std::int64_t> output_padding) {
  const std::int64_t ks = (kernel - 1) * dilation + 1;
  if (padding == "valid") {
    const std::int64_t op = output_padding ? *output_padding : std::max(ks, stride) - ks;
    return {ks - 1, ks - 1 + op};
  }
  const std::int64_t pad_len = output_padding ? ks + ks % 2 - 2 + *output_padding : stride + ks - 2;
  const std::int64_t left = std::min(pad_len / 2 + pad_len % 2, ks - 1);
  return {left, pad_len - left};
}

// jax.lax.conv_transpose(transpose_kernel=True): dilate the input by the
// stride, pad, and correlate with the spatially flipped kernel whose in/out
// axes are swapped. x [N, *in, C], kernel [*k, F, C].
Tensor naive_conv_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias, int n, const Dims& strides,
                            const std::string& padding, const std::vector<std::optional<std::int64_t>>& out_pad,
                            const Dims& dil) {
  std::int64_t in[3] = {1, 1, 1}, ks[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, left[3] = {0, 0, 0},
               out[3] = {1, 1, 1};
  for (int i = 0; i < n; ++i) {
    const int j = 3 - n + i;
    auto u = static_cast<std::size_t>(i);
    in[j] = x.shape()[u + 1];
    ks[j] = kernel.shape()[u];
    s[j] = strides[u];
    d[j] = dil[u];
    const auto [l, r] = keras_transpose_pads(ks[j], s[j], d[j], padding, out_pad[u]);
    left[j] = l;
    const std::int64_t dilated = (in[j] - 1) * s[j] + 1;
    out[j] = dilated + l + r - ((ks[j] - 1) * d[j] + 1) + 1;
  }
  const std::int64_t batch = x.dim(0), c_in = x.dim(-1), f = kernel.dim(-2);
  Shape out_shape{batch};
  for (int i = 0; i < n; ++i) out_shape.push_back(out[3 - n + i]);
  out_shape.push_back(f);
  Tensor result(out_shape);
  float* o = result.data<float>();
  std::int64_t index = 0;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t o0 = 0; o0 < out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < out[2]; ++o2)
          for (std::int64_t fo = 0; fo < f; ++fo, ++index) {
            double acc = bias.defined() ? bias.at(fo) : 0.0;
            for (std::int64_t q0 = 0; q0 < ks[0]; ++q0)
              for (std::int64_t q1 = 0; q1 < ks[1]; ++q1)
                for (std::int64_t q2 = 0; q2 < ks[2]; ++q2) {
                  // Position in the padded, input-dilated signal.
                  const std::int64_t p[3] = {o0 + q0 * d[0] - left[0], o1 + q1 * d[1] - left[1],
                                             o2 + q2 * d[2] - left[2]};
                  std::int64_t src[3];
                  bool valid = true;
                  for (int a = 0; a < 3 && valid; ++a) {
                    valid = p[a] >= 0 && p[a] % s[a] == 0 && p[a] / s[a] < in[a];
                    src[a] = valid ? p[a] / s[a] : 0;
                  }
                  if (!valid) continue;
                  // Flipped kernel tap.
                  const std::int64_t k0 = ks[0] - 1 - q0, k1 = ks[1] - 1 - q1, k2 = ks[2] - 1 - q2;
                  for (std::int64_t c = 0; c < c_in; ++c) {
                    const std::int64_t xi = (((b * in[0] + src[0]) * in[1] + src[1]) * in[2] + src[2]) * c_in + c;
                    const std::int64_t ki = (((k0 * ks[1] + k1) * ks[2] + k2) * f + fo) * c_in + c;
                    acc += x.at(xi) * kernel.at(ki);
                  }
                }
            o[index] = static_cast<float>(acc);
          }
  return result;
}

TEST(KernelsConvTranspose, HandComputed1D) {
  Tensor x = Tensor::from_vector({1, 2, 1}, {1, 2});
  Tensor kernel = Tensor::from_vector({3, 1, 1}, {1, 1, 1});
  // Full scatter: [1, 1, 1+2, 2, 2].
  expect_close(k::conv_transpose(x, kernel, Tensor(), {2}, k::Padding::valid),
               Tensor::from_vector({1, 5, 1}, {1, 1, 3, 2, 2}));
  // same: length in * stride = 4, taken from the start of the full scatter.
  expect_close(k::conv_transpose(x, kernel, Tensor(), {2}, k::Padding::same),
               Tensor::from_vector({1, 4, 1}, {1, 1, 3, 2}));
  // stride 3 > kernel 2, valid: length (2-1)*3 + max(2, 3) = 6; the last value is beyond
  // the scatter and holds only the bias.
  Tensor k2 = Tensor::from_vector({2, 1, 1}, {1, 1});
  expect_close(k::conv_transpose(x, k2, Tensor::from_vector({1}, {0.5F}), {3}, k::Padding::valid),
               Tensor::from_vector({1, 6, 1}, {1.5F, 1.5F, 0.5F, 2.5F, 2.5F, 0.5F}));
}

TEST(KernelsConvTranspose, OutputLengthRules) {
  // valid: (in - 1) * s + max(k, s), or + k + output_padding.
  EXPECT_EQ(k::conv_transpose_output_length(5, 3, 2, k::Padding::valid, std::nullopt), 11);
  EXPECT_EQ(k::conv_transpose_output_length(5, 2, 3, k::Padding::valid, std::nullopt), 15);
  EXPECT_EQ(k::conv_transpose_output_length(5, 3, 2, k::Padding::valid, 1), 12);
  // same: in * s, or (in - 1) * s + k % 2 + output_padding.
  EXPECT_EQ(k::conv_transpose_output_length(5, 3, 2, k::Padding::same, std::nullopt), 10);
  EXPECT_EQ(k::conv_transpose_output_length(5, 4, 3, k::Padding::same, std::nullopt), 15);
  EXPECT_EQ(k::conv_transpose_output_length(5, 3, 2, k::Padding::same, 1), 10);
  EXPECT_EQ(k::conv_transpose_output_length(5, 3, 2, k::Padding::same, 0), 9);
  // dilation widens the kernel: k_eff = (3 - 1) * 2 + 1 = 5.
  EXPECT_EQ(k::conv_transpose_output_length(4, 3, 1, k::Padding::valid, std::nullopt, 2), 8);
}

TEST(KernelsConvTranspose, MatchesInputDilatedConvolution) {
  struct Case {
    Shape x, kernel;
    Dims strides;
    std::string padding;
    std::vector<std::optional<std::int64_t>> output_padding;
    Dims dilation;
  };
  using OP = std::optional<std::int64_t>;
  const std::vector<Case> cases = {
      {{2, 6, 3}, {3, 4, 3}, {2}, "same", {OP()}, {1}},
      {{2, 6, 3}, {3, 4, 3}, {2}, "valid", {OP()}, {1}},
      {{1, 5, 2}, {2, 3, 2}, {3}, "valid", {OP()}, {1}},  // stride > kernel
      {{1, 5, 2}, {4, 3, 2}, {3}, "same", {OP()}, {1}},   // even kernel
      {{1, 5, 2}, {3, 2, 2}, {1}, "valid", {OP()}, {2}},  // dilation
      {{1, 5, 2}, {3, 2, 2}, {2}, "same", {OP(1)}, {1}},  // output_padding with same
      {{1, 5, 2}, {3, 2, 2}, {2}, "same", {OP(0)}, {1}},
      {{2, 4, 5, 3}, {3, 3, 2, 3}, {2, 2}, "same", {OP(), OP()}, {1, 1}},
      {{1, 4, 5, 3}, {3, 2, 4, 3}, {2, 1}, "valid", {OP(), OP()}, {1, 1}},
      {{1, 4, 4, 2}, {3, 3, 3, 2}, {2, 2}, "valid", {OP(1), OP(1)}, {1, 1}},
      {{1, 3, 4, 2}, {2, 2, 3, 2}, {3, 2}, "valid", {OP(2), OP(0)}, {1, 1}},
      {{1, 3, 4, 3, 2}, {2, 2, 2, 3, 2}, {2, 2, 2}, "same", {OP(), OP(), OP()}, {1, 1, 1}},
      {{1, 3, 3, 3, 2}, {3, 2, 3, 2, 2}, {1, 2, 2}, "valid", {OP(0), OP(1), OP(0)}, {1, 1, 1}},
  };
  std::uint64_t seed = 400;
  for (const auto& c : cases) {
    SCOPED_TRACE(keras::shape_to_string(c.x) + " " + keras::shape_to_string(c.kernel) + " " + c.padding);
    const int n = static_cast<int>(c.x.size()) - 2;
    Tensor x = random_tensor(c.x, seed++);
    Tensor kernel = random_tensor(c.kernel, seed++);
    Tensor bias = random_tensor({c.kernel[c.kernel.size() - 2]}, seed++);
    Dims output_padding;
    if (c.output_padding[0]) {
      for (const auto& v : c.output_padding) output_padding.push_back(*v);
    }
    Tensor actual =
        k::conv_transpose(x, kernel, bias, c.strides, k::parse_padding(c.padding), output_padding, c.dilation);
    expect_close(actual, naive_conv_transpose(x, kernel, bias, n, c.strides, c.padding, c.output_padding, c.dilation));
    for (int i = 0; i < n; ++i)
      EXPECT_EQ(actual.shape()[static_cast<std::size_t>(i) + 1],
                k::conv_transpose_output_length(
                    c.x[static_cast<std::size_t>(i) + 1], c.kernel[static_cast<std::size_t>(i)],
                    c.strides[static_cast<std::size_t>(i)], k::parse_padding(c.padding),
                    c.output_padding[static_cast<std::size_t>(i)], c.dilation[static_cast<std::size_t>(i)]));
  }
}

TEST(KernelsConvTranspose, RejectsBadArguments) {
  Tensor x = random_tensor({1, 4, 3}, 1);
  EXPECT_THROW(k::conv_transpose(x, random_tensor({3, 2, 2}, 2), Tensor(), {1}, k::Padding::same),
               keras::ShapeMismatchError);
  EXPECT_THROW(k::conv_transpose(x, random_tensor({3, 2, 3}, 3), Tensor(), {1}, k::Padding::causal), keras::ValueError);
}

// ---- Pooling

Tensor naive_pool(const Tensor& x, int n, const Dims& pool, const Dims& strides, const std::string& padding,
                  bool is_max) {
  Dims in;
  for (int i = 0; i < n; ++i) in.push_back(x.shape()[static_cast<std::size_t>(i) + 1]);
  Geometry g;
  plan_conv(g, n, in, pool, strides, Dims(static_cast<std::size_t>(n), 1), padding);
  const std::int64_t batch = x.dim(0), c = x.dim(-1);
  Shape out_shape{batch};
  for (int i = 0; i < n; ++i) out_shape.push_back(g.out[3 - n + i]);
  out_shape.push_back(c);
  Tensor out(out_shape);
  float* o = out.data<float>();
  std::int64_t index = 0;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t o0 = 0; o0 < g.out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < g.out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < g.out[2]; ++o2)
          for (std::int64_t ch = 0; ch < c; ++ch, ++index) {
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
            int count = 0;
            for (std::int64_t k0 = 0; k0 < g.k[0]; ++k0)
              for (std::int64_t k1 = 0; k1 < g.k[1]; ++k1)
                for (std::int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                  const std::int64_t i0 = o0 * g.s[0] + k0 - g.pad[0];
                  const std::int64_t i1 = o1 * g.s[1] + k1 - g.pad[1];
                  const std::int64_t i2 = o2 * g.s[2] + k2 - g.pad[2];
                  if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) continue;
                  const double v = x.at((((b * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * c + ch);
                  acc = is_max ? std::max(acc, v) : acc + v;
                  ++count;
                }
            o[index] = static_cast<float>(is_max ? acc : acc / count);
          }
  return out;
}

TEST(KernelsPooling, HandComputed1D) {
  Tensor x = Tensor::from_vector({1, 5, 1}, {1, 5, 2, 4, 3});
  expect_close(k::max_pool(x, {2}, {}, k::Padding::valid), Tensor::from_vector({1, 2, 1}, {5, 4}));
  expect_close(k::avg_pool(x, {2}, {}, k::Padding::valid), Tensor::from_vector({1, 2, 1}, {3, 3}));
  // same, pool 2 stride 2 on length 5: output 3, one pad at the end; the last
  // window holds only x[4] and is averaged over 1 cell.
  expect_close(k::avg_pool(x, {2}, {2}, k::Padding::same), Tensor::from_vector({1, 3, 1}, {3, 3, 3}));
  expect_close(k::max_pool(x, {2}, {2}, k::Padding::same), Tensor::from_vector({1, 3, 1}, {5, 4, 3}));
  // pool 3 stride 1 same: pad 1 each side; edges average 2 cells.
  expect_close(k::avg_pool(x, {3}, {1}, k::Padding::same),
               Tensor::from_vector({1, 5, 1}, {3, 8.0F / 3, 11.0F / 3, 3, 3.5F}));
}

TEST(KernelsPooling, AgainstNaiveAllRanks) {
  struct Case {
    Shape x;
    Dims pool, strides;
    std::string padding;
  };
  const std::vector<Case> cases = {
      {{2, 9, 3}, {2}, {2}, "valid"},
      {{2, 9, 3}, {3}, {2}, "same"},
      {{1, 10, 2}, {2}, {3}, "valid"},  // stride > pool
      {{1, 10, 2}, {2}, {3}, "same"},
      {{2, 7, 8, 3}, {2, 3}, {2, 2}, "same"},
      {{2, 8, 8, 3}, {2, 2}, {2, 2}, "valid"},
      {{1, 7, 7, 2}, {3, 3}, {2, 2}, "same"},
      {{1, 7, 9, 2}, {3, 2}, {1, 3}, "valid"},
      {{1, 6, 5, 4, 2}, {2, 2, 2}, {2, 2, 2}, "valid"},
      {{1, 5, 5, 3, 2}, {2, 2, 2}, {2, 2, 2}, "same"},
  };
  std::uint64_t seed = 500;
  for (const auto& c : cases) {
    SCOPED_TRACE(keras::shape_to_string(c.x) + " " + c.padding);
    const int n = static_cast<int>(c.x.size()) - 2;
    Tensor x = random_tensor(c.x, seed++);
    const auto padding = k::parse_padding(c.padding);
    expect_close(k::max_pool(x, c.pool, c.strides, padding), naive_pool(x, n, c.pool, c.strides, c.padding, true));
    expect_close(k::avg_pool(x, c.pool, c.strides, padding), naive_pool(x, n, c.pool, c.strides, c.padding, false));
  }
}

TEST(KernelsPooling, DefaultStridesAndShortInput) {
  Tensor x = random_tensor({1, 6, 6, 1}, 600);
  EXPECT_EQ(k::max_pool(x, {3}, {}, k::Padding::valid).shape(), (Shape{1, 2, 2, 1}));
  // Input shorter than the window with "valid": an empty output like numpy's.
  EXPECT_EQ(k::max_pool(random_tensor({1, 2, 1}, 601), {3}, {}, k::Padding::valid).shape(), (Shape{1, 0, 1}));
  EXPECT_THROW(k::max_pool(random_tensor({4, 2}, 602), {2}, {}, k::Padding::valid), keras::ShapeMismatchError);
}

TEST(KernelsPooling, GlobalPooling) {
  Tensor x = Tensor::from_vector({2, 2, 2, 1}, {1, 2, 3, 4, -1, -5, 0, 2});
  expect_close(k::global_avg_pool(x), Tensor::from_vector({2, 1}, {2.5F, -1}));
  expect_close(k::global_max_pool(x), Tensor::from_vector({2, 1}, {4, 2}));
  EXPECT_EQ(k::global_avg_pool(x, true).shape(), (Shape{2, 1, 1, 1}));
  Tensor x3 = random_tensor({2, 3, 4, 5, 6}, 603);
  Tensor g = k::global_max_pool(x3);
  ASSERT_EQ(g.shape(), (Shape{2, 6}));
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t c = 0; c < 6; ++c) {
      double best = -1e9, total = 0;
      for (std::int64_t s = 0; s < 60; ++s) {
        best = std::max(best, x3.at((b * 60 + s) * 6 + c));
        total += x3.at((b * 60 + s) * 6 + c);
      }
      EXPECT_NEAR(g.at(b * 6 + c), best, 1e-6);
      EXPECT_NEAR(k::global_avg_pool(x3).at(b * 6 + c), total / 60, 1e-5);
    }
}

TEST(KernelsAdaptivePooling, HandComputedBins) {
  // L = 5, out = 3: bins [0, 2), [1, 4), [3, 5).
  Tensor x = Tensor::from_vector({1, 5, 1}, {1, 2, 3, 4, 10});
  expect_close(k::adaptive_avg_pool(x, {3}), Tensor::from_vector({1, 3, 1}, {1.5F, 3, 7}));
  expect_close(k::adaptive_max_pool(x, {3}), Tensor::from_vector({1, 3, 1}, {2, 4, 10}));
  // Upsampling, L = 2, out = 3: bins [0, 1), [0, 2), [1, 2).
  Tensor y = Tensor::from_vector({1, 2, 1}, {2, 4});
  expect_close(k::adaptive_avg_pool(y, {3}), Tensor::from_vector({1, 3, 1}, {2, 3, 4}));
}

TEST(KernelsAdaptivePooling, AgainstNaive2DAnd3D) {
  auto bins = [](std::int64_t i, std::int64_t len, std::int64_t out) {
    return std::pair<std::int64_t, std::int64_t>{static_cast<std::int64_t>(std::floor(double(i) * len / out)),
                                                 static_cast<std::int64_t>(std::ceil(double(i + 1) * len / out))};
  };
  Tensor x = random_tensor({2, 7, 5, 3}, 700);
  Tensor avg = k::adaptive_avg_pool(x, {3, 2});
  Tensor mx = k::adaptive_max_pool(x, {3, 2});
  ASSERT_EQ(avg.shape(), (Shape{2, 3, 2, 3}));
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t i = 0; i < 3; ++i)
      for (std::int64_t j = 0; j < 2; ++j)
        for (std::int64_t c = 0; c < 3; ++c) {
          auto [h0, h1] = bins(i, 7, 3);
          auto [w0, w1] = bins(j, 5, 2);
          double total = 0, best = -1e9;
          for (auto h = h0; h < h1; ++h)
            for (auto w = w0; w < w1; ++w) {
              const double v = x.at(((b * 7 + h) * 5 + w) * 3 + c);
              total += v;
              best = std::max(best, v);
            }
          const std::int64_t o = ((b * 3 + i) * 2 + j) * 3 + c;
          EXPECT_NEAR(avg.at(o), total / double((h1 - h0) * (w1 - w0)), 1e-5);
          EXPECT_NEAR(mx.at(o), best, 1e-6);
        }
  Tensor x3 = random_tensor({1, 4, 6, 5, 2}, 701);
  Tensor a3 = k::adaptive_avg_pool(x3, {2, 3, 2});
  ASSERT_EQ(a3.shape(), (Shape{1, 2, 3, 2, 2}));
  // Bin (1, 2, 1), channel 1: d [2, 4), h [4, 6), w [2, 5).
  double total = 0;
  for (int d = 2; d < 4; ++d)
    for (int h = 4; h < 6; ++h)
      for (int w = 2; w < 5; ++w) total += x3.at((((d * 6) + h) * 5 + w) * 2 + 1);
  EXPECT_NEAR(a3.at((((1 * 3 + 2) * 2 + 1) * 2) + 1), total / 12, 1e-5);
}

// ---- Keras 3.16 fixtures (no weights involved: pooling layers only)

// The case's input / output arrays, listed in case.json under `key`.
std::vector<Tensor> fixture_arrays(const std::string& case_name, const char* key) {
  const nlohmann::json info = keras_test::fixture_case(case_name);
  std::vector<Tensor> arrays;
  for (const auto& name : info.at(key))
    arrays.push_back(keras::load_npy(keras_test::fixture_dir(case_name) / name.get<std::string>()));
  return arrays;
}

void expect_fixture(const Tensor& actual, const Tensor& expected, const nlohmann::json& info) {
  const double atol = info.at("atol").get<double>();
  const double rtol = info.at("rtol").get<double>();
  ASSERT_EQ(actual.shape(), expected.shape());
  EXPECT_TRUE(keras::allclose(actual, expected, rtol, atol))
      << "max abs diff " << keras::max_abs_diff(actual, expected);
}

TEST(KernelsFixtures, PoolingMatchesKeras) {
  const auto info = keras_test::fixture_case("pooling");
  const auto in = fixture_arrays("pooling", "inputs");
  const auto out = fixture_arrays("pooling", "outputs");
  ASSERT_EQ(in.size(), 3U);
  ASSERT_EQ(out.size(), 13U);
  const Tensor &seq = in[0], &img = in[1], &vol = in[2];
  // Layer arguments as stored in the fixture's config.json, in output order.
  expect_fixture(k::max_pool(seq, {2}, {2}, k::Padding::valid), out[0], info);
  expect_fixture(k::avg_pool(seq, {3}, {2}, k::Padding::same), out[1], info);
  expect_fixture(k::max_pool(img, {2, 3}, {2, 2}, k::Padding::same), out[2], info);
  expect_fixture(k::avg_pool(img, {2, 2}, {2, 2}, k::Padding::valid), out[3], info);
  expect_fixture(k::avg_pool(img, {3, 3}, {2, 2}, k::Padding::same), out[4], info);
  expect_fixture(k::max_pool(vol, {2, 2, 2}, {2, 2, 2}, k::Padding::valid), out[5], info);
  expect_fixture(k::avg_pool(vol, {2, 2, 2}, {2, 2, 2}, k::Padding::same), out[6], info);
  expect_fixture(k::global_max_pool(seq, false), out[7], info);
  expect_fixture(k::global_avg_pool(seq, true), out[8], info);
  expect_fixture(k::global_max_pool(img, true), out[9], info);
  expect_fixture(k::global_avg_pool(img, false), out[10], info);
  expect_fixture(k::global_max_pool(vol, false), out[11], info);
  expect_fixture(k::global_avg_pool(vol, false), out[12], info);
}

TEST(KernelsFixtures, AdaptivePoolingMatchesKeras) {
  const auto info = keras_test::fixture_case("adaptive_pooling");
  const auto in = fixture_arrays("adaptive_pooling", "inputs");
  const auto out = fixture_arrays("adaptive_pooling", "outputs");
  ASSERT_EQ(in.size(), 3U);
  ASSERT_EQ(out.size(), 6U);
  expect_fixture(k::adaptive_avg_pool(in[0], {4}), out[0], info);
  expect_fixture(k::adaptive_max_pool(in[0], {3}), out[1], info);
  expect_fixture(k::adaptive_avg_pool(in[1], {3, 2}), out[2], info);
  expect_fixture(k::adaptive_max_pool(in[1], {2, 2}), out[3], info);
  expect_fixture(k::adaptive_avg_pool(in[2], {2, 3, 2}), out[4], info);
  expect_fixture(k::adaptive_max_pool(in[2], {2, 2, 2}), out[5], info);
}

}  // namespace
