// Windows, real FFTs and short-time Fourier transforms as keras.ops.stft
// computes them with the numpy backend (scipy.signal.stft, rescaled to plain
// windowed FFTs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

// scipy.signal.get_window(name, n, fftbins=periodic) for "hann", "hamming",
// "blackman", "bartlett" and "boxcar"; throws NotImplementedError otherwise.
std::vector<double> window_function(const std::string& name, std::int64_t n, bool periodic);

// The first n / 2 + 1 bins of the DFT of n real samples (any n; radix-2 when n is a power of two).
void real_fft(const std::vector<double>& samples, std::vector<double>& re, std::vector<double>& im);

// keras.ops.stft of x [..., samples] (float32): frames of sequence_length
// samples every sequence_stride, windowed by `window` (sequence_length values,
// centred in fft_length),
// reflect-padded by fft_length / 2 when `center`. Returns {real, imag}, each
// [..., frames, fft_length / 2 + 1].
std::pair<Tensor, Tensor> stft(const Tensor& x, std::int64_t sequence_length, std::int64_t sequence_stride,
                               std::int64_t fft_length, const std::vector<double>& window, bool center);

}  // namespace keras::kernels
