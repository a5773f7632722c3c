#include "ops/common.hpp"

#include <algorithm>

namespace keras::kernels {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeMismatchError(std::string(what) + ": shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                               " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace detail {

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape) {
  std::vector<std::int64_t> own = contiguous_strides(shape);
  std::vector<std::int64_t> out(out_shape.size(), 0);
  const std::size_t offset = out_shape.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) out[offset + i] = shape[i] == 1 ? 0 : own[i];
  return out;
}

std::vector<int> normalize_axes(const std::vector<int>& axes, int rank, const char* what) {
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int axis : axes) {
    int resolved = axis < 0 ? axis + rank : axis;
    if (resolved < 0 || resolved >= rank)
      throw ValueError(std::string(what) + ": axis " + std::to_string(axis) + " is out of bounds for rank " +
                       std::to_string(rank));
    out.push_back(resolved);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::int64_t> spatial_param(const std::vector<std::int64_t>& values, int n, std::int64_t fallback,
                                        const char* what) {
  if (values.empty()) return std::vector<std::int64_t>(static_cast<std::size_t>(n), fallback);
  if (values.size() == 1) return std::vector<std::int64_t>(static_cast<std::size_t>(n), values[0]);
  if (static_cast<int>(values.size()) != n)
    throw ValueError(std::string(what) + " needs " + std::to_string(n) + " values, got (" + join(values) + ")");
  return values;
}

Tensor to_float(const Tensor& x) {
  if (!x.defined()) throw ValueError("kernel received an undefined tensor");
  return x.dtype() == DType::float32 ? x : x.astype(DType::float32);
}

std::string join(const std::vector<std::int64_t>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(values[i]);
  }
  return out;
}

}  // namespace detail
}  // namespace keras::kernels
