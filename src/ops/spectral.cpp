#include "ops/spectral.hpp"

#include <cmath>
#include <complex>
#include <numbers>

#include "ops/common.hpp"

namespace keras::kernels {

std::vector<double> window_function(const std::string& name, std::int64_t n, bool periodic) {
  if (n < 1) throw ValueError("window length must be positive, got " + std::to_string(n));
  std::vector<double> w(static_cast<std::size_t>(n), 1.0);
  if (n == 1 && name != "boxcar") return w;
  // scipy builds a periodic window as the symmetric one of length n + 1 without its last point.
  const double m = static_cast<double>(periodic ? n : n - 1);
  const double two_pi = 2.0 * std::numbers::pi;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i);
    double& v = w[static_cast<std::size_t>(i)];
    if (name == "hann") {
      v = 0.5 - 0.5 * std::cos(two_pi * x / m);
    } else if (name == "hamming") {
      v = 0.54 - 0.46 * std::cos(two_pi * x / m);
    } else if (name == "blackman") {
      v = 0.42 - 0.5 * std::cos(two_pi * x / m) + 0.08 * std::cos(2.0 * two_pi * x / m);
    } else if (name == "bartlett") {
      v = 1.0 - std::abs(2.0 * x / m - 1.0);
    } else if (name == "boxcar" || name == "rectangular" || name == "ones") {
      v = 1.0;
    } else {
      throw NotImplementedError("Window function '" + name +
                                "' is not supported by keras-cpp (hann, hamming, blackman, bartlett, boxcar are)");
    }
  }
  return w;
}

namespace {

bool is_power_of_two(std::size_t n) { return n != 0 && (n & (n - 1)) == 0; }

void fft_in_place(std::vector<std::complex<double>>& a) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2.0 * std::numbers::pi / static_cast<double>(len);
    const std::complex<double> step(std::cos(angle), std::sin(angle));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> w(1.0, 0.0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= step;
      }
    }
  }
}

}  // namespace

void real_fft(const std::vector<double>& samples, std::vector<double>& re, std::vector<double>& im) {
  const std::size_t n = samples.size(), bins = n / 2 + 1;
  re.assign(bins, 0.0);
  im.assign(bins, 0.0);
  if (is_power_of_two(n)) {
    std::vector<std::complex<double>> a(samples.begin(), samples.end());
    fft_in_place(a);
    for (std::size_t k = 0; k < bins; ++k) {
      re[k] = a[k].real();
      im[k] = a[k].imag();
    }
    return;
  }
  for (std::size_t k = 0; k < bins; ++k)
    for (std::size_t t = 0; t < n; ++t) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>((k * t) % n) / static_cast<double>(n);
      re[k] += samples[t] * std::cos(angle);
      im[k] += samples[t] * std::sin(angle);
    }
}

std::pair<Tensor, Tensor> stft(const Tensor& x_in, std::int64_t sequence_length, std::int64_t sequence_stride,
                               std::int64_t fft_length, const std::vector<double>& window, bool center) {
  if (fft_length < sequence_length)
    throw ValueError("`fft_length` must equal or larger than `sequence_length`. Received: sequence_length=" +
                     std::to_string(sequence_length) + ", fft_length=" + std::to_string(fft_length));
  if (sequence_stride < 1) throw ValueError("stft: sequence_stride must be positive");
  if (x_in.rank() < 1) throw ShapeMismatchError("stft expects signals of rank >= 1");
  Tensor x = detail::to_float(x_in);
  const std::int64_t samples = x.dim(-1), signals = x.size() / std::max<std::int64_t>(samples, 1);
  const std::int64_t pad = center ? fft_length / 2 : 0;
  const std::int64_t length = samples + 2 * pad;
  if (length < fft_length)
    throw ShapeMismatchError("stft: a signal of " + std::to_string(samples) + " samples is shorter than a frame");
  const std::int64_t frames = (length - fft_length) / sequence_stride + 1;
  const std::int64_t bins = fft_length / 2 + 1;
  // The window centred in a frame of fft_length samples (zeros on both sides).
  const std::int64_t l_pad = (fft_length - sequence_length) / 2;
  std::vector<double> win(static_cast<std::size_t>(fft_length), 0.0);
  if (static_cast<std::int64_t>(window.size()) != sequence_length)
    throw ValueError("stft: the window has " + std::to_string(window.size()) + " values, sequence_length is " +
                     std::to_string(sequence_length));
  const auto& w = window;
  for (std::int64_t i = 0; i < sequence_length; ++i)
    win[static_cast<std::size_t>(l_pad + i)] = w[static_cast<std::size_t>(i)];
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(frames);
  out_shape.push_back(bins);
  Tensor real(out_shape, DType::float32), imag(out_shape, DType::float32);
  // numpy.pad(mode="reflect"): the mirror image without repeating the edge.
  auto sample_at = [&](const float* s, std::int64_t i) {
    if (samples == 1) return static_cast<double>(s[0]);
    const std::int64_t period = 2 * samples - 2;
    std::int64_t m = (i % period + period) % period;
    if (m >= samples) m = period - m;
    return static_cast<double>(s[m]);
  };
  std::vector<double> frame(static_cast<std::size_t>(fft_length)), re, im;
  for (std::int64_t s = 0; s < signals; ++s) {
    const float* signal = x.data<float>() + s * samples;
    for (std::int64_t f = 0; f < frames; ++f) {
      for (std::int64_t i = 0; i < fft_length; ++i)
        frame[static_cast<std::size_t>(i)] =
            win[static_cast<std::size_t>(i)] * sample_at(signal, f * sequence_stride + i - pad);
      real_fft(frame, re, im);
      float* r = real.data<float>() + (s * frames + f) * bins;
      float* q = imag.data<float>() + (s * frames + f) * bins;
      for (std::int64_t k = 0; k < bins; ++k) {
        r[k] = static_cast<float>(re[static_cast<std::size_t>(k)]);
        q[k] = static_cast<float>(im[static_cast<std::size_t>(k)]);
      }
    }
  }
  return {real, imag};
}

}  // namespace keras::kernels
