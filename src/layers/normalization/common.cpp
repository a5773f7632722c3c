#include "layers/normalization/common.hpp"

#include "keras/layers/normalization.hpp"

namespace keras::detail {

initializers::Initializer initializer_or(const Json& config, const std::string& key, const char* fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return initializers::get(Json(fallback));
  return initializers::get(*it);
}

Json regularizer_from(const Json& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? Json(nullptr) : regularizers::get(*it);
}

Json constraint_from(const Json& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? Json(nullptr) : constraints::get(*it);
}

std::optional<Json> activity_regularizer_from(const Json& config) {
  auto it = config.find("activity_regularizer");
  if (it == config.end() || it->is_null()) return std::nullopt;
  return regularizers::get(*it);
}

Tensor to_compute_dtype(const Tensor& x, DType compute_dtype) {
  return x.dtype() == compute_dtype ? x : x.astype(compute_dtype);
}

std::vector<int> canonical_axes(const std::vector<int>& axes, int rank, const std::string& layer) {
  std::vector<int> out;
  out.reserve(axes.size());
  for (int a : axes) {
    if (a < -rank || a >= rank)
      throw ValueError(layer + ": axis " + std::to_string(a) + " is out of bounds for an input of rank " +
                       std::to_string(rank));
    out.push_back(a < 0 ? a + rank : a);
  }
  return out;
}

}  // namespace keras::detail

namespace keras::layers {

Json AxisArg::to_json() const {
  if (!is_list_) return values_.front();
  Json out = Json::array();
  for (int a : values_) out.push_back(a);
  return out;
}

AxisArg AxisArg::from_json(const Json& value, const std::string& what) {
  if (value.is_number_integer()) return AxisArg(value.get<int>());
  if (value.is_array()) {
    std::vector<int> axes;
    for (const auto& v : value) {
      if (!v.is_number_integer()) throw FormatError(what + " must be an int or a list of ints, got " + value.dump());
      axes.push_back(v.get<int>());
    }
    return AxisArg(std::move(axes));
  }
  throw FormatError(what + " must be an int or a list of ints, got " + value.dump());
}

}  // namespace keras::layers
