#include "layers/convolutional/conv_utils.hpp"

#include <algorithm>
#include <cctype>

#include "keras/error.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail::spatial {

namespace {
std::string lower(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string join_values(const std::vector<std::int64_t>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + ")";
}
}  // namespace

std::vector<std::int64_t> standardize_tuple(const std::vector<std::int64_t>& values, std::size_t n,
                                            const std::string& arg, const std::string& layer, bool allow_zero) {
  std::vector<std::int64_t> out;
  if (values.size() == 1) {
    out.assign(n, values.front());
  } else if (values.size() == n) {
    out = values;
  } else {
    throw ValueError(layer + ": the `" + arg + "` argument must be a tuple of " + std::to_string(n) +
                     " integers. Received " + arg + "=" + join_values(values));
  }
  for (auto v : out)
    if (v < 0 || (v == 0 && !allow_zero))
      throw ValueError(layer + ": the `" + arg + "` argument must be a tuple of " + std::to_string(n) + " integers " +
                       (allow_zero ? ">= 0" : "> 0") + ". Received " + arg + "=" + join_values(values));
  return out;
}

std::string standardize_padding(const std::string& padding, bool allow_causal, const std::string& layer) {
  std::string p = lower(padding);
  if (p == "valid" || p == "same" || (allow_causal && p == "causal")) return p;
  throw ValueError(layer + ": the `padding` argument must be one of " +
                   (allow_causal ? "{'valid', 'same', 'causal'}" : "{'valid', 'same'}") + ". Received: " + padding);
}

std::string standardize_data_format(const std::string& data_format, const std::string& layer) {
  if (data_format.empty()) return "channels_last";
  std::string f = lower(data_format);
  if (f == "channels_last" || f == "channels_first") return f;
  throw ValueError(layer + ": the `data_format` argument must be one of {'channels_first', 'channels_last'}. " +
                   "Received: data_format=" + data_format);
}

Tensor channels_first_to_last(const Tensor& x) {
  std::vector<int> perm{0};
  for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
  perm.push_back(1);
  return kernels::transpose(x, perm);
}

Tensor channels_last_to_first(const Tensor& x) {
  std::vector<int> perm{0, x.rank() - 1};
  for (int i = 1; i < x.rank() - 1; ++i) perm.push_back(i);
  return kernels::transpose(x, perm);
}

Tensor as_channels_last_float(const Tensor& x, bool channels_first) {
  Tensor f = x.dtype() == DType::float32 ? x : x.astype(DType::float32);
  return channels_first ? channels_first_to_last(f) : f;
}

Tensor from_channels_last(const Tensor& y, bool channels_first, DType compute_dtype) {
  Tensor out = channels_first ? channels_last_to_first(y) : y;
  return out.dtype() == compute_dtype ? out : out.astype(compute_dtype);
}

ad::Var to_channels_last(const ad::Var& x, bool channels_first) {
  if (!channels_first) return x;
  std::vector<int> perm{0};
  for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
  perm.push_back(1);
  return ad::transpose(x, perm);
}

ad::Var from_channels_last(const ad::Var& y, bool channels_first) {
  if (!channels_first) return y;
  std::vector<int> perm{0, y.rank() - 1};
  for (int i = 1; i < y.rank() - 1; ++i) perm.push_back(i);
  return ad::transpose(y, perm);
}

Json json_or_null(const Json& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? Json(nullptr) : *it;
}

void check_input_rank(const Shape& shape, int spatial, const std::string& layer_name, const std::string& class_name) {
  if (static_cast<int>(shape.size()) != spatial + 2)
    throw ValueError("Input 0 of layer \"" + layer_name + "\" (" + class_name + ") is incompatible with the layer: " +
                     "expected ndim=" + std::to_string(spatial + 2) + ", found ndim=" + std::to_string(shape.size()) +
                     ". Full shape received: " + shape_to_string(shape));
}

}  // namespace keras::detail::spatial
