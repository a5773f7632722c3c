// Helpers shared by the preprocessing layers: numbers in configs and the
// categorical encodings of CategoryEncoding and Discretization.
#include <cmath>

#include "graph/config_json.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"

namespace keras::detail {

namespace {

// Appends the numbers of a nested list to `values`; returns its shape.
Shape collect_numbers(const Json& value, std::vector<float>& values, const std::string& what, int depth) {
  if (depth > 32) throw FormatError(what + " is nested too deeply");
  if (value.is_number()) {
    values.push_back(static_cast<float>(value.get<double>()));
    return {};
  }
  if (!value.is_array()) throw FormatError(what + " must be a number or a list of numbers, got " + value.dump());
  Shape inner;
  bool first = true;
  for (const auto& item : value) {
    Shape s = collect_numbers(item, values, what, depth + 1);
    if (first)
      inner = s;
    else if (s != inner)
      throw FormatError(what + " is a ragged list: " + value.dump());
    first = false;
  }
  Shape shape{static_cast<std::int64_t>(value.size())};
  shape.insert(shape.end(), inner.begin(), inner.end());
  return shape;
}

}  // namespace

Tensor tensor_from_json_numbers(const Json& value, const std::string& what) {
  const Json* numbers = &value;
  if (value.is_object()) {
    const std::string cls = detail::config_value(value, "class_name", "");
    if ((cls != "__numpy__" && cls != "__tensor__") || !value.contains("config") || !value.at("config").is_object() ||
        !value.at("config").contains("value"))
      throw FormatError(what + " must be a number, a list of numbers or an array object, got " + value.dump());
    numbers = &value.at("config").at("value");
  }
  std::vector<float> values;
  Shape shape = collect_numbers(*numbers, values, what, 0);
  return Tensor::from_vector(shape, values);
}

Tensor encode_categorical(const Tensor& ids_in, const std::string& output_mode, std::int64_t depth, DType dtype,
                          const std::optional<Tensor>& count_weights, const std::string& layer) {
  Shape shape = ids_in.shape();
  if (shape.empty()) shape = {1};  // a scalar is one sample
  const std::vector<std::int64_t> ids = ids_in.to_vector_i64();
  auto check = [&](std::int64_t id) {
    if (id >= depth)
      throw ValueError(layer + ": input id " + std::to_string(id) + " is out of range; ids must be in [0, " +
                       std::to_string(depth) + ")");
    return id >= 0;
  };
  if (output_mode == "one_hot") {
    // A trailing axis of size 1 is replaced by the encoding.
    if (shape.size() > 1 && shape.back() == 1) shape.pop_back();
    Shape out_shape = shape;
    out_shape.push_back(depth);
    Tensor out(out_shape, DType::float32);
    float* o = out.data<float>();
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (check(ids[i])) o[static_cast<std::int64_t>(i) * depth + ids[i]] = 1.0F;
    return out.astype(dtype);
  }
  if (output_mode != "multi_hot" && output_mode != "count")
    throw ValueError(layer + ": unknown output_mode '" + output_mode + "'");
  // View the ids as [outer, reduced, inner] with the reduced axis 1 (0 for rank 1).
  const std::size_t reduced_axis = shape.size() > 1 ? 1 : 0;
  std::int64_t outer = 1, reduced = shape[reduced_axis], inner = 1;
  for (std::size_t i = 0; i < reduced_axis; ++i) outer *= shape[i];
  for (std::size_t i = reduced_axis + 1; i < shape.size(); ++i) inner *= shape[i];
  Shape out_shape;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (i != reduced_axis) out_shape.push_back(shape[i]);
  out_shape.push_back(depth);
  std::vector<float> weights;
  if (count_weights) {
    if (output_mode != "count") throw ValueError("`count_weights` is not used when `output_mode` is not `'count'`.");
    if (count_weights->size() != static_cast<std::int64_t>(ids.size()))
      throw ShapeMismatchError(layer + ": count_weights shape " + shape_to_string(count_weights->shape()) +
                               " does not match the inputs " + shape_to_string(ids_in.shape()));
    weights = count_weights->to_vector();
  }
  Tensor out(out_shape, DType::float32);
  float* o = out.data<float>();
  for (std::int64_t a = 0; a < outer; ++a)
    for (std::int64_t k = 0; k < reduced; ++k)
      for (std::int64_t b = 0; b < inner; ++b) {
        const std::int64_t flat = (a * reduced + k) * inner + b;
        const std::int64_t id = ids[static_cast<std::size_t>(flat)];
        if (!check(id)) continue;
        float& slot = o[(a * inner + b) * depth + id];
        if (output_mode == "multi_hot")
          slot = 1.0F;
        else
          slot += weights.empty() ? 1.0F : weights[static_cast<std::size_t>(flat)];
      }
  return out.astype(dtype);
}

Shape encoded_shape(const Shape& input_shape, const std::string& output_mode, std::int64_t depth) {
  if (output_mode == "int") return input_shape;
  Shape out;
  if (output_mode == "one_hot") {
    out = input_shape;
    if (!out.empty() && out.back() == 1 && out.size() > 1) out.pop_back();
  } else if (input_shape.size() >= 2) {
    out.push_back(input_shape[0]);
    out.insert(out.end(), input_shape.begin() + 2, input_shape.end());
  }
  out.push_back(depth);
  return out;
}

}  // namespace keras::detail
