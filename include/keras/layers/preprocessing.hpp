// keras.layers: preprocessing layers that need no TensorFlow (Rescaling,
// Normalization, CenterCrop, Resizing, Discretization, CategoryEncoding,
// Pipeline, STFTSpectrogram, MelSpectrogram; the image augmentation layers
// are in image_augmentation.hpp). IntegerLookup, StringLookup, Hashing,
// HashedCrossing and TextVectorization need TensorFlow and are not
// provided: loading them raises UnknownObjectError saying so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

struct RescalingOptions {
  Json offset = 0.0;  // a number or a list of numbers (broadcast on the last axis)
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Rescaling: x * scale + offset in the compute dtype. `scale` is
// a number (`Rescaling(1.0 / 255)`) or a list of numbers, one per channel.
class Rescaling : public LayerRef {
 public:
  explicit Rescaling(Json scale, const RescalingOptions& options = {});
};

struct NormalizationOptions {
  // Axes that keep their own statistics; empty = Keras' axis=None (one scalar
  // mean and variance).
  std::vector<int> axis = {-1};
  // Both null: the statistics are variables (mean, variance, count) set by
  // adapt() or loaded. Both given (a number or a nested list broadcast to the
  // kept axes): constants, and the layer has no variables.
  Json mean = nullptr;
  Json variance = nullptr;
  bool invert = false;  // mean + x * sqrt(variance) instead
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Normalization: (x - mean) / max(sqrt(variance), 1e-7).
class Normalization : public LayerRef {
 public:
  explicit Normalization(const NormalizationOptions& options = {});
  // Keras' adapt() on an array: mean and variance of `data` over every axis
  // but the kept ones, stored in the layer's variables (builds the layer
  // for data's shape when needed). Throws ValueError when mean/variance were
  // given as constants.
  void adapt(const Tensor& data) const;
};

struct CenterCropOptions {
  std::string data_format = "channels_last";  // or "channels_first"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.CenterCrop: the central height x width window of images of
// rank 3 or 4; smaller images are cropped to the target aspect ratio and
// resized (bilinear), as Keras does.
class CenterCrop : public LayerRef {
 public:
  CenterCrop(std::int64_t height, std::int64_t width, const CenterCropOptions& options = {});
};

struct ResizingOptions {
  std::string interpolation = "bilinear";  // bilinear, nearest, bicubic, lanczos3, lanczos5
  bool crop_to_aspect_ratio = false;
  bool pad_to_aspect_ratio = false;
  std::string fill_mode = "constant";  // the only mode Keras' resize supports
  double fill_value = 0.0;             // padding value with pad_to_aspect_ratio
  bool antialias = false;
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Resizing to height x width, computed as Keras' numpy backend
// does (separable weights with half-pixel centres).
class Resizing : public LayerRef {
 public:
  Resizing(std::int64_t height, std::int64_t width, const ResizingOptions& options = {});
};

struct DiscretizationOptions {
  // Exactly one of them: explicit boundaries, or a bin count for Keras'
  // adapt() (whose quantile sketch keras-cpp does not implement, so such a
  // layer can only be used once loaded with its boundaries).
  std::optional<std::vector<double>> bin_boundaries;
  std::optional<std::int64_t> num_bins;
  double epsilon = 0.01;
  std::string output_mode = "int";  // int, one_hot, multi_hot, count
  bool sparse = false;              // only false is supported
  std::string name;
  // Discretization takes no `trainable` argument and writes a plain string dtype.
  std::optional<std::string> dtype;
};

// keras.layers.Discretization: bucket indices as numpy.digitize(x,
// bin_boundaries) gives them; int32 in "int" mode, else encoded like
// CategoryEncoding with len(bin_boundaries) + 1 tokens.
class Discretization : public LayerRef {
 public:
  explicit Discretization(const DiscretizationOptions& options);
};

struct CategoryEncodingOptions {
  std::string output_mode = "multi_hot";  // one_hot, multi_hot, count ("binary" = multi_hot)
  bool sparse = false;                    // only false is supported
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.CategoryEncoding of integer ids in [0, num_tokens). A call may
// pass a `count_weights` keyword tensor in "count" mode.
class CategoryEncoding : public LayerRef {
 public:
  explicit CategoryEncoding(std::int64_t num_tokens, const CategoryEncodingOptions& options = {});
};

// keras.layers.Pipeline: applies `layers` in order, passing `training` on.
// Its config holds only `layers` and `name`.
class Pipeline : public LayerRef {
 public:
  explicit Pipeline(const std::vector<LayerRef>& layers, const std::string& name = "");
};

struct STFTSpectrogramOptions {
  std::string mode = "log";  // log, magnitude, psd, real, imag, angle, stft
  std::int64_t frame_length = 256;
  std::optional<std::int64_t> frame_step;  // nullopt: frame_length / 2
  std::optional<std::int64_t> fft_length;  // nullopt: the next power of two >= frame_length
  Json window = "hann";                    // "hann", "hamming", null (none) or frame_length numbers
  bool periodic = false;
  Json scaling = "density";  // "density", "spectrum" or null
  std::string padding = "valid";
  bool expand_dims = false;
  std::optional<std::string> data_format;  // nullopt: "channels_last"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.STFTSpectrogram: short-time Fourier transforms of [batch,
// time, channels] signals as a strided convolution with windowed cos/sin
// kernels (its two variables, initialized like keras.initializers.STFT).
class STFTSpectrogram : public LayerRef {
 public:
  explicit STFTSpectrogram(const STFTSpectrogramOptions& options = {});
};

struct MelSpectrogramOptions {
  std::int64_t fft_length = 2048;
  std::int64_t sequence_stride = 512;
  std::optional<std::int64_t> sequence_length;  // nullopt: fft_length
  Json window = "hann";                         // "hann", "hamming" or null
  std::int64_t sampling_rate = 16000;
  std::int64_t num_mel_bins = 128;
  Json min_freq = 20.0;
  Json max_freq = nullptr;  // null: sampling_rate / 2
  bool power_to_db = true;
  Json top_db = 80.0;
  Json mag_exp = 2.0;
  Json min_power = 1e-10;
  Json ref_power = 1.0;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.MelSpectrogram: [batch, samples] audio to [batch,
// num_mel_bins, frames] (in dB with power_to_db), as Keras' numpy backend
// computes it (centred, reflect-padded frames).
class MelSpectrogram : public LayerRef {
 public:
  explicit MelSpectrogram(const MelSpectrogramOptions& options = {});
};

}  // namespace keras::layers
