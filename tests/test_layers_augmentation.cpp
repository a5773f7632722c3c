// Image augmentation and image preprocessing layers: the Keras fixtures,
// configs built in C++, and the training-mode math against hand-computed
// references (ranges chosen so that the random draws are fixed or two-valued).
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "ops/image_transform.hpp"
#include "saving/compare.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::DType;
using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

// A batch of `n` images h x w x c with values f(b, y, x, c).
template <typename F>
Tensor images(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, F f) {
  Tensor t({n, h, w, c});
  float* p = t.data<float>();
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x)
        for (std::int64_t k = 0; k < c; ++k) *p++ = f(b, y, x, k);
  return t;
}

float at(const Tensor& t, std::int64_t b, std::int64_t y, std::int64_t x, std::int64_t c) {
  return t.data<float>()[((b * t.dim(1) + y) * t.dim(2) + x) * t.dim(3) + c];
}

Tensor train(const keras::LayerRef& layer, const Tensor& x) {
  layer->build_for({x.shape()});
  return layer->forward(x, true);
}

Tensor infer(const keras::LayerRef& layer, const Tensor& x) {
  Shape feature_shape(x.shape().begin() + 1, x.shape().end());
  auto input = keras::Input(feature_shape, {.dtype = keras::dtype_name(x.dtype())});
  keras::Model model(input, layer(input));
  return model.predict(x).at(0);
}

void expect_all_near(const Tensor& actual, const Tensor& expected, float tol, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  for (std::int64_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual.at(i), expected.at(i), tol) << what << " at " << i;
}

// A 4x4 RGB test image with distinct values.
Tensor ramp(std::int64_t n = 1, std::int64_t size = 4) {
  return images(n, size, size, 3,
                [](auto b, auto y, auto x, auto c) { return static_cast<float>(b * 100 + y * 16 + x * 4 + c * 1); });
}

// ---------------------------------------------------------------- fixtures

TEST(AugmentationFixtures, AugmentationLayersMatchKeras) { keras_test::expect_fixture_matches("augmentation_layers"); }

TEST(AugmentationFixtures, ImagePreprocessingInferenceMatchesKeras) {
  keras_test::expect_fixture_matches("image_preprocessing_inference");
}

// Keras 3.16 writes RandomShear(x_factor=f) as x_factor=[-f, f] and then
// rejects it on load; keras-cpp loads it and writes the same file again.
TEST(AugmentationFixtures, RandomShearFileKerasCannotReloadLoadsAndResaves) {
  keras_test::expect_fixture_matches("augmentation_keras_cannot_reload");
  auto entry = keras_test::fixture_layer_entry("augmentation_keras_cannot_reload", "random_shear");
  EXPECT_EQ(entry.at("config").at("x_factor"), Json::array({-0.1, 0.1}));
  // The same layer built in C++ from x_factor=0.1 writes the same config.
  keras::clear_session();
  layers::RandomShear shear({.x_factor = 0.1, .name = "random_shear"});
  (void)shear(keras::Input({16, 16, 3}));
  keras_test::expect_config_matches_fixture(shear, "augmentation_keras_cannot_reload", "random_shear");
}

TEST(AugmentationFixtures, SublayerGroupsKeepTheNamesTheFileRecords) {
  // AugMix's augmentations were named by Keras' counters ("random_brightness_1");
  // loading keeps those names so that a re-save writes the same HDF5 attributes.
  auto model = keras::load_model(keras_test::fixture_dir("augmentation_layers") / "model.keras");
  auto aug_mix = model.get_layer("aug_mix");
  bool found = false;
  for (const auto& child : aug_mix->tracked_sublayers())
    if (child.attribute == "random_brightness") {
      EXPECT_EQ(child.layer->name(), "random_brightness_1");
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(AugmentationFixtures, CppBuiltLayersSerializeLikeKeras) {
  keras::clear_session();
  auto x = keras::Input({32, 32, 3});
  std::vector<std::pair<keras::LayerRef, std::string>> built = {
      {layers::RandomFlip({.name = "random_flip"}), "random_flip"},
      {layers::RandomRotation(0.1, {.name = "random_rotation"}), "random_rotation"},
      {layers::RandomZoom(0.1, nullptr, {.name = "random_zoom"}), "random_zoom"},
      {layers::RandomTranslation(0.1, 0.1, {.name = "random_translation"}), "random_translation"},
      {layers::RandomContrast(0.2, {.name = "random_contrast"}), "random_contrast"},
      {layers::RandomBrightness(0.2, {.name = "random_brightness"}), "random_brightness"},
      {layers::RandomPerspective({.name = "random_perspective"}), "random_perspective"},
      {layers::RandomGrayscale({.name = "random_grayscale"}), "random_grayscale"},
      {layers::RandomHue(0.1, {.name = "random_hue"}), "random_hue"},
      {layers::RandomSaturation(0.1, {.name = "random_saturation"}), "random_saturation"},
      {layers::RandomColorJitter({.name = "random_color_jitter"}), "random_color_jitter"},
      {layers::RandomSharpness(0.1, {.name = "random_sharpness"}), "random_sharpness"},
      {layers::RandomPosterization(Json::array({2, 4}), {.name = "random_posterization"}), "random_posterization"},
      {layers::RandomInvert(1.0, {.name = "random_invert"}), "random_invert"},
      {layers::RandomErasing({.name = "random_erasing"}), "random_erasing"},
      {layers::RandomGaussianBlur({.name = "random_gaussian_blur"}), "random_gaussian_blur"},
      {layers::RandomColorDegeneration(0.1, {.name = "random_color_degeneration"}), "random_color_degeneration"},
      {layers::RandomElasticTransform({.name = "random_elastic_transform"}), "random_elastic_transform"},
      {layers::AugMix({.name = "aug_mix"}), "aug_mix"},
      {layers::CutMix({.name = "cut_mix"}), "cut_mix"},
      {layers::MixUp({.name = "mix_up"}), "mix_up"},
      {layers::RandAugment({.name = "rand_augment"}), "rand_augment"},
  };
  for (const auto& [layer, name] : built) {
    (void)layer(x);
    keras_test::expect_config_matches_fixture(layer, "augmentation_layers", name);
  }
  layers::AutoContrast auto_contrast({.name = "auto_contrast_2"});
  layers::ContrastLimitedAdaptiveHistogramEqualization clahe(
      {.tile_grid_size = {4, 4}, .name = "contrast_limited_adaptive_histogram_equalization"});
  layers::Solarization solarization({.threshold_factor = 0.5, .name = "solarization_2"});
  layers::RandomCrop crop(24, 24, {.seed = 160182527, .name = "random_crop"});
  for (const auto& layer :
       {keras::LayerRef(auto_contrast), keras::LayerRef(clahe), keras::LayerRef(solarization), keras::LayerRef(crop)})
    (void)layer(x);
  keras_test::expect_config_matches_fixture(auto_contrast, "image_preprocessing_inference", "auto_contrast_2");
  keras_test::expect_config_matches_fixture(clahe, "image_preprocessing_inference",
                                            "contrast_limited_adaptive_histogram_equalization");
  keras_test::expect_config_matches_fixture(solarization, "image_preprocessing_inference", "solarization_2");
  keras_test::expect_config_matches_fixture(crop, "image_preprocessing_inference", "random_crop");
}

// The Keras model of the fixture, rebuilt in C++ from its layers, computes
// Keras' outputs (AutoContrast, CLAHE, a Pipeline of RandomFlip and AutoContrast).
TEST(AugmentationFixtures, CppBuiltImagePreprocessingMatchesKerasOutputs) {
  auto inputs = keras_test::fixture_inputs("image_preprocessing_inference");
  auto expected = keras_test::fixture_outputs("image_preprocessing_inference");
  keras_test::expect_close(infer(layers::AutoContrast(), inputs[0]), expected[0], 1e-3, 1e-4, "AutoContrast");
  keras_test::expect_close(
      infer(layers::ContrastLimitedAdaptiveHistogramEqualization({.tile_grid_size = {4, 4}}), inputs[0]), expected[1],
      1e-3, 1e-4, "CLAHE");
  keras_test::expect_close(infer(layers::Pipeline({layers::RandomFlip(), layers::AutoContrast()}), inputs[0]),
                           expected[5], 1e-3, 1e-4, "Pipeline");
}

// The keras.io tutorial pattern: augmentation inside a Sequential model,
// saved, loaded back and saved again unchanged.
TEST(AugmentationModels, TutorialSequentialRoundTrips) {
  keras::Sequential model({keras::Input({16, 16, 3}), layers::RandomFlip({.mode = "horizontal"}),
                           layers::RandomRotation(0.1), layers::RandomZoom(0.1), layers::RandAugment({.seed = 4}),
                           layers::Rescaling(1.0 / 255), layers::Conv2D(4, {3, 3}, {.activation = "relu"}),
                           layers::GlobalAveragePooling2D(), layers::Dense(2)});
  Tensor x = ramp(2, 16);
  Tensor expected = model.predict(x).at(0);
  keras_test::TempDir dir;
  keras::save_model(model, dir / "augmented.keras");
  keras::Model loaded = keras::load_model(dir / "augmented.keras");
  keras_test::expect_close(loaded.predict(x).at(0), expected, 1e-6, 1e-6, "reloaded");
  keras::save_model(loaded, dir / "again.keras");
  auto differences = keras::saving::compare_saved_models(dir / "augmented.keras", dir / "again.keras");
  EXPECT_TRUE(differences.empty()) << differences.front();
}

// --------------------------------------------------------------- inference

TEST(AugmentationInference, RandomLayersReturnTheirInput) {
  Tensor x = ramp(2);
  for (const auto& layer : std::vector<keras::LayerRef>{
           layers::RandomFlip(), layers::RandomRotation(0.3), layers::RandomZoom(0.2), layers::RandomContrast(0.5),
           layers::RandomHue(0.5), layers::MixUp(), layers::CutMix(), layers::AugMix(), layers::RandAugment(),
           layers::RandomErasing(), layers::Equalization(), layers::RandomCrop(2, 2)})
    expect_all_near(infer(layer, x), x, 0.0F, layer->class_name());
}

TEST(AugmentationInference, IntegerImagesStayIntegersWhereKerasDoesNotCast) {
  Tensor x = Tensor::from_vector_i64({1, 2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, DType::uint8);
  layers::RandomContrast contrast(0.2);
  contrast->build_for({x.shape()});
  EXPECT_EQ(contrast->forward(x, false).dtype(), DType::uint8);  // Keras returns the input untouched
  layers::RandomFlip flip;
  flip->build_for({x.shape()});
  EXPECT_EQ(flip->forward(x, false).dtype(), DType::float32);  // transform_images casts
}

TEST(AugmentationInference, RandomCropDeclaresItsSizeButKeepsTheImage) {
  auto input = keras::Input({8, 6, 3});
  layers::RandomCrop crop(4, 2);
  auto y = crop(input);
  EXPECT_EQ(y.shape(), (Shape{-1, 4, 2, 3}));
  Tensor x = ramp(1, 8).reshape({1, 8, 8, 3});
  crop->build_for({x.shape()});
  EXPECT_EQ(crop->forward(x, false).shape(), x.shape());
}

TEST(AugmentationInference, AutoContrastStretchesEachChannel) {
  // Channel 0 spans [10, 110]; channel 1 is constant (kept as is, like Keras' NaN rule).
  Tensor x = images(1, 1, 3, 2, [](auto, auto, auto xx, auto c) { return c == 0 ? 10.0F + 50.0F * xx : 7.0F; });
  Tensor y = infer(layers::AutoContrast(), x);
  EXPECT_NEAR(at(y, 0, 0, 0, 0), 0.0F, 1e-4);
  EXPECT_NEAR(at(y, 0, 0, 1, 0), 127.5F, 1e-4);
  EXPECT_NEAR(at(y, 0, 0, 2, 0), 255.0F, 1e-4);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(at(y, 0, 0, i, 1), 7.0F);
  // value_range [0, 1]: the same stretch inside [0, 1].
  Tensor z = infer(layers::AutoContrast({.value_range = Json::array({0, 1})}),
                   images(1, 1, 2, 1, [](auto, auto, auto xx, auto) { return 0.25F + 0.5F * xx; }));
  EXPECT_NEAR(at(z, 0, 0, 0, 0), 0.0F, 1e-6);
  EXPECT_NEAR(at(z, 0, 0, 1, 0), 1.0F, 1e-6);
}

TEST(AugmentationInference, ClaheWithPaddedTiles) {
  // A 5x7 image in a 2x3 grid (tiles 3x3, padded symmetrically to 6x9),
  // clip_limit 2; the expected values were worked through Keras' _clahe step
  // by step (histograms, clipping, CDFs, bilinear blending of the four tiles).
  const std::vector<float> pixels = {0,  53,  106, 159, 212, 9,   62, 37, 91,  145, 199, 253,
                                     51, 105, 74,  129, 184, 239, 38, 93, 137, 111, 167, 223,
                                     23, 68,  124, 180, 148, 205, 6,  52, 109, 166, 212};
  const std::vector<float> expected = {0.0000,   53.6797,  108.8984, 160.4155, 211.6494, 10.3996,  64.3524,
                                       36.6760,  93.3077,  148.7437, 199.7470, 253.1387, 53.2661,  107.8230,
                                       74.8923,  131.9347, 186.7037, 239.1843, 38.8963,  94.6440,  138.7220,
                                       111.9176, 168.8448, 224.4507, 23.1893,  69.5439,  125.6108, 181.1763,
                                       147.9878, 205.8209, 7.0889,   52.5487,  110.6895, 168.6180, 213.4932};
  Tensor x = Tensor::from_vector({1, 5, 7, 1}, pixels);
  Tensor y =
      infer(layers::ContrastLimitedAdaptiveHistogramEqualization({.clip_limit = 2.0, .tile_grid_size = {2, 3}}), x);
  ASSERT_EQ(y.size(), 35);
  for (std::int64_t i = 0; i < 35; ++i) EXPECT_NEAR(y.at(i), expected[static_cast<std::size_t>(i)], 2e-3) << i;
}

// ------------------------------------------------------------- geometric

TEST(AugmentationTraining, RandomFlipFlipsOrKeepsEachImage) {
  Tensor x = ramp(16);
  Tensor y = train(layers::RandomFlip({.mode = "horizontal", .seed = 3}), x);
  int flipped = 0;
  for (std::int64_t b = 0; b < 16; ++b) {
    const bool same = at(y, b, 0, 0, 0) == at(x, b, 0, 0, 0);
    flipped += same ? 0 : 1;
    for (std::int64_t yy = 0; yy < 4; ++yy)
      for (std::int64_t xx = 0; xx < 4; ++xx)
        for (std::int64_t c = 0; c < 3; ++c) ASSERT_EQ(at(y, b, yy, xx, c), at(x, b, yy, same ? xx : 3 - xx, c));
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 16);
}

TEST(AugmentationTraining, SeededLayersRepeatTheirDraws) {
  Tensor x = ramp(4);
  Tensor a = train(layers::RandomRotation(0.3, {.seed = 7}), x);
  Tensor b = train(layers::RandomRotation(0.3, {.seed = 7}), x);
  expect_all_near(a, b, 0.0F, "same seed");
}

TEST(AugmentationTraining, RandomRotationByAQuarterTurn) {
  // factor (0.25, 0.25): exactly 90 degrees; out[y][x] = in[x][w - 1 - y] around the centre.
  Tensor x = ramp();
  Tensor y = train(layers::RandomRotation(Json::array({0.25, 0.25})), x);
  for (std::int64_t yy = 0; yy < 4; ++yy)
    for (std::int64_t xx = 0; xx < 4; ++xx)
      for (std::int64_t c = 0; c < 3; ++c) EXPECT_NEAR(at(y, 0, yy, xx, c), at(x, 0, xx, 3 - yy, c), 1e-3);
}

TEST(AugmentationTraining, RandomTranslationShiftsAndReflects) {
  // height_factor (0.25, 0.25) of 4 rows: down by one; the new top row reflects row 0.
  Tensor x = ramp();
  Tensor y = train(layers::RandomTranslation(Json::array({0.25, 0.25}), 0.0), x);
  for (std::int64_t yy = 0; yy < 4; ++yy)
    for (std::int64_t xx = 0; xx < 4; ++xx)
      EXPECT_NEAR(at(y, 0, yy, xx, 1), at(x, 0, std::max<std::int64_t>(yy - 1, 0), xx, 1), 1e-4);
  // fill_mode constant fills with fill_value instead.
  Tensor z = train(
      layers::RandomTranslation(0.0, Json::array({-0.25, -0.25}), {.fill_mode = "constant", .fill_value = -1.0}), x);
  for (std::int64_t yy = 0; yy < 4; ++yy) {
    for (std::int64_t xx = 0; xx < 3; ++xx) EXPECT_NEAR(at(z, 0, yy, xx, 0), at(x, 0, yy, xx + 1, 0), 1e-4);
    EXPECT_NEAR(at(z, 0, yy, 3, 0), -1.0F, 1e-4);
  }
}

TEST(AugmentationTraining, RandomZoomInterpolatesBilinearly) {
  // height_factor (-0.5, -0.5): zoom 0.5 on both axes (width follows height):
  // output (x, y) reads input (0.5 x + 0.75, 0.5 y + 0.75) of a 4x4 image.
  Tensor x = images(1, 4, 4, 1, [](auto, auto yy, auto xx, auto) { return static_cast<float>(10 * yy + xx); });
  Tensor y = train(layers::RandomZoom(Json::array({-0.5, -0.5})), x);
  for (std::int64_t yy = 0; yy < 4; ++yy)
    for (std::int64_t xx = 0; xx < 4; ++xx)  // the field is linear, so bilinear sampling is exact
      EXPECT_NEAR(at(y, 0, yy, xx, 0), 10.0F * (0.5F * yy + 0.75F) + (0.5F * xx + 0.75F), 1e-4);
}

TEST(AugmentationTraining, RandomShearIsOneOfTheTwoSigns) {
  // x_factor (0.5, 0.5): output (x, y) reads input (x +- 0.5 y, y), constant fill 0.
  Tensor x = images(1, 3, 3, 1, [](auto, auto yy, auto xx, auto) { return static_cast<float>(1 + 3 * yy + xx); });
  Tensor y = train(layers::RandomShear({.x_factor = Json::array({0.5, 0.5}), .fill_mode = "constant"}), x);
  auto expected = [&](double sign, std::int64_t yy, std::int64_t xx) {
    const double col = xx + sign * 0.5 * yy;
    const auto c0 = static_cast<std::int64_t>(std::floor(col));
    const double w = col - c0;
    auto v = [&](std::int64_t c) { return c >= 0 && c < 3 ? at(x, 0, yy, c, 0) : 0.0F; };
    return (1 - w) * v(c0) + w * v(c0 + 1);
  };
  const double sign = std::abs(at(y, 0, 2, 0, 0) - expected(1.0, 2, 0)) < 1e-4 ? 1.0 : -1.0;
  for (std::int64_t yy = 0; yy < 3; ++yy)
    for (std::int64_t xx = 0; xx < 3; ++xx) EXPECT_NEAR(at(y, 0, yy, xx, 0), expected(sign, yy, xx), 1e-4);
}

TEST(AugmentationTraining, ZeroScaleGeometryIsTheIdentity) {
  Tensor x = ramp(2);
  expect_all_near(train(layers::RandomPerspective({.scale = 0.0}), x), x, 1e-3F, "RandomPerspective scale 0");
  expect_all_near(train(layers::RandomElasticTransform({.scale = 0.0}), x), x, 0.0F, "RandomElasticTransform");
}

TEST(AugmentationTraining, RandomPerspectiveKeepsCornersWithinTheImage) {
  Tensor x = images(2, 8, 8, 1, [](auto, auto, auto, auto) { return 1.0F; });
  Tensor y = train(layers::RandomPerspective({.factor = Json::array({1.0, 1.0}), .scale = 0.5}), x);
  // A constant image warped with constant fill 0: values stay in [0, 1]. (Whether pixels move
  // out depends on the unseeded draw: corners may also move outwards, so that is not asserted.)
  for (std::int64_t i = 0; i < y.size(); ++i) {
    ASSERT_GE(y.at(i), -1e-5);
    ASSERT_LE(y.at(i), 1.0 + 1e-5);
  }
}

TEST(AugmentationTraining, RandomElasticTransformDisplacesPixels) {
  Tensor x = ramp(1, 16);
  Tensor y = train(
      layers::RandomElasticTransform({.factor = Json::array({1.0, 1.0}), .scale = Json::array({1.0, 1.0}), .seed = 11}),
      x);
  EXPECT_GT(keras::max_abs_diff(x, y), 0.1);
  for (std::int64_t i = 0; i < y.size(); ++i) ASSERT_TRUE(y.at(i) >= 0.0 && y.at(i) <= 255.0);
}

TEST(ImageKernels, FillModesMapOutsidePoints) {
  // Row [1 2 3] sampled at columns -2..4 (nearest).
  Tensor row = Tensor::from_vector({1, 1, 3, 1}, {1, 2, 3});
  auto sample = [&](keras::kernels::FillMode mode) {
    keras::kernels::ImageSampler s{row.data<float>(), 1, 3, 1, false, mode, 9.0F};
    std::vector<float> out;
    for (int c = -3; c <= 5; ++c) out.push_back(s.sample(row.data<float>(), 0.0, c, 0));
    return out;
  };
  using keras::kernels::FillMode;
  EXPECT_EQ(sample(FillMode::reflect), (std::vector<float>{3, 2, 1, 1, 2, 3, 3, 2, 1}));
  EXPECT_EQ(sample(FillMode::mirror), (std::vector<float>{2, 3, 2, 1, 2, 3, 2, 1, 2}));
  EXPECT_EQ(sample(FillMode::wrap), (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(sample(FillMode::nearest), (std::vector<float>{1, 1, 1, 1, 2, 3, 3, 3, 3}));
  EXPECT_EQ(sample(FillMode::constant), (std::vector<float>{9, 9, 9, 1, 2, 3, 9, 9, 9}));
}

TEST(ImageKernels, HsvRoundTripsAndKnownColors) {
  Tensor rgb = Tensor::from_vector({1, 1, 3, 3}, {1, 0, 0, 0, 0.5F, 0.25F, 0.2F, 0.4F, 0.6F});
  Tensor hsv = keras::kernels::rgb_to_hsv(rgb);
  EXPECT_NEAR(hsv.at(0), 0.0, 1e-6);  // red: hue 0, saturation 1, value 1
  EXPECT_NEAR(hsv.at(1), 1.0, 1e-6);
  EXPECT_NEAR(hsv.at(2), 1.0, 1e-6);
  EXPECT_NEAR(hsv.at(3), 150.0 / 360.0, 1e-6);  // (0, .5, .25): hue 150 degrees
  expect_all_near(keras::kernels::hsv_to_rgb(hsv), rgb, 1e-6F, "hsv round trip");
  Tensor gray = keras::kernels::rgb_to_grayscale(rgb);
  EXPECT_NEAR(gray.at(1), 0.5870 * 0.5 + 0.1140 * 0.25, 1e-6);
}

TEST(ImageKernels, GaussianBlurOfAnImpulse) {
  Tensor x(Shape{1, 3, 3, 1});
  x.data<float>()[4] = 1.0F;
  Tensor y = keras::kernels::gaussian_blur(x, 3, 3, 1.0, 1.0);
  const double e = std::exp(-0.5), k0 = 1.0 / (1.0 + 2.0 * e), k1 = e / (1.0 + 2.0 * e);
  EXPECT_NEAR(y.at(4), k0 * k0, 1e-6);
  EXPECT_NEAR(y.at(0), k1 * k1, 1e-6);
  EXPECT_NEAR(y.at(1), k0 * k1, 1e-6);
}

// ------------------------------------------------------------------ color

TEST(AugmentationTraining, RandomContrastWithAFixedFactor) {
  // factor (-0.5, 0.5) draws contrast uniformly in [1.5, 1.5].
  Tensor x = images(1, 1, 2, 1, [](auto, auto, auto xx, auto) { return xx == 0 ? 100.0F : 200.0F; });
  Tensor y = train(layers::RandomContrast(Json::array({-0.5, 0.5})), x);
  EXPECT_NEAR(at(y, 0, 0, 0, 0), 75.0F, 1e-4);   // (100 - 150) * 1.5 + 150
  EXPECT_NEAR(at(y, 0, 0, 1, 0), 225.0F, 1e-4);  // (200 - 150) * 1.5 + 150
  Tensor z = train(layers::RandomContrast(Json::array({-0.5, 0.5})),
                   images(1, 1, 2, 1, [](auto, auto, auto xx, auto) { return xx == 0 ? 0.0F : 250.0F; }));
  EXPECT_NEAR(at(z, 0, 0, 1, 0), 255.0F, 1e-4);  // clipped to the value range
}

TEST(AugmentationTraining, PixelAdjustmentsWithFixedDraws) {
  Tensor x = images(1, 1, 2, 3, [](auto, auto, auto xx, auto c) { return 40.0F * static_cast<float>(c + 1) + xx; });
  // RandomBrightness (0.1, 0.1): + 0.1 * 255.
  Tensor bright = train(layers::RandomBrightness(Json::array({0.1, 0.1})), x);
  EXPECT_NEAR(at(bright, 0, 0, 1, 2), 121.0F + 25.5F, 1e-4);
  // RandomInvert with probability 1: 255 - x.
  Tensor inverted = train(layers::RandomInvert(Json::array({1.0, 1.0})), x);
  EXPECT_NEAR(at(inverted, 0, 0, 0, 1), 255.0F - 80.0F, 1e-4);
  // RandomPosterization keeping 2 bits: (v >> 6) << 6.
  Tensor poster = train(layers::RandomPosterization(Json::array({2, 2})), x);
  EXPECT_EQ(at(poster, 0, 0, 0, 0), 0.0F);   // 40
  EXPECT_EQ(at(poster, 0, 0, 1, 1), 64.0F);  // 81
  EXPECT_EQ(at(poster, 0, 0, 0, 2), 64.0F);  // 120
  // RandomColorDegeneration (0.5, 0.5): halfway to grayscale.
  Tensor degenerate = train(layers::RandomColorDegeneration(Json::array({0.5, 0.5})), x);
  const float gray = 40.0F * 0.2989F + 80.0F * 0.5870F + 120.0F * 0.1140F;
  EXPECT_NEAR(at(degenerate, 0, 0, 0, 0), 40.0F + 0.5F * (gray - 40.0F), 1e-3);
  // Solarization with zero addition and threshold: every value is inverted.
  Tensor solarized = train(layers::Solarization({.addition_factor = 0.0, .threshold_factor = Json::array({0, 0})}), x);
  EXPECT_NEAR(at(solarized, 0, 0, 1, 0), 255.0F - 41.0F, 1e-4);
  // RandomGrayscale with probability 1: every channel the gray value.
  Tensor grayscale = train(layers::RandomGrayscale({.factor = 1.0}), x);
  EXPECT_NEAR(at(grayscale, 0, 0, 0, 2), gray, 1e-3);
  // RandomSaturation (0, 0): no saturation left, every channel the maximum.
  Tensor desaturated = train(layers::RandomSaturation(Json::array({0, 0})), x);
  EXPECT_NEAR(at(desaturated, 0, 0, 0, 0), 120.0F, 1e-3);
}

TEST(AugmentationTraining, RandomHueShiftsByAQuarterEitherWay) {
  // factor (0.5, 0.5): hue +- 0.25. Pure red becomes (127.5, 255, 0) or (127.5, 0, 255).
  Tensor red = images(1, 1, 1, 3, [](auto, auto, auto, auto c) { return c == 0 ? 255.0F : 0.0F; });
  Tensor y = train(layers::RandomHue(Json::array({0.5, 0.5})), red);
  EXPECT_NEAR(y.at(0), 127.5, 1e-3);
  const bool up = y.at(1) > 100.0;
  EXPECT_NEAR(y.at(1), up ? 255.0 : 0.0, 1e-3);
  EXPECT_NEAR(y.at(2), up ? 0.0 : 255.0, 1e-3);
}

TEST(AugmentationTraining, RandomSharpnessZeroGivesTheSmoothedImage) {
  // factor (0, 0): x + (1 - 0) * (smooth(x) - x) = smooth(x), the 3x3 kernel 1/13 around, 5/13 in the centre.
  Tensor x = images(1, 3, 3, 1, [](auto, auto yy, auto xx, auto) { return yy == 1 && xx == 1 ? 130.0F : 0.0F; });
  Tensor y = train(layers::RandomSharpness(Json::array({0, 0}), {.value_range = Json::array({0, 255})}), x);
  EXPECT_NEAR(at(y, 0, 1, 1, 0), 50.0F, 1e-4);
  EXPECT_NEAR(at(y, 0, 0, 0, 0), 10.0F, 1e-4);
}

TEST(AugmentationTraining, RandomColorJitterAppliesItsAdjustments) {
  Tensor x = images(2, 2, 2, 3, [](auto b, auto, auto xx, auto c) { return 50.0F + 20.0F * b + 10.0F * xx + c; });
  // Brightness (0.2, 0.2) only: + 51 everywhere.
  Tensor y = train(layers::RandomColorJitter({.brightness_factor = Json::array({0.2, 0.2})}), x);
  for (std::int64_t i = 0; i < x.size(); ++i) ASSERT_NEAR(y.at(i), x.at(i) + 51.0, 1e-3);
  // Its sub-layers are walked by attribute name.
  layers::RandomColorJitter jitter({.brightness_factor = 0.1, .hue_factor = 0.1});
  ASSERT_EQ(jitter->tracked_sublayers().size(), 2U);
  EXPECT_EQ(jitter->tracked_sublayers()[1].attribute, "random_hue");
}

// ---------------------------------------------------------------- regions

TEST(AugmentationTraining, RandomErasingFullScaleErasesEverything) {
  // scale (1, 1) erases the whole image; fill_value 7.
  Tensor x = ramp(2);
  Tensor y = train(
      layers::RandomErasing({.factor = Json::array({1.0, 1.0}), .scale = Json::array({1.0, 1.0}), .fill_value = 7}), x);
  for (std::int64_t i = 0; i < y.size(); ++i) ASSERT_EQ(y.at(i), 7.0);
}

TEST(AugmentationTraining, CutMixAndMixUpCombineImagesOfTheBatch) {
  // Two constant images 10 and 20: CutMix pixels are 10 or 20; MixUp values lie between.
  Tensor x = images(2, 8, 8, 1, [](auto b, auto, auto, auto) { return b == 0 ? 10.0F : 20.0F; });
  Tensor cut = train(layers::CutMix({.seed = 5}), x);
  for (std::int64_t i = 0; i < cut.size(); ++i) ASSERT_TRUE(cut.at(i) == 10.0 || cut.at(i) == 20.0);
  Tensor mixed = train(layers::MixUp({.alpha = 1.0, .seed = 5}), x);
  for (std::int64_t b = 0; b < 2; ++b) {
    const double v = at(mixed, b, 0, 0, 0);
    EXPECT_GE(v, 10.0 - 1e-4);
    EXPECT_LE(v, 20.0 + 1e-4);
    for (std::int64_t i = 0; i < 64; ++i) ASSERT_NEAR(mixed.at(b * 64 + i), v, 1e-4);  // one weight per image
  }
}

TEST(AugmentationTraining, RandomGaussianBlurWithProbabilityOne) {
  Tensor x(Shape{1, 3, 3, 1});
  x.data<float>()[4] = 255.0F;
  Tensor y =
      train(layers::RandomGaussianBlur({.factor = Json::array({1.0, 1.0}), .sigma = Json::array({1.0, 1.0})}), x);
  const double e = std::exp(-0.5 / ((1.0 + 1e-6) * (1.0 + 1e-6))), k0 = 1.0 / (1.0 + 2.0 * e);
  EXPECT_NEAR(y.at(4), 255.0 * k0 * k0, 1e-3);
}

TEST(AugmentationTraining, RandomCropTakesAWindowOfTheInput) {
  Tensor x = ramp(1, 8).reshape({1, 8, 8, 3});
  Tensor y = train(layers::RandomCrop(3, 5, {.seed = 1}), x);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 5, 3}));
  // Find the window's offset from its first pixel and check every pixel.
  const float first = at(y, 0, 0, 0, 0);
  const auto dy = static_cast<std::int64_t>(first) / 16, dx = (static_cast<std::int64_t>(first) % 16) / 4;
  for (std::int64_t yy = 0; yy < 3; ++yy)
    for (std::int64_t xx = 0; xx < 5; ++xx) EXPECT_EQ(at(y, 0, yy, xx, 2), at(x, 0, yy + dy, xx + dx, 2));
}

TEST(AugmentationTraining, EqualizationSpreadsTheHistogram) {
  // Values 0, 10, 20, 30 once each: equalized to 0, 85, 170, 255.
  Tensor x = images(1, 1, 4, 1, [](auto, auto, auto xx, auto) { return 10.0F * xx; });
  Tensor y = train(layers::Equalization(), x);
  EXPECT_NEAR(y.at(0), 0.0, 1e-4);
  EXPECT_NEAR(y.at(1), 85.0, 1e-4);
  EXPECT_NEAR(y.at(2), 170.0, 1e-4);
  EXPECT_NEAR(y.at(3), 255.0, 1e-4);
}

TEST(AugmentationTraining, CompositeLayersStayInTheValueRange) {
  Tensor x = ramp(3, 8);
  for (const auto& layer :
       std::vector<keras::LayerRef>{layers::AugMix({.seed = 2}), layers::RandAugment({.seed = 2})}) {
    Tensor y = train(layer, x);
    ASSERT_EQ(y.shape(), x.shape());
    for (std::int64_t i = 0; i < y.size(); ++i)
      ASSERT_TRUE(y.at(i) >= -1e-3 && y.at(i) <= 255.001) << layer->class_name();
  }
  expect_all_near(train(layers::RandAugment({.num_ops = 0}), x), x, 0.0F, "RandAugment without ops");
  // Their augmentation layers are tracked by attribute, as Keras walks them.
  layers::AugMix aug_mix({.all_ops = false});
  EXPECT_EQ(aug_mix->tracked_sublayers().size(), 7U);
  layers::RandAugment rand_augment;
  EXPECT_EQ(rand_augment->tracked_sublayers().size(), 11U);
}

TEST(AugmentationTraining, ChannelsFirstMatchesChannelsLast) {
  Tensor x = ramp(1);
  Tensor xf = keras::kernels::to_channels_first(x);
  Tensor a = train(layers::RandomRotation(Json::array({0.25, 0.25})), x);
  Tensor b = train(layers::RandomRotation(Json::array({0.25, 0.25}), {.data_format = "channels_first"}), xf);
  expect_all_near(keras::kernels::to_channels_last(b), a, 1e-4F, "channels_first rotation");
}

// ------------------------------------------------------------------- errors

TEST(AugmentationErrors, BadArgumentsAreRefusedWithKerasMessages) {
  EXPECT_THROW(layers::RandomRotation(1.5), keras::ValueError);
  EXPECT_THROW(layers::RandomContrast(Json::array({1.5, 2.0})), keras::ValueError);
  EXPECT_THROW(layers::RandomRotation(0.1, {.fill_mode = "bogus"}), keras::NotImplementedError);
  EXPECT_THROW(layers::RandomZoom(-1.0), keras::ValueError);  // (-1, 1]
  EXPECT_THROW(layers::RandomShear({.x_factor = -0.1}), keras::ValueError);
  EXPECT_THROW(layers::RandomGaussianBlur({.kernel_size = 4}), keras::ValueError);
  EXPECT_THROW(layers::RandomFlip({.mode = "diagonal"}), keras::ValueError);
  try {
    (void)layers::RandomTranslation(2.0, 0.1);
    FAIL();
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("in the range [-1.0, 1.0]"), std::string::npos) << e.what();
  }
  layers::RandomFlip flip;
  EXPECT_THROW((void)flip(keras::Input({4})), keras::ShapeMismatchError);  // rank 2: not an image
}

}  // namespace
