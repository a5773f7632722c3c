// Tensors, dtypes, .npy files, random draws and initializer statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "keras/keras.hpp"
#include "support/test_support.hpp"
#include "tensor/arena.hpp"

namespace {

using keras::DType;
using keras::Tensor;

TEST(Tensor, ShapeSizeAndAlignment) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.size(), 24);
  EXPECT_EQ(t.nbytes(), 96U);
  EXPECT_EQ(t.dim(-1), 4);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0U);
  EXPECT_EQ(t.data<float>()[23], 0.0F);
  EXPECT_THROW(t.data<std::int32_t>(), keras::ValueError);
  EXPECT_EQ(keras::shape_to_string({-1, 3}), "(None, 3)");
  EXPECT_EQ(keras::shape_to_string({5}), "(5,)");
}

TEST(Tensor, ReshapeSharesStorageCloneDoesNot) {
  Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (keras::Shape{3, 2}));
  r.data<float>()[0] = 9;
  EXPECT_EQ(t.data<float>()[0], 9);
  Tensor c = t.clone();
  c.data<float>()[1] = 7;
  EXPECT_EQ(t.data<float>()[1], 2);
  EXPECT_THROW(t.reshape({4, 2}), keras::ShapeMismatchError);
}

TEST(Tensor, HalfAndBfloat16Conversions) {
  // Hand-checked bit patterns.
  EXPECT_EQ(keras::float_to_half(1.0F), 0x3C00);
  EXPECT_EQ(keras::float_to_half(-2.0F), 0xC000);
  EXPECT_EQ(keras::float_to_half(65504.0F), 0x7BFF);
  EXPECT_EQ(keras::float_to_half(1e6F), 0x7C00);
  EXPECT_FLOAT_EQ(keras::half_to_float(0x3555), 0.333251953125F);
  EXPECT_FLOAT_EQ(keras::half_to_float(0x0001), 5.960464477539063e-08F);
  EXPECT_EQ(keras::float_to_bfloat16(1.0F), 0x3F80);
  EXPECT_FLOAT_EQ(keras::bfloat16_to_float(0x4049), 3.140625F);
  // Round to nearest even on the dropped half.
  EXPECT_EQ(keras::float_to_bfloat16(std::bit_cast<float>(0x3F808000U)), 0x3F80);
  EXPECT_EQ(keras::float_to_bfloat16(std::bit_cast<float>(0x3F818000U)), 0x3F82);
  Tensor x = Tensor::from_vector({3}, {0.5F, -1.25F, 3.0F});
  EXPECT_TRUE(keras::allclose(x.astype(DType::float16).astype(DType::float32), x, 0, 0));
  EXPECT_TRUE(keras::allclose(x.astype(DType::bfloat16).astype(DType::float32), x, 0, 0));
}

TEST(Tensor, AstypeSaturatesAndTruncates) {
  Tensor x = Tensor::from_vector({4}, {1.7F, -1.7F, 300.0F, -5.0F});
  Tensor u8 = x.astype(DType::uint8);
  EXPECT_EQ(u8.to_vector_i64(), (std::vector<std::int64_t>{1, 0, 255, 0}));
  Tensor i32 = x.astype(DType::int32);
  EXPECT_EQ(i32.to_vector_i64(), (std::vector<std::int64_t>{1, -1, 300, -5}));
  Tensor b = x.astype(DType::bool_);
  EXPECT_EQ(b.to_vector_i64(), (std::vector<std::int64_t>{1, 1, 1, 1}));
}

TEST(Npy, RoundTripsEveryDtype) {
  keras_test::TempDir dir;
  for (DType d : {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8, DType::int16,
                  DType::int32, DType::int64, DType::uint8, DType::bool_}) {
    Tensor x = Tensor::from_vector({2, 3}, {0, 1, 2, 3, 4, 5}).astype(d);
    auto path = dir / (keras::dtype_name(d) + ".npy");
    keras::save_npy(path, x);
    Tensor y = keras::load_npy(path);
    EXPECT_EQ(y.dtype(), d) << keras::dtype_name(d);
    EXPECT_EQ(y.shape(), x.shape());
    EXPECT_EQ(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()), 0) << keras::dtype_name(d);
  }
  Tensor scalar = Tensor::scalar(2.5F);
  keras::save_npy(dir / "s.npy", scalar);
  EXPECT_EQ(keras::load_npy(dir / "s.npy").shape(), keras::Shape{});
}

TEST(Npy, ReadsFortranOrderAndRejectsGarbage) {
  // A 2x3 float32 array in Fortran order: memory holds columns.
  std::string header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  const float column_major[] = {1, 4, 2, 5, 3, 6};
  bytes.append(reinterpret_cast<const char*>(column_major), sizeof(column_major));
  Tensor t = keras::parse_npy(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  std::string truncated = bytes.substr(0, bytes.size() - 4);
  EXPECT_THROW(keras::parse_npy(std::as_bytes(std::span<const char>(truncated.data(), truncated.size()))),
               keras::FormatError);
  std::string junk = "not an npy file at all";
  EXPECT_THROW(keras::parse_npy(std::as_bytes(std::span<const char>(junk.data(), junk.size()))), keras::FormatError);
  EXPECT_THROW(keras::load_npy("/nonexistent/x.npy"), keras::FileNotFoundError);
}

TEST(Npy, ReadsKerasFixtureInputs) {
  Tensor x = keras::load_npy(keras_test::fixture_dir("seed_dense_softmax") / "x0.npy");
  EXPECT_EQ(x.dtype(), DType::float32);
  EXPECT_EQ(x.rank(), 2);
  EXPECT_EQ(x.shape()[1], 3);
}

TEST(Random, UniformRangeSeedsAndMoments) {
  Tensor a = keras::random::uniform({10000}, -2.0F, 3.0F, 42);
  Tensor b = keras::random::uniform({10000}, -2.0F, 3.0F, 42);
  EXPECT_TRUE(keras::allclose(a, b, 0, 0));
  double sum = 0;
  for (float v : a.to_vector()) {
    EXPECT_GE(v, -2.0F);
    EXPECT_LT(v, 3.0F);
    sum += v;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.06);
}

struct Moments {
  double mean, stddev, max_abs;
};
Moments moments(const Tensor& t) {
  double sum = 0, sq = 0, mx = 0;
  auto v = t.to_vector();
  for (float x : v) {
    sum += x;
    sq += static_cast<double>(x) * x;
    mx = std::max(mx, std::abs(static_cast<double>(x)));
  }
  double n = static_cast<double>(v.size());
  double mean = sum / n;
  return {mean, std::sqrt(sq / n - mean * mean), mx};
}

TEST(Initializers, GlorotUniformLimit) {
  // fan_in 200, fan_out 300: limit = sqrt(6 / 500); uniform stddev = limit / sqrt(3).
  Tensor w = keras::initializers::GlorotUniform({.seed = 1})({200, 300});
  auto m = moments(w);
  double limit = std::sqrt(6.0 / 500.0);
  EXPECT_LE(m.max_abs, limit);
  EXPECT_GT(m.max_abs, 0.99 * limit);
  EXPECT_NEAR(m.stddev, limit / std::sqrt(3.0), 0.01 * limit);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * limit);
}

TEST(Initializers, HeNormalIsTruncatedWithFanInVariance) {
  // Conv kernel (3, 3, 16, 32): fan_in = 144; stddev = sqrt(2 / 144).
  Tensor w = keras::initializers::HeNormal({.seed = 5})({3, 3, 16, 32});
  auto m = moments(w);
  double stddev = std::sqrt(2.0 / 144.0);
  EXPECT_NEAR(m.stddev, stddev, 0.05 * stddev);
  // Truncated at two (untruncated) standard deviations.
  EXPECT_LE(m.max_abs, 2.0 * stddev / 0.87962566103423978 + 1e-6);
}

TEST(Initializers, LecunUniformAndVarianceScalingFanOut) {
  Tensor w = keras::initializers::LecunUniform()({400, 100});
  EXPECT_LE(moments(w).max_abs, std::sqrt(3.0 / 400.0));
  Tensor v =
      keras::initializers::VarianceScaling({.scale = 2.0, .mode = "fan_out", .distribution = "uniform"})({50, 80});
  EXPECT_LE(moments(v).max_abs, std::sqrt(3.0 * 2.0 / 80.0));
  EXPECT_GT(moments(v).max_abs, 0.95 * std::sqrt(3.0 * 2.0 / 80.0));
}

TEST(Initializers, ConstantsOrthogonalAndConfigs) {
  EXPECT_EQ(keras::initializers::Constant(0.5)({3}).to_vector(), (std::vector<float>{0.5F, 0.5F, 0.5F}));
  Tensor q = keras::initializers::Orthogonal(1.0, 3)({4, 4});
  // Q^T Q = I
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      double dot = 0;
      for (int k = 0; k < 4; ++k) dot += q.at(k * 4 + i) * q.at(k * 4 + j);
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5);
    }
  }
  EXPECT_EQ(
      keras::initializers::Initializer("glorot_uniform").serialize().dump(),
      R"({"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null,"input_axes":null,"output_axes":null},"registered_name":null})");
  EXPECT_EQ(keras::initializers::RandomNormal(0.0, 0.5, 9).serialize().at("config").dump(),
            R"({"seed":9,"mean":0.0,"stddev":0.5})");
  EXPECT_THROW(keras::initializers::Initializer("no_such_init"), keras::UnknownObjectError);
}

// The arena of a repeated computation (src/tensor/arena.cpp): the first call records, the next
// ones with the same allocations replay them from one block.
using keras::detail::ArenaCache;
constexpr std::int64_t kQuarterMiB = 64 * 1024;  // floats

bool all_equal(const Tensor& t, float value) {
  const float* v = t.data<float>();
  return std::all_of(v, v + t.size(), [&](float x) { return x == value; });
}

TEST(Arena, ARecordedCallReplaysFromOneBlock) {
  ArenaCache cache;
  std::vector<std::vector<const void*>> seen;
  std::vector<Tensor> outputs;
  for (int call = 0; call < 3; ++call) {
    ArenaCache::Scope scope(cache, {1});
    std::vector<const void*> addresses;
    {
      Tensor a = Tensor::full({kQuarterMiB}, 1.0F);
      addresses.push_back(a.raw_data());
    }
    {
      Tensor b = Tensor::full({kQuarterMiB}, 2.0F);
      addresses.push_back(b.raw_data());
    }
    outputs.push_back(Tensor::full({kQuarterMiB}, static_cast<float>(call)));  // outlives the call
    addresses.push_back(outputs.back().raw_data());
    seen.push_back(addresses);
  }
  // Replayed, a and b (never alive together) share the block's first bytes, call after call.
  EXPECT_EQ(seen[1][0], seen[1][1]);
  EXPECT_EQ(seen[2][0], seen[1][0]);
  EXPECT_EQ(seen[2][1], seen[1][1]);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(seen[1][0]) % 64, 0U);
  // Outputs are the system's, each its own.
  EXPECT_NE(seen[1][2], seen[1][0]);
  EXPECT_NE(seen[2][2], seen[1][2]);
  for (int call = 0; call < 3; ++call) EXPECT_TRUE(all_equal(outputs[call], static_cast<float>(call)));
}

TEST(Arena, ABufferAliveWhereTheRecordFreedItSharesNoBytes) {
  ArenaCache cache;
  auto freed_first = [&] {
    ArenaCache::Scope scope(cache, {2});
    { Tensor a = Tensor::full({kQuarterMiB}, 1.0F); }
    Tensor b = Tensor::full({kQuarterMiB}, 2.0F);
  };
  freed_first();
  freed_first();
  {
    // The same sizes, but a is still alive when b comes: b must not take a's bytes.
    ArenaCache::Scope scope(cache, {2});
    Tensor a = Tensor::full({kQuarterMiB}, 1.0F);
    Tensor b = Tensor::full({kQuarterMiB}, 2.0F);
    EXPECT_NE(a.raw_data(), b.raw_data());
    EXPECT_TRUE(all_equal(a, 1.0F));
    EXPECT_TRUE(all_equal(b, 2.0F));
  }
  freed_first();  // recorded anew, and still right
}

TEST(Arena, AnOutputKeptFromTheBlockIsNotOverwrittenByLaterCalls) {
  ArenaCache cache;
  auto temporary = [&](float value) {
    ArenaCache::Scope scope(cache, {3});
    Tensor t = Tensor::full({4 * kQuarterMiB}, value);
    Tensor u = Tensor::full({kQuarterMiB}, value);
  };
  temporary(1.0F);
  Tensor kept;
  {
    // Replayed from the block, but this time the caller keeps it.
    ArenaCache::Scope scope(cache, {3});
    kept = Tensor::full({4 * kQuarterMiB}, 5.0F);
    Tensor u = Tensor::full({kQuarterMiB}, 5.0F);
  }
  for (int call = 0; call < 3; ++call) temporary(static_cast<float>(call + 10));
  EXPECT_TRUE(all_equal(kept, 5.0F));
}

TEST(Arena, AnotherSequenceOfSizesIsRecordedAndReplayedInTurn) {
  ArenaCache cache;
  for (int call = 0; call < 6; ++call) {
    ArenaCache::Scope scope(cache, {4});
    const std::int64_t size = call < 3 ? kQuarterMiB : 3 * kQuarterMiB;
    Tensor a = Tensor::full({size}, 1.0F);
    Tensor b = Tensor::full({size / 2}, 2.0F);
    Tensor c = Tensor::full({size * 2}, 3.0F);
    EXPECT_TRUE(all_equal(a, 1.0F) && all_equal(b, 2.0F) && all_equal(c, 3.0F)) << "call " << call;
  }
}

TEST(Arena, RepeatedPredictsGiveTheFirstPredictsValues) {
  // Each predict after the second replays its intermediates from the plan's arena.
  keras::clear_session();
  auto x = keras::Input({12, 12, 8});
  auto y = keras::layers::Conv2D(16, 3, {.padding = "same"})(x);
  y = keras::layers::BatchNormalization()(y);
  y = keras::layers::ReLU()(y);
  auto z = keras::layers::DepthwiseConv2D(3, {.padding = "same"})(y);
  z = keras::layers::Add()({y, z});
  z = keras::layers::GlobalAveragePooling2D()(z);
  keras::Model model(x, keras::layers::Dense(5)(z));
  const Tensor first = keras::random::uniform({16, 12, 12, 8}, -1.0F, 1.0F, 1);
  const Tensor second = keras::random::uniform({16, 12, 12, 8}, -1.0F, 1.0F, 2);
  const Tensor want_first = model.predict(first)[0];
  const Tensor want_second = model.predict(second)[0];
  for (int round = 0; round < 4; ++round) {
    EXPECT_TRUE(keras::allclose(model.predict(first)[0], want_first, 0, 0)) << "round " << round;
    EXPECT_TRUE(keras::allclose(model.predict(second)[0], want_second, 0, 0)) << "round " << round;
  }
  // A kept prediction survives the next ones.
  const Tensor kept = model.predict(first)[0];
  for (int round = 0; round < 3; ++round) model.predict(second);
  EXPECT_TRUE(keras::allclose(kept, want_first, 0, 0));
}

TEST(Json, DumpsLikePython) {
  keras::Json j = keras::Json::parse(R"({"a": 1, "b": [1.0, 1e-07, 0.0010000000474974513, null, true], "c": "é"})");
  EXPECT_EQ(keras::dump_json_like_python(j),
            R"({"a": 1, "b": [1.0, 1e-07, 0.0010000000474974513, null, true], "c": "\u00e9"})");
  keras::Json nan = keras::parse_json(R"({"x": NaN, "y": -Infinity, "s": "NaN"})", "test");
  EXPECT_TRUE(std::isnan(nan.at("x").get<double>()));
  EXPECT_EQ(nan.at("s").get<std::string>(), "NaN");
  EXPECT_EQ(keras::dump_json_like_python(nan), R"({"x": NaN, "y": -Infinity, "s": "NaN"})");
  EXPECT_THROW(keras::parse_json("{bad", "file.json"), keras::FormatError);
}

}  // namespace

namespace {

TEST(Json, MarkerLikeStringsStayStrings) {
  keras::Json j = keras::parse_json(R"({"s": "@@keras-nan@@", "x": NaN})", "test");
  EXPECT_EQ(j.at("s").get<std::string>(), "@@keras-nan@@");
  EXPECT_TRUE(std::isnan(j.at("x").get<double>()));
}

TEST(Json, DeepNestingIsAFormatError) {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  EXPECT_THROW(keras::parse_json(deep, "deep.json"), keras::FormatError);
}

TEST(Npy, NegativeDimsAndHugeHeadersAreFormatErrors) {
  auto npy = [](const std::string& dict) {
    std::string header = dict;
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xFF);
    bytes += static_cast<char>(header.size() >> 8);
    return bytes + header + std::string(64, '\0');
  };
  auto parse = [](const std::string& b) {
    return keras::parse_npy(std::as_bytes(std::span<const char>(b.data(), b.size())));
  };
  EXPECT_THROW(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")), keras::FormatError);
  EXPECT_THROW(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }")),
               keras::FormatError);
  EXPECT_THROW(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), " + std::string(20000, ' ') + "}")),
               keras::FormatError);
  EXPECT_EQ(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }")).size(), 4);
}

TEST(Registry, WrongJsonTypesInConfigsAreFormatErrors) {
  auto config = keras::Json::parse(R"({"module": "keras.layers", "class_name": "Dense",
    "config": {"name": 5, "units": "three", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {}}},
    "registered_name": null})");
  EXPECT_THROW(keras::saving::deserialize_layer(config), keras::Error);
  auto input = keras::Json::parse(R"({"module": "keras.layers", "class_name": "InputLayer",
    "config": {"batch_shape": [null, 3], "sparse": "no"}, "registered_name": null})");
  EXPECT_THROW(keras::saving::deserialize_layer(input), keras::FormatError);
}

}  // namespace
