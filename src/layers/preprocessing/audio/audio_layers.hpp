// keras.layers.STFTSpectrogram and keras.layers.MelSpectrogram.
#pragma once

#include "keras/layers/preprocessing.hpp"

namespace keras::detail {

class STFTSpectrogramImpl final : public Layer {
 public:
  explicit STFTSpectrogramImpl(const layers::STFTSpectrogramOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "STFTSpectrogram"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  // The convolution with one kernel: [B, C, bins, frames].
  Tensor apply_kernel(const Tensor& signals, const Tensor& kernel) const;
  // [B, C, F, frames] to the layer's output layout.
  Tensor adjust_shape(const Tensor& outputs) const;

  layers::STFTSpectrogramOptions options_;
  std::string data_format_;
  std::int64_t frame_step_, fft_length_;  // the values in use (defaults resolved)
  VariablePtr real_kernel_, imag_kernel_;
};

class MelSpectrogramImpl final : public Layer {
 public:
  explicit MelSpectrogramImpl(const layers::MelSpectrogramOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "MelSpectrogram"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;

 private:
  layers::MelSpectrogramOptions options_;  // sequence_length and max_freq resolved
};

// The HTK mel filter bank [num_spectrogram_bins, num_mel_bins] of Keras'
// MelSpectrogram.linear_to_mel_weight_matrix (DC bin zeroed).
Tensor linear_to_mel_weight_matrix(std::int64_t num_mel_bins, std::int64_t num_spectrogram_bins, double sampling_rate,
                                   double lower_edge_hertz, double upper_edge_hertz);

}  // namespace keras::detail
