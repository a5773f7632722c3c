// STFTSpectrogram and MelSpectrogram: the Keras fixture, layers built in C++
// (their STFT kernels from keras.initializers.STFT), and hand-checked spectra.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "keras/keras.hpp"
#include "layers/preprocessing/audio/audio_layers.hpp"
#include "ops/spectral.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;

TEST(AudioFixtures, SpectrogramsMatchKeras) { keras_test::expect_fixture_matches("audio_spectrograms"); }

TEST(AudioFixtures, CppBuiltLayersSerializeAndComputeLikeKeras) {
  keras::clear_session();
  auto audio = keras::Input({1024});
  auto signal = layers::Reshape({1024, 1})(audio);
  layers::MelSpectrogram mel({.fft_length = 256,
                              .sequence_stride = 64,
                              .sequence_length = 256,
                              .sampling_rate = 8000,
                              .num_mel_bins = 32,
                              .max_freq = 4000,
                              .name = "mel_spectrogram"});
  layers::STFTSpectrogram log_stft(
      {.frame_length = 64, .frame_step = 32, .fft_length = 64, .name = "stft_spectrogram"});
  layers::STFTSpectrogram magnitude(
      {.mode = "magnitude", .frame_length = 64, .frame_step = 16, .window = "hamming", .name = "stft_spectrogram_1"});
  layers::STFTSpectrogram real(
      {.mode = "real", .frame_length = 32, .frame_step = 32, .window = nullptr, .name = "stft_spectrogram_2"});
  keras::Model model(std::vector<keras::KerasTensor>{audio},
                     std::vector<keras::KerasTensor>{mel(audio), log_stft(signal), magnitude(signal), real(signal)});
  keras_test::expect_config_matches_fixture(mel, "audio_spectrograms", "mel_spectrogram");
  keras_test::expect_config_matches_fixture(log_stft, "audio_spectrograms", "stft_spectrogram");
  keras_test::expect_config_matches_fixture(magnitude, "audio_spectrograms", "stft_spectrogram_1");
  keras_test::expect_config_matches_fixture(real, "audio_spectrograms", "stft_spectrogram_2");
  // The fixture's STFT kernels hold random values (as every fixture weight
  // does); with them the C++-built model computes Keras' outputs.
  auto keras_model = keras::load_model(keras_test::fixture_dir("audio_spectrograms") / "model.keras");
  model.set_weights(keras_model.get_weights());
  auto inputs = keras_test::fixture_inputs("audio_spectrograms");
  auto expected = keras_test::fixture_outputs("audio_spectrograms");
  auto outputs = model.predict(inputs[0]);
  for (std::size_t i = 0; i < expected.size(); ++i)
    keras_test::expect_close(outputs[i], expected[i], 1e-3, 1e-3, "output " + std::to_string(i));
}

TEST(AudioKernels, StftInitializerHoldsWindowedDftKernels) {
  // kernel[t, 0, f] = cos(-2 pi t f / fft) * w[t] / sqrt(sum w^2) for the real side.
  const std::int64_t frame = 8, bins = 5;
  Tensor real = keras::initializers::STFT("real", "hann", "density", false)({frame, 1, bins});
  Tensor imag = keras::initializers::STFT("imag", "hann", "spectrum", true)({frame, 1, bins});
  auto w = keras::kernels::window_function("hann", frame, false);
  auto wp = keras::kernels::window_function("hann", frame, true);
  double squares = 0, sum = 0;
  for (std::int64_t t = 0; t < frame; ++t) {
    squares += w[t] * w[t];
    sum += wp[t];
  }
  for (std::int64_t t = 0; t < frame; ++t)
    for (std::int64_t f = 0; f < bins; ++f) {
      const double arg = -2.0 * std::numbers::pi * static_cast<double>(t * f) / 8.0;
      EXPECT_NEAR(real.at(t * bins + f), std::cos(arg) * w[t] / std::sqrt(squares), 1e-6);
      EXPECT_NEAR(imag.at(t * bins + f), std::sin(arg) * wp[t] / sum, 1e-6);
    }
  Tensor plain = keras::initializers::STFT("real", nullptr, "density", false)({4, 1, 3});
  EXPECT_NEAR(plain.at(3 * 3 + 1), std::cos(-2.0 * std::numbers::pi * 3.0 / 4.0), 1e-6);
}

TEST(AudioKernels, WindowsAreScipysWindows) {
  auto hann = keras::kernels::window_function("hann", 4, false);  // symmetric: 0, .75, .75, 0
  EXPECT_NEAR(hann[0], 0.0, 1e-12);
  EXPECT_NEAR(hann[1], 0.75, 1e-12);
  auto periodic = keras::kernels::window_function("hann", 4, true);  // 0, .5, 1, .5
  EXPECT_NEAR(periodic[1], 0.5, 1e-12);
  EXPECT_NEAR(periodic[2], 1.0, 1e-12);
  auto hamming = keras::kernels::window_function("hamming", 3, false);
  EXPECT_NEAR(hamming[0], 0.08, 1e-12);
  EXPECT_NEAR(hamming[1], 1.0, 1e-12);
  EXPECT_THROW((void)keras::kernels::window_function("kaiser", 4, false), keras::NotImplementedError);
}

TEST(AudioKernels, RealFftOfACosine) {
  // cos(2 pi 3 t / 16): bins 3 holds 8 (n / 2), every other bin 0; also for a non power of two length.
  for (std::size_t n : {16U, 12U}) {
    std::vector<double> samples(n);
    for (std::size_t t = 0; t < n; ++t)
      samples[t] = std::cos(2.0 * std::numbers::pi * 3.0 * t / static_cast<double>(n));
    std::vector<double> re, im;
    keras::kernels::real_fft(samples, re, im);
    ASSERT_EQ(re.size(), n / 2 + 1);
    for (std::size_t k = 0; k < re.size(); ++k) {
      EXPECT_NEAR(re[k], k == 3 ? n / 2.0 : 0.0, 1e-9) << n << " bin " << k;
      EXPECT_NEAR(im[k], 0.0, 1e-9);
    }
  }
}

TEST(AudioLayers, StftRealModeOfAConstantSignal) {
  // No window, frame 8, fft 8: the DC bin sums the frame, the others are 0.
  layers::STFTSpectrogram stft({.mode = "real", .frame_length = 8, .frame_step = 8, .window = nullptr});
  auto input = keras::Input({16, 1});
  keras::Model model(input, stft(input));
  Tensor y = model.predict(Tensor::full({1, 16, 1}, 2.0F)).at(0);
  ASSERT_EQ(y.shape(), (Shape{1, 2, 5}));
  EXPECT_NEAR(y.at(0), 16.0, 1e-4);
  for (int k = 1; k < 5; ++k) EXPECT_NEAR(y.at(k), 0.0, 1e-4);
}

TEST(AudioLayers, StftModesShareOneTransform) {
  Tensor x({2, 64, 2});
  for (std::int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = std::sin(0.3F * static_cast<float>(i));
  auto run = [&](const std::string& mode, bool expand = false) {
    layers::STFTSpectrogram stft({.mode = mode, .frame_length = 16, .expand_dims = expand});
    auto input = keras::Input({64, 2});
    keras::Model model(input, stft(input));
    return model.predict(x).at(0);
  };
  Tensor real = run("real"), imag = run("imag"), magnitude = run("magnitude"), log = run("log"), psd = run("psd");
  ASSERT_EQ(real.shape(), (Shape{2, 7, 2 * 9}));  // 2 channels x 9 bins, 7 frames of 16 every 8
  for (std::int64_t i = 0; i < real.size(); ++i) {
    const double m = std::sqrt(std::max(real.at(i) * real.at(i) + imag.at(i) * imag.at(i), 1e-7));
    ASSERT_NEAR(magnitude.at(i), m, 1e-4);
    ASSERT_NEAR(log.at(i), std::log(std::max(m, 1e-7)), 1e-3);
  }
  // psd doubles every bin but DC and Nyquist.
  EXPECT_NEAR(psd.at(1), 2.0 * (real.at(1) * real.at(1) + imag.at(1) * imag.at(1)), 1e-3);
  EXPECT_EQ(run("stft").shape(), (Shape{2, 7, 2 * 18}));
  EXPECT_EQ(run("real", true).shape(), (Shape{2, 7, 9, 2}));
}

TEST(AudioLayers, MelFilterBankIsTriangular) {
  Tensor m = keras::detail::linear_to_mel_weight_matrix(4, 33, 8000.0, 0.0, 4000.0);
  ASSERT_EQ(m.shape(), (Shape{33, 4}));
  for (int j = 0; j < 4; ++j) EXPECT_EQ(m.at(j), 0.0F);  // the DC row
  for (std::int64_t i = 0; i < m.size(); ++i) {
    ASSERT_GE(m.at(i), 0.0);
    ASSERT_LE(m.at(i), 1.0);
  }
}

TEST(AudioLayers, MelSpectrogramPeaksAtTheToneFrequency) {
  // A 1 kHz tone at 8 kHz: the strongest mel bin is the one whose band holds 1 kHz.
  const std::int64_t samples = 2048;
  Tensor x({1, samples});
  for (std::int64_t t = 0; t < samples; ++t)
    x.data<float>()[t] = static_cast<float>(std::sin(2.0 * std::numbers::pi * 1000.0 * t / 8000.0));
  layers::MelSpectrogram mel({.fft_length = 512, .sequence_stride = 256, .sampling_rate = 8000, .num_mel_bins = 16});
  auto input = keras::Input({samples});
  keras::Model model(input, mel(input));
  Tensor y = model.predict(x).at(0);
  ASSERT_EQ(y.shape(), (Shape{1, 16, (samples + 256 + 1) / 256}));
  Tensor filters = keras::detail::linear_to_mel_weight_matrix(16, 257, 8000.0, 20.0, 4000.0);
  std::int64_t best = 0, expected = 0;
  for (std::int64_t m = 0; m < 16; ++m) {
    if (y.at(m * y.dim(2) + 4) > y.at(best * y.dim(2) + 4)) best = m;
    if (filters.at(64 * 16 + m) > filters.at(64 * 16 + expected)) expected = m;  // bin 64 = 1 kHz
  }
  EXPECT_EQ(best, expected);
  // power_to_db floors everything at top_db below the maximum.
  double peak = -1e9, low = 1e9;
  for (std::int64_t i = 0; i < y.size(); ++i) {
    peak = std::max(peak, y.at(i));
    low = std::min(low, y.at(i));
  }
  EXPECT_GE(low, peak - 80.0 - 1e-3);
}

TEST(AudioLayers, BadOptionsAreRefused) {
  EXPECT_THROW(layers::STFTSpectrogram({.mode = "phase"}), keras::ValueError);
  EXPECT_THROW(layers::STFTSpectrogram({.frame_length = 8, .frame_step = 9}), keras::ValueError);
  EXPECT_THROW(layers::STFTSpectrogram({.frame_length = 8, .fft_length = 4}), keras::ValueError);
  EXPECT_THROW(layers::MelSpectrogram({.fft_length = 128, .sequence_length = 256}), keras::ValueError);
  EXPECT_THROW(layers::MelSpectrogram({.window = "blackman"}), keras::ValueError);
  EXPECT_EQ(keras::initializers::get(Json("stft")).serialize().at("class_name"), "STFT");
}

}  // namespace
