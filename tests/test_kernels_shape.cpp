// keras::kernels shape / indexing ops and image resizing, against numpy results
// worked out by hand and against the Keras 3.16 Resizing fixture.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/image.hpp"
#include "ops/shape_ops.hpp"
#include "support/test_support.hpp"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace k = keras::kernels;
using I64 = std::vector<std::int64_t>;

// 0, 1, ..., n-1 reshaped.
Tensor arange(const Shape& shape, DType dtype = DType::float32) {
  I64 values(static_cast<std::size_t>(keras::shape_size(shape)));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(i);
  return Tensor::from_vector_i64(shape, values, dtype);
}

I64 values_of(const Tensor& t) { return t.to_vector_i64(); }

TEST(KernelsShape, TransposeAgainstIndexMapping) {
  Tensor x = arange({2, 3, 4});
  Tensor t = k::transpose(x, {2, 0, 1});
  ASSERT_EQ(t.shape(), (Shape{4, 2, 3}));
  for (std::int64_t a = 0; a < 4; ++a)
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t c = 0; c < 3; ++c) EXPECT_EQ(t.at((a * 2 + b) * 3 + c), x.at((b * 3 + c) * 4 + a));
  EXPECT_EQ(k::transpose(arange({2, 3}), {}).shape(), (Shape{3, 2}));
  EXPECT_EQ(values_of(k::transpose(arange({2, 3}), {})), (I64{0, 3, 1, 4, 2, 5}));
  // dtype is preserved (int64 values move unchanged).
  Tensor big = Tensor::from_vector_i64({2, 1}, {std::int64_t{1} << 40, -5}, DType::int64);
  Tensor bt = k::transpose(big, {1, 0});
  EXPECT_EQ(bt.dtype(), DType::int64);
  EXPECT_EQ(values_of(bt), (I64{std::int64_t{1} << 40, -5}));
  EXPECT_THROW(k::transpose(x, {0, 0, 1}), keras::ValueError);
  EXPECT_THROW(k::transpose(x, {0, 1}), keras::ValueError);
}

TEST(KernelsShape, ReshapeExpandSqueeze) {
  Tensor x = arange({2, 3});
  EXPECT_EQ(k::reshape(x, {3, -1}).shape(), (Shape{3, 2}));
  EXPECT_THROW(k::reshape(x, {4, -1}), keras::ShapeMismatchError);
  EXPECT_EQ(k::expand_dims(x, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(k::expand_dims(x, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(k::expand_dims(x, 1).shape(), (Shape{2, 1, 3}));
  EXPECT_THROW(k::expand_dims(x, 4), keras::ValueError);
  Tensor y = arange({1, 2, 1, 3});
  EXPECT_EQ(k::squeeze(y).shape(), (Shape{2, 3}));
  EXPECT_EQ(k::squeeze(y, {2}).shape(), (Shape{1, 2, 3}));
  EXPECT_THROW(k::squeeze(y, {1}), keras::ValueError);
}

TEST(KernelsShape, ConcatenateStackSplit) {
  Tensor a = arange({2, 2});
  Tensor b = Tensor::from_vector_i64({2, 1}, {10, 11}, DType::float32);
  Tensor c = k::concatenate({a, b}, 1);
  ASSERT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of(c), (I64{0, 1, 10, 2, 3, 11}));
  EXPECT_EQ(values_of(k::concatenate({a, a}, 0)), (I64{0, 1, 2, 3, 0, 1, 2, 3}));
  EXPECT_THROW(k::concatenate({a, arange({3, 1})}, 1), keras::ShapeMismatchError);
  Tensor s = k::stack({a, a}, 1);
  ASSERT_EQ(s.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values_of(s), (I64{0, 1, 0, 1, 2, 3, 2, 3}));
  EXPECT_EQ(k::stack({a, a}, -1).shape(), (Shape{2, 2, 2}));
  auto parts = k::split(arange({2, 6}), 3, 1);
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(values_of(parts[1]), (I64{2, 3, 8, 9}));
  EXPECT_THROW(k::split(arange({2, 6}), 4, 1), keras::ValueError);
  auto uneven = k::split_at(arange({7}), {2, 5}, 0);
  ASSERT_EQ(uneven.size(), 3U);
  EXPECT_EQ(values_of(uneven[0]), (I64{0, 1}));
  EXPECT_EQ(values_of(uneven[1]), (I64{2, 3, 4}));
  EXPECT_EQ(values_of(uneven[2]), (I64{5, 6}));
}

TEST(KernelsShape, SliceAndStridedSlicePythonSemantics) {
  Tensor x = arange({10});
  auto py = [&](std::optional<std::int64_t> start, std::optional<std::int64_t> stop, std::int64_t step) {
    return values_of(k::strided_slice(x, {k::SliceSpec{start, stop, step}}));
  };
  EXPECT_EQ(py(std::nullopt, std::nullopt, -2), (I64{9, 7, 5, 3, 1}));  // x[::-2]
  EXPECT_EQ(py(-3, std::nullopt, 1), (I64{7, 8, 9}));                   // x[-3:]
  EXPECT_EQ(py(8, 2, -3), (I64{8, 5}));                                 // x[8:2:-3]
  EXPECT_EQ(py(2, 100, 4), (I64{2, 6}));                                // x[2:100:4]
  EXPECT_EQ(py(5, 2, 1), (I64{}));                                      // x[5:2]
  EXPECT_EQ(py(-100, 2, 1), (I64{0, 1}));                               // x[-100:2]
  EXPECT_THROW(py(0, 1, 0), keras::ValueError);
  Tensor m = arange({3, 4});
  Tensor sub = k::strided_slice(m, {k::SliceSpec{1, std::nullopt, 1}, k::SliceSpec{std::nullopt, std::nullopt, -1}});
  EXPECT_EQ(sub.shape(), (Shape{2, 4}));
  EXPECT_EQ(values_of(sub), (I64{7, 6, 5, 4, 11, 10, 9, 8}));  // m[1:, ::-1]
  Tensor sl = k::slice(m, {1, 1}, {2, -1});
  EXPECT_EQ(values_of(sl), (I64{5, 6, 7, 9, 10, 11}));
  EXPECT_THROW(k::slice(m, {2, 0}, {2, 4}), keras::ValueError);
}

TEST(KernelsShape, PadTileRepeat) {
  Tensor x = arange({2, 2});
  Tensor p = k::pad(x, {{1, 0}, {0, 2}}, -1.0F);
  ASSERT_EQ(p.shape(), (Shape{3, 4}));
  EXPECT_EQ(values_of(p), (I64{-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1}));
  Tensor t = k::tile(x, {2, 3});
  ASSERT_EQ(t.shape(), (Shape{4, 6}));
  EXPECT_EQ(values_of(t), (I64{0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3}));
  EXPECT_EQ(k::tile(arange({3}), {2, 1}).shape(), (Shape{2, 3}));  // reps longer than the rank
  EXPECT_EQ(values_of(k::tile(arange({2}), {2})), (I64{0, 1, 0, 1}));
  EXPECT_EQ(values_of(k::repeat(x, 2, 0)), (I64{0, 1, 0, 1, 2, 3, 2, 3}));
  EXPECT_EQ(values_of(k::repeat(x, 2, 1)), (I64{0, 0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(values_of(k::repeat(x, I64{1, 2}, 1)), (I64{0, 1, 1, 2, 3, 3}));
}

TEST(KernelsShape, BroadcastToAndFlip) {
  Tensor x = arange({3, 1});
  Tensor b = k::broadcast_to(x, {2, 3, 2});
  ASSERT_EQ(b.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values_of(b), (I64{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}));
  EXPECT_THROW(k::broadcast_to(x, {3, 2, 2}), keras::ShapeMismatchError);
  Tensor m = arange({2, 3});
  EXPECT_EQ(values_of(k::flip(m, {1})), (I64{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(values_of(k::flip(m)), (I64{5, 4, 3, 2, 1, 0}));
}

TEST(KernelsShape, TakeGatherAndOneHot) {
  Tensor table = arange({4, 2});
  Tensor ids = Tensor::from_vector_i64({2, 2}, {3, 0, -1, 1}, DType::int32);
  Tensor emb = k::gather(table, ids);
  ASSERT_EQ(emb.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values_of(emb), (I64{6, 7, 0, 1, 6, 7, 2, 3}));
  // Float ids truncate like astype(int).
  Tensor float_ids = Tensor::from_vector({2}, {2.0F, 1.9F});
  EXPECT_EQ(values_of(k::gather(table, float_ids)), (I64{4, 5, 2, 3}));
  EXPECT_THROW(k::gather(table, Tensor::from_vector_i64({1}, {4}, DType::int64)), keras::ValueError);
  EXPECT_EQ(values_of(k::take(table, Tensor::from_vector_i64({3}, {1, 1, 0}, DType::int64), 1)),
            (I64{1, 1, 0, 3, 3, 2, 5, 5, 4, 7, 7, 6}));
  Tensor along = k::take_along_axis(arange({2, 3}), Tensor::from_vector_i64({2, 1}, {2, 0}, DType::int64), 1);
  EXPECT_EQ(values_of(along), (I64{2, 3}));
  Tensor oh = k::one_hot(Tensor::from_vector_i64({3}, {0, 2, -1}, DType::int64), 3);
  ASSERT_EQ(oh.shape(), (Shape{3, 3}));
  EXPECT_EQ(values_of(oh), (I64{1, 0, 0, 0, 0, 1, 0, 0, 0}));
  Tensor oh0 = k::one_hot(Tensor::from_vector_i64({2}, {1, 0}, DType::int32), 2, 0);
  EXPECT_EQ(values_of(oh0), (I64{0, 1, 1, 0}));
  EXPECT_EQ(k::cast(oh0, DType::int8).dtype(), DType::int8);
}

// ---- Resize

TEST(KernelsResize, BilinearHalfPixelHandComputed) {
  // [0, 1] -> 4: sample points -0.25, 0.25, 0.75, 1.25 (edges clamp through renormalisation).
  Tensor row = Tensor::from_vector({1, 1, 2, 1}, {0, 1});
  Tensor up = k::resize(row, 1, 4);
  ASSERT_EQ(up.shape(), (Shape{1, 1, 4, 1}));
  EXPECT_NEAR(up.at(0), 0.0, 1e-6);
  EXPECT_NEAR(up.at(1), 0.25, 1e-6);
  EXPECT_NEAR(up.at(2), 0.75, 1e-6);
  EXPECT_NEAR(up.at(3), 1.0, 1e-6);
  // 4 -> 2 without antialias: sample points 0.5 and 2.5 average neighbours.
  Tensor four = Tensor::from_vector({1, 4, 1}, {0, 4, 8, 12});
  Tensor down = k::resize(four, 1, 2);
  EXPECT_NEAR(down.at(0), 2.0, 1e-6);
  EXPECT_NEAR(down.at(1), 10.0, 1e-6);
  // With antialias the triangle widens by 2: weights (.75, .75, .25, 0) / 1.75 for the first output.
  Tensor aa = k::resize(four, 1, 2, k::Interpolation::bilinear, true);
  EXPECT_NEAR(aa.at(0), (0.75 * 0 + 0.75 * 4 + 0.25 * 8) / 1.75, 1e-5);
}

TEST(KernelsResize, NearestOffsets) {
  Tensor two = Tensor::from_vector({2, 1, 1}, {5, 7});
  EXPECT_EQ(values_of(k::resize(two, 3, 1, k::Interpolation::nearest)), (I64{5, 7, 7}));
  EXPECT_EQ(values_of(k::resize(two, 4, 1, k::Interpolation::nearest)), (I64{5, 5, 7, 7}));
  Tensor three = Tensor::from_vector({3, 1, 1}, {1, 2, 3});
  EXPECT_EQ(values_of(k::resize(three, 2, 1, k::Interpolation::nearest)), (I64{1, 3}));
}

TEST(KernelsResize, ConstantImagesStayConstantAndIntegersRound) {
  Tensor flat = Tensor::full({1, 5, 6, 2}, 3.5F);
  for (auto method : {k::Interpolation::bilinear, k::Interpolation::bicubic, k::Interpolation::lanczos3,
                      k::Interpolation::lanczos5}) {
    Tensor out = k::resize(flat, 9, 4, method);
    ASSERT_EQ(out.shape(), (Shape{1, 9, 4, 2}));
    for (std::int64_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out.at(i), 3.5, 1e-5);
  }
  Tensor img = Tensor::from_vector_i64({1, 2, 1}, {0, 255}, DType::uint8);
  Tensor up = k::resize(img, 1, 4);
  EXPECT_EQ(up.dtype(), DType::uint8);
  EXPECT_EQ(values_of(up), (I64{0, 64, 191, 255}));  // 63.75 and 191.25 rounded
  EXPECT_THROW(k::resize(Tensor({4, 4}), 2, 2), keras::ShapeMismatchError);
  EXPECT_THROW(k::parse_interpolation("area"), keras::ValueError);
}

TEST(KernelsResize, MatchesKerasResizingFixture) {
  const auto info = keras_test::fixture_case("resizing_spatial");
  const double atol = info.at("atol").get<double>(), rtol = info.at("rtol").get<double>();
  const auto dir = keras_test::fixture_dir("resizing_spatial");
  Tensor img = keras::load_npy(dir / "x0.npy");
  ASSERT_EQ(img.shape().size(), 4U);
  ASSERT_EQ(img.dim(1), 8);
  ASSERT_EQ(img.dim(2), 9);
  auto check = [&](const Tensor& actual, const char* expected_file) {
    Tensor expected = keras::load_npy(dir / expected_file);
    ASSERT_EQ(actual.shape(), expected.shape());
    EXPECT_TRUE(keras::allclose(actual, expected, rtol, atol))
        << expected_file << " max abs diff " << keras::max_abs_diff(actual, expected);
  };
  check(k::resize(img, 5, 7, k::Interpolation::bilinear), "y0.npy");
  check(k::resize(img, 12, 6, k::Interpolation::nearest), "y1.npy");
  // crop_to_aspect_ratio for 4x4 from 8x9: centred 8x8 crop (rows 0..8, columns 0..8).
  Tensor cropped = k::strided_slice(img, {k::SliceSpec{}, k::SliceSpec{0, 8, 1}, k::SliceSpec{0, 8, 1}});
  check(k::resize(cropped, 4, 4, k::Interpolation::bilinear), "y2.npy");
}

}  // namespace
