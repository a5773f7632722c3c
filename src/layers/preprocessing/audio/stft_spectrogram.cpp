// keras.layers.STFTSpectrogram (keras/src/layers/preprocessing/stft_spectrogram.py).
#include <algorithm>
#include <cmath>

#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/preprocessing/audio/audio_layers.hpp"
#include "ops/conv.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"
#include "ops/spectral.hpp"

namespace keras::detail {

namespace {

constexpr float kEpsilon = 1e-7F;  // backend.epsilon()

std::int64_t next_power_of_two(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

STFTSpectrogramImpl::STFTSpectrogramImpl(const layers::STFTSpectrogramOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "stft_spectrogram"),
      options_(o),
      data_format_(layer_utils::standardize_data_format(o.data_format.value_or(""))) {
  const std::string cls = "STFTSpectrogram";
  if (o.frame_length < 1) throw ValueError(cls + ": `frame_length` must be positive");
  if (o.frame_step && (*o.frame_step > o.frame_length || *o.frame_step < 1))
    throw ValueError(cls +
                     ": `frame_step` should be a positive integer not greater than `frame_length`. Received "
                     "frame_step=" +
                     std::to_string(*o.frame_step) + ", frame_length=" + std::to_string(o.frame_length));
  if (o.fft_length && *o.fft_length < o.frame_length)
    throw ValueError(cls + ": `fft_length` should be not less than `frame_length`. Received fft_length=" +
                     std::to_string(*o.fft_length) + ", frame_length=" + std::to_string(o.frame_length));
  static const std::vector<std::string> modes = {"log", "magnitude", "psd", "real", "imag", "angle", "stft"};
  if (std::find(modes.begin(), modes.end(), o.mode) == modes.end())
    throw ValueError(cls +
                     ": Output mode is invalid, it must be one of log, magnitude, psd, real, imag, angle, stft. "
                     "Received: mode=" +
                     o.mode);
  if (!o.scaling.is_null() && o.scaling != "density" && o.scaling != "spectrum")
    throw ValueError(
        cls + ": Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling=" + o.scaling.dump());
  if (o.padding != "valid" && o.padding != "same")
    throw ValueError(cls + ": Padding is invalid, it should be 'valid', 'same'. Received: padding=" + o.padding);
  if (o.window.is_string()) (void)kernels::window_function(o.window.get<std::string>(), 1, o.periodic);
  frame_step_ = o.frame_step.value_or(o.frame_length / 2);
  fft_length_ = o.fft_length.value_or(next_power_of_two(o.frame_length));
  if (frame_step_ < 1) throw ValueError(cls + ": frame_length / 2 must be at least 1 when frame_step is not given");
}

LayerPtr STFTSpectrogramImpl::from_config(const Json& config) {
  const std::string cls = "STFTSpectrogram";
  layers::STFTSpectrogramOptions o;
  read_base_options(config, o);
  o.mode = string_or(config, "mode", o.mode, cls);
  o.frame_length = int_or(config, "frame_length", o.frame_length);
  if (auto it = config.find("frame_step"); it != config.end() && !it->is_null())
    o.frame_step = required_int(config, "frame_step", cls);
  if (auto it = config.find("fft_length"); it != config.end() && !it->is_null())
    o.fft_length = required_int(config, "fft_length", cls);
  if (auto it = config.find("window"); it != config.end()) o.window = *it;
  o.periodic = bool_or(config, "periodic", false, cls);
  if (auto it = config.find("scaling"); it != config.end()) o.scaling = *it;
  o.padding = string_or(config, "padding", o.padding, cls);
  o.expand_dims = bool_or(config, "expand_dims", false, cls);
  o.data_format = layer_utils::data_format_from(config, cls);
  return std::make_shared<STFTSpectrogramImpl>(o);
}

Json STFTSpectrogramImpl::get_config() const {
  Json config = base_config();
  config["mode"] = options_.mode;
  config["frame_length"] = options_.frame_length;
  config["frame_step"] = options_.frame_step ? Json(*options_.frame_step) : Json(nullptr);
  config["fft_length"] = options_.fft_length ? Json(*options_.fft_length) : Json(nullptr);
  config["window"] = options_.window;
  config["periodic"] = options_.periodic;
  config["scaling"] = options_.scaling;
  config["padding"] = options_.padding;
  config["data_format"] = data_format_;
  config["expand_dims"] = options_.expand_dims;
  return config;
}

void STFTSpectrogramImpl::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty() || input_shapes.front().size() != 3)
    throw ShapeMismatchError("STFTSpectrogram '" + name() + "' expects inputs of rank 3 [batch, time, channels]");
  const Shape shape{options_.frame_length, 1, fft_length_ / 2 + 1};
  if (options_.mode != "imag")
    real_kernel_ = add_weight("real_kernel", shape,
                              initializers::STFT("real", options_.window, options_.scaling, options_.periodic));
  if (options_.mode != "real")
    imag_kernel_ = add_weight("imag_kernel", shape,
                              initializers::STFT("imag", options_.window, options_.scaling, options_.periodic));
}

Shape STFTSpectrogramImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.size() != 3)
    throw ShapeMismatchError("STFTSpectrogram '" + name() + "' expects inputs of rank 3, got " +
                             shape_to_string(input_shape));
  const bool last = data_format_ == "channels_last";
  const std::int64_t channels = last ? input_shape[2] : input_shape[1];
  const std::int64_t time = last ? input_shape[1] : input_shape[2];
  std::int64_t freq = fft_length_ / 2 + 1;
  if (options_.mode == "stft") freq *= 2;
  const std::int64_t frames = time < 0 ? kUnknownDim
                                       : kernels::conv_output_length(time, options_.frame_length, frame_step_,
                                                                     kernels::parse_padding(options_.padding));
  if (options_.expand_dims)
    return last ? Shape{input_shape[0], frames, freq, channels} : Shape{input_shape[0], channels, frames, freq};
  const std::int64_t features = channels < 0 ? kUnknownDim : freq * channels;
  return last ? Shape{input_shape[0], frames, features} : Shape{input_shape[0], features, frames};
}

Tensor STFTSpectrogramImpl::apply_kernel(const Tensor& signals, const Tensor& kernel) const {
  // [B, T, C] or [B, C, T] -> B * C single-channel signals [B * C, T, 1].
  const bool last = data_format_ == "channels_last";
  Tensor x = last ? kernels::transpose(signals, {0, 2, 1}) : signals;
  const std::int64_t batch = x.dim(0), channels = x.dim(1), time = x.dim(2);
  x = x.reshape({batch * channels, time, 1});
  Tensor out = kernels::conv(x, kernel, Tensor(), {frame_step_}, kernels::parse_padding(options_.padding));
  // [B * C, frames, F] -> [B, C, F, frames]
  out = kernels::transpose(out, {0, 2, 1});
  return out.reshape({batch, channels, out.dim(1), out.dim(2)});
}

Tensor STFTSpectrogramImpl::adjust_shape(const Tensor& outputs) const {
  const std::int64_t batch = outputs.dim(0), channels = outputs.dim(1), freq = outputs.dim(2), frames = outputs.dim(3);
  if (data_format_ == "channels_last") {
    if (options_.expand_dims) return kernels::transpose(outputs, {0, 3, 2, 1});
    return kernels::transpose(outputs.reshape({batch, channels * freq, frames}), {0, 2, 1});
  }
  if (options_.expand_dims) return kernels::transpose(outputs, {0, 1, 3, 2});
  return outputs.reshape({batch, channels * freq, frames});
}

Tensor STFTSpectrogramImpl::forward(const Tensor& input, bool /*training*/) {
  if (input.dtype() != DType::float16 && input.dtype() != DType::float32 && input.dtype() != DType::float64)
    throw ValueError("STFTSpectrogram '" + name() +
                     "': Invalid input type. Expected `float16`, `float32` or `float64`. Received: input type=" +
                     dtype_name(input.dtype()));
  if (input.rank() != 3)
    throw ShapeMismatchError("STFTSpectrogram '" + name() + "' expects inputs of rank 3, got " +
                             shape_to_string(input.shape()));
  if ((options_.mode != "imag" && !real_kernel_) || (options_.mode != "real" && !imag_kernel_))
    throw ValueError("STFTSpectrogram '" + name() + "' is not built");
  const Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  Tensor real, imag;
  if (options_.mode != "imag") real = apply_kernel(x, real_kernel_->value());
  if (options_.mode != "real") imag = apply_kernel(x, imag_kernel_->value());
  Tensor out;
  const std::string& mode = options_.mode;
  if (mode == "real") {
    out = real;
  } else if (mode == "imag") {
    out = imag;
  } else if (mode == "angle") {
    out = Tensor(real.shape(), DType::float32);
    for (std::int64_t i = 0; i < out.size(); ++i)
      out.data<float>()[i] = std::atan2(imag.data<float>()[i], real.data<float>()[i]);
  } else if (mode == "stft") {
    out = kernels::concatenate({real, imag}, 2);
  } else {
    Tensor power = kernels::add(kernels::square(real), kernels::square(imag));
    if (mode == "psd") {
      // Every bin but the first and the last counts twice.
      const std::int64_t bins = power.dim(2);
      Tensor inner = bins > 2 ? kernels::slice(power, {0, 0, 1, 0}, {-1, -1, bins - 2, -1})
                              : Tensor({power.dim(0), power.dim(1), 0, power.dim(3)}, DType::float32);
      out = kernels::add(power, kernels::pad(inner, {{0, 0}, {0, 0}, {1, 1}, {0, 0}}));
    } else {
      out = kernels::sqrt(kernels::maximum(power, Tensor::scalar(kEpsilon)));
      if (mode == "log") out = kernels::log(kernels::maximum(out, Tensor::scalar(kEpsilon)));
    }
  }
  return layer_utils::to_dtype(adjust_shape(out), compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
STFTSpectrogram::STFTSpectrogram(const STFTSpectrogramOptions& options)
    : LayerRef(std::make_shared<detail::STFTSpectrogramImpl>(options)) {}
}  // namespace keras::layers
