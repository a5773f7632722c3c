// Implementations of the keras.layers preprocessing layers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/layers/preprocessing.hpp"

namespace keras::detail {

// A config value holding numbers: a number, a (nested) list of numbers, or a
// {"class_name": "__numpy__" | "__tensor__", "config": {"value": ...}} object,
// as a float32 tensor of the nesting's shape. Throws FormatError naming `what`.
Tensor tensor_from_json_numbers(const Json& value, const std::string& what);

// Keras' encode_categorical_inputs (numpy backend) for output modes one_hot,
// multi_hot and count: `ids` of any numeric dtype (truncated to integers);
// negative ids count nothing; ids >= depth throw ValueError naming `layer`.
// multi_hot and count reduce axis 1 (axis 0 for rank-1 inputs).
Tensor encode_categorical(const Tensor& ids, const std::string& output_mode, std::int64_t depth, DType dtype,
                          const std::optional<Tensor>& count_weights, const std::string& layer);
// keras.ops.image.resize as the numpy backend computes it, with
// crop_to_aspect_ratio / pad_to_aspect_ratio and both data formats, for
// images of rank 3 or 4. Float inputs give float32; integer inputs are
// rounded and clipped to their range (returned as float32 values).
Tensor resize_images(const Tensor& images, std::int64_t height, std::int64_t width,
                     const layers::ResizingOptions& options, const std::string& layer);
// The output shape Keras' Discretization declares for an encoding mode.
Shape encoded_shape(const Shape& input_shape, const std::string& output_mode, std::int64_t depth);

class RescalingImpl final : public Layer {
 public:
  RescalingImpl(Json scale, const layers::RescalingOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Rescaling"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }

 private:
  Json scale_json_, offset_json_;  // written back as given
  Tensor scale_, offset_;
};

class NormalizationImpl final : public Layer {
 public:
  explicit NormalizationImpl(const layers::NormalizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Normalization"; }
  Json get_config() const override;
  Tensor forward(const Tensor& input, bool training) override;
  // Masks: passes the input's mask through.
  bool supports_masking() const override { return true; }
  void adapt(const Tensor& data);

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::vector<int> reduce_axes(int rank) const;

  layers::NormalizationOptions options_;
  std::vector<int> keep_axes_;          // sorted, non-negative
  Shape broadcast_shape_;               // kept dims, 1 elsewhere
  Tensor const_mean_, const_variance_;  // from the config, broadcast
  VariablePtr mean_, variance_, count_;
};

class CenterCropImpl final : public Layer {
 public:
  CenterCropImpl(std::int64_t height, std::int64_t width, const layers::CenterCropOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "CenterCrop"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;

  std::optional<std::string> bounding_box_format;  // written back when a config set it

 private:
  std::int64_t height_, width_;
  layers::CenterCropOptions options_;
};

class ResizingImpl final : public Layer {
 public:
  ResizingImpl(std::int64_t height, std::int64_t width, const layers::ResizingOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Resizing"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  // Integer images keep their dtype; the others give the compute dtype.
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Tensor forward(const Tensor& input, bool training) override;

  std::optional<std::string> bounding_box_format;

 private:
  std::int64_t height_, width_;
  layers::ResizingOptions options_;
};

class DiscretizationImpl final : public Layer {
 public:
  explicit DiscretizationImpl(const layers::DiscretizationOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Discretization"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Tensor forward(const Tensor& input, bool training) override;

 private:
  void set_boundaries(const Json& boundaries);

  layers::DiscretizationOptions options_;
  Json boundaries_json_;  // null until known; written back as given
};

class CategoryEncodingImpl final : public Layer {
 public:
  CategoryEncodingImpl(std::int64_t num_tokens, const layers::CategoryEncodingOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "CategoryEncoding"; }
  Json get_config() const override;
  Shape compute_output_shape(const Shape& input_shape) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Tensor forward(const Tensor& input, bool training) override;

 private:
  Tensor encode(const Tensor& input, const std::optional<Tensor>& count_weights);

  std::int64_t num_tokens_;
  layers::CategoryEncodingOptions options_;
};

// keras.layers.Pipeline: its layers run in order; they are walked (and
// saved) as the container "layers".
class PipelineImpl final : public Layer {
 public:
  PipelineImpl(std::vector<LayerPtr> layers, const std::string& name);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Pipeline"; }
  Json get_config() const override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override { return layers_; }
  // Masks: hands `mask` to its first layer that takes one; its output carries none.
  bool call_accepts_mask() const override { return true; }
  bool converts_input_args() const override { return false; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;

 private:
  std::vector<LayerPtr> layers_;
};

}  // namespace keras::detail
