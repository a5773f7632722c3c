// keras.layers.MelSpectrogram (keras/src/layers/preprocessing/mel_spectrogram.py).
#include <algorithm>
#include <cmath>
#include <limits>

#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/preprocessing/audio/audio_layers.hpp"
#include "layers/spectral_window.hpp"
#include "ops/spectral.hpp"

namespace keras::detail {

namespace {

double hertz_to_mel(double hertz) { return 1127.0 * std::log(1.0 + hertz / 700.0); }

Json number_or(const Json& config, const std::string& key, const Json& fallback) {
  auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_null() && (!it->is_number() || it->is_boolean()))
    throw FormatError("MelSpectrogram config '" + key + "' must be a number, got " + it->dump());
  return *it;
}

double number(const Json& value, const std::string& key) {
  if (!value.is_number()) throw ValueError("MelSpectrogram: `" + key + "` must be a number, got " + value.dump());
  return value.get<double>();
}

}  // namespace

Tensor linear_to_mel_weight_matrix(std::int64_t num_mel_bins, std::int64_t num_spectrogram_bins, double sampling_rate,
                                   double lower_edge_hertz, double upper_edge_hertz) {
  Tensor matrix({num_spectrogram_bins, num_mel_bins}, DType::float32);
  const double nyquist = sampling_rate / 2.0;
  const double lower_mel = hertz_to_mel(lower_edge_hertz), upper_mel = hertz_to_mel(upper_edge_hertz);
  auto band_edge = [&](std::int64_t i) {  // linspace(lower_mel, upper_mel, num_mel_bins + 2)[i]
    return lower_mel + (upper_mel - lower_mel) * static_cast<double>(i) / static_cast<double>(num_mel_bins + 1);
  };
  // Row 0 (the DC bin) stays zero, as in HTK.
  for (std::int64_t k = 1; k < num_spectrogram_bins; ++k) {
    const double hertz = nyquist * static_cast<double>(k) / static_cast<double>(num_spectrogram_bins - 1);
    const double mel = hertz_to_mel(hertz);
    for (std::int64_t m = 0; m < num_mel_bins; ++m) {
      const double lower = band_edge(m), center = band_edge(m + 1), upper = band_edge(m + 2);
      const double lower_slope = (mel - lower) / (center - lower);
      const double upper_slope = (upper - mel) / (upper - center);
      matrix.data<float>()[k * num_mel_bins + m] =
          static_cast<float>(std::max(0.0, std::min(lower_slope, upper_slope)));
    }
  }
  return matrix;
}

MelSpectrogramImpl::MelSpectrogramImpl(const layers::MelSpectrogramOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "mel_spectrogram"), options_(o) {
  if (!options_.sequence_length) options_.sequence_length = options_.fft_length;
  if (options_.fft_length < *options_.sequence_length)
    throw ValueError(
        "MelSpectrogram: `fft_length` must be greater than or equal to  `sequence_length`. Received: "
        "`sequence_length`=" +
        std::to_string(*options_.sequence_length) + ", `fft_length`=" + std::to_string(options_.fft_length) + ".");
  if (options_.sequence_stride < 1 || *options_.sequence_length < 1 || options_.num_mel_bins < 1)
    throw ValueError("MelSpectrogram: sequence_stride, sequence_length and num_mel_bins must be positive");
  if (options_.max_freq.is_null())
    options_.max_freq = static_cast<std::int64_t>(static_cast<double>(options_.sampling_rate) / 2.0);
  if (options_.window.is_string()) {
    const auto w = options_.window.get<std::string>();
    if (w != "hann" && w != "hamming")
      throw ValueError(
          "MelSpectrogram: If a string is passed to `window`, it must be one of `\"hann\"`, "
          "`\"hamming\"`. Received: window=" +
          w);
  }
  const std::pair<const char*, const Json*> numbers[] = {
      {"min_freq", &options_.min_freq}, {"max_freq", &options_.max_freq},   {"top_db", &options_.top_db},
      {"mag_exp", &options_.mag_exp},   {"min_power", &options_.min_power}, {"ref_power", &options_.ref_power}};
  for (const auto& [key, value] : numbers) (void)number(*value, key);
}

LayerPtr MelSpectrogramImpl::from_config(const Json& config) {
  const std::string cls = "MelSpectrogram";
  layers::MelSpectrogramOptions o;
  read_base_options(config, o);
  o.fft_length = int_or(config, "fft_length", o.fft_length);
  o.sequence_stride = int_or(config, "sequence_stride", o.sequence_stride);
  if (auto it = config.find("sequence_length"); it != config.end() && !it->is_null())
    o.sequence_length = required_int(config, "sequence_length", cls);
  if (auto it = config.find("window"); it != config.end()) o.window = *it;
  o.sampling_rate = int_or(config, "sampling_rate", o.sampling_rate);
  o.num_mel_bins = int_or(config, "num_mel_bins", o.num_mel_bins);
  o.min_freq = number_or(config, "min_freq", o.min_freq);
  o.max_freq = number_or(config, "max_freq", o.max_freq);
  o.power_to_db = bool_or(config, "power_to_db", o.power_to_db, cls);
  o.top_db = number_or(config, "top_db", o.top_db);
  o.mag_exp = number_or(config, "mag_exp", o.mag_exp);
  o.min_power = number_or(config, "min_power", o.min_power);
  o.ref_power = number_or(config, "ref_power", o.ref_power);
  return std::make_shared<MelSpectrogramImpl>(o);
}

Json MelSpectrogramImpl::get_config() const {
  Json config = base_config();
  config["fft_length"] = options_.fft_length;
  config["sequence_stride"] = options_.sequence_stride;
  config["sequence_length"] = *options_.sequence_length;
  config["window"] = options_.window;
  config["sampling_rate"] = options_.sampling_rate;
  config["num_mel_bins"] = options_.num_mel_bins;
  config["min_freq"] = options_.min_freq;
  config["max_freq"] = options_.max_freq;
  config["power_to_db"] = options_.power_to_db;
  config["top_db"] = options_.top_db;
  config["mag_exp"] = options_.mag_exp;
  config["min_power"] = options_.min_power;
  config["ref_power"] = options_.ref_power;
  return config;
}

Shape MelSpectrogramImpl::compute_output_shape(const Shape& input_shape) {
  auto frames = [&](std::int64_t samples) {
    return samples < 0 ? kUnknownDim : (samples + options_.sequence_stride + 1) / options_.sequence_stride;
  };
  if (input_shape.size() == 1) return {options_.num_mel_bins, frames(input_shape[0])};
  if (input_shape.size() != 2)
    throw ShapeMismatchError("MelSpectrogram '" + name() + "' expects [batch, samples] audio, got " +
                             shape_to_string(input_shape));
  return {input_shape[0], options_.num_mel_bins, frames(input_shape[1])};
}

Tensor MelSpectrogramImpl::forward(const Tensor& input, bool /*training*/) {
  if (input.rank() != 1 && input.rank() != 2)
    throw ShapeMismatchError("MelSpectrogram '" + name() + "' expects [batch, samples] audio, got " +
                             shape_to_string(input.shape()));
  auto [real, imag] =
      kernels::stft(input, *options_.sequence_length, options_.sequence_stride, options_.fft_length,
                    window_from_json(options_.window, *options_.sequence_length, /*periodic=*/true, "stft"),
                    /*center=*/true);
  const std::int64_t bins = real.dim(-1), frames = real.dim(-2), signals = real.size() / (bins * frames);
  const double mag_exp = number(options_.mag_exp, "mag_exp");
  Tensor mel_filters =
      linear_to_mel_weight_matrix(options_.num_mel_bins, bins, static_cast<double>(options_.sampling_rate),
                                  number(options_.min_freq, "min_freq"), number(options_.max_freq, "max_freq"));
  const std::int64_t mels = options_.num_mel_bins;
  // Output [..., mel, frames] (Keras swaps the last two axes at the end).
  Shape out_shape(real.shape().begin(), real.shape().end() - 2);
  out_shape.push_back(mels);
  out_shape.push_back(frames);
  Tensor out(out_shape, DType::float32);
  std::vector<double> power(static_cast<std::size_t>(bins));
  for (std::int64_t s = 0; s < signals; ++s)
    for (std::int64_t f = 0; f < frames; ++f) {
      const float* r = real.data<float>() + (s * frames + f) * bins;
      const float* q = imag.data<float>() + (s * frames + f) * bins;
      for (std::int64_t k = 0; k < bins; ++k)
        power[static_cast<std::size_t>(k)] =
            std::pow(std::sqrt(static_cast<double>(r[k]) * r[k] + static_cast<double>(q[k]) * q[k]), mag_exp);
      for (std::int64_t m = 0; m < mels; ++m) {
        double total = 0.0;
        for (std::int64_t k = 0; k < bins; ++k)
          total += power[static_cast<std::size_t>(k)] * mel_filters.data<float>()[k * mels + m];
        out.data<float>()[(s * mels + m) * frames + f] = static_cast<float>(total);
      }
    }
  if (options_.power_to_db) {
    const double min_power = number(options_.min_power, "min_power");
    const double reference = 10.0 * std::log10(std::max(std::abs(number(options_.ref_power, "ref_power")), min_power));
    float* p = out.data<float>();
    float peak = -std::numeric_limits<float>::infinity();
    for (std::int64_t i = 0; i < out.size(); ++i) {
      p[i] = static_cast<float>(10.0 * std::log10(std::max(static_cast<double>(p[i]), min_power)) - reference);
      peak = std::max(peak, p[i]);
    }
    // Clipped top_db below the maximum of the whole batch, as Keras does.
    const auto floor = static_cast<float>(peak - number(options_.top_db, "top_db"));
    for (std::int64_t i = 0; i < out.size(); ++i) p[i] = std::max(p[i], floor);
  }
  return layer_utils::to_dtype(out, compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
MelSpectrogram::MelSpectrogram(const MelSpectrogramOptions& options)
    : LayerRef(std::make_shared<detail::MelSpectrogramImpl>(options)) {}
}  // namespace keras::layers
