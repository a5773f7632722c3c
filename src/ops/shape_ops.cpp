#include "ops/shape_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "ops/common.hpp"

namespace keras::kernels {

namespace detail {

namespace {

template <typename T>
void copy_strided_typed(const std::byte* src, std::int64_t src_offset, const std::vector<std::int64_t>& src_strides,
                        std::byte* dst, std::int64_t dst_offset, const std::vector<std::int64_t>& dst_strides,
                        const Shape& shape) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  const int rank = static_cast<int>(shape.size());
  if (rank == 0) {
    d[dst_offset] = s[src_offset];
    return;
  }
  for (auto dim : shape)
    if (dim == 0) return;
  const auto last = static_cast<std::size_t>(rank - 1);
  const std::int64_t inner = shape[last];
  const std::int64_t ss = src_strides[last];
  const std::int64_t ds = dst_strides[last];
  std::vector<std::int64_t> counter(shape.size(), 0);
  std::int64_t so = src_offset;
  std::int64_t dof = dst_offset;
  while (true) {
    if (ss == 1 && ds == 1) {
      std::memcpy(d + dof, s + so, static_cast<std::size_t>(inner) * sizeof(T));
    } else {
      for (std::int64_t i = 0; i < inner; ++i) d[dof + i * ds] = s[so + i * ss];
    }
    int axis = rank - 2;
    for (; axis >= 0; --axis) {
      auto a = static_cast<std::size_t>(axis);
      ++counter[a];
      so += src_strides[a];
      dof += dst_strides[a];
      if (counter[a] < shape[a]) break;
      so -= src_strides[a] * shape[a];
      dof -= dst_strides[a] * shape[a];
      counter[a] = 0;
    }
    if (axis < 0) return;
  }
}

}  // namespace

// Copies the elements of a strided view of src into a strided view of dst
// (strides and offsets in elements of `element_size` bytes).
void copy_strided(const void* src, std::int64_t src_offset, const std::vector<std::int64_t>& src_strides, void* dst,
                  std::int64_t dst_offset, const std::vector<std::int64_t>& dst_strides, const Shape& shape,
                  std::size_t element_size) {
  auto* s = static_cast<const std::byte*>(src);
  auto* d = static_cast<std::byte*>(dst);
  switch (element_size) {
    case 1:
      return copy_strided_typed<std::uint8_t>(s, src_offset, src_strides, d, dst_offset, dst_strides, shape);
    case 2:
      return copy_strided_typed<std::uint16_t>(s, src_offset, src_strides, d, dst_offset, dst_strides, shape);
    case 4:
      return copy_strided_typed<std::uint32_t>(s, src_offset, src_strides, d, dst_offset, dst_strides, shape);
    case 8:
      return copy_strided_typed<std::uint64_t>(s, src_offset, src_strides, d, dst_offset, dst_strides, shape);
    default:
      throw ValueError("copy_strided: unsupported element size " + std::to_string(element_size));
  }
}

// A new contiguous tensor holding the strided view (offset, strides) of x with the given shape.
Tensor materialize_view(const Tensor& x, std::int64_t offset, const std::vector<std::int64_t>& strides,
                        const Shape& shape) {
  Tensor out(shape, x.dtype());
  copy_strided(x.raw_data(), offset, strides, out.raw_data(), 0, contiguous_strides(shape), shape,
               dtype_size(x.dtype()));
  return out;
}

}  // namespace detail

namespace {

using detail::contiguous_strides;
using detail::materialize_view;

int axis_for(int axis, int rank, const char* what) {
  int resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank)
    throw ValueError(std::string(what) + ": axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(rank));
  return resolved;
}

void require(const Tensor& x, const char* what) {
  if (!x.defined()) throw ValueError(std::string(what) + ": undefined tensor");
}

}  // namespace

Tensor transpose(const Tensor& x, const std::vector<int>& permutation) {
  require(x, "transpose");
  const int rank = x.rank();
  std::vector<int> perm = permutation;
  if (perm.empty())
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int>(perm.size()) != rank)
    throw ValueError("transpose: permutation of length " + std::to_string(perm.size()) + " for a tensor of rank " +
                     std::to_string(rank));
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  bool identity = true;
  for (int i = 0; i < rank; ++i) {
    int p = axis_for(perm[static_cast<std::size_t>(i)], rank, "transpose");
    if (seen[static_cast<std::size_t>(p)]) throw ValueError("transpose: repeated axis in permutation");
    seen[static_cast<std::size_t>(p)] = true;
    perm[static_cast<std::size_t>(i)] = p;
    identity = identity && p == i;
  }
  if (identity) return x;
  const auto in_strides = contiguous_strides(x.shape());
  Shape shape;
  std::vector<std::int64_t> strides;
  for (int p : perm) {
    shape.push_back(x.shape()[static_cast<std::size_t>(p)]);
    strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  return materialize_view(x, 0, strides, shape);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  require(x, "reshape");
  return x.reshape(shape);
}

Tensor concatenate(const std::vector<Tensor>& tensors, int axis) {
  if (tensors.empty()) throw ValueError("concatenate: needs at least one tensor");
  for (const auto& t : tensors) require(t, "concatenate");
  DType dtype = tensors[0].dtype();
  bool mixed = false;
  for (const auto& t : tensors) mixed = mixed || t.dtype() != dtype;
  if (mixed) dtype = DType::float32;
  const int rank = tensors[0].rank();
  if (rank == 0) throw ValueError("concatenate: zero-dimensional tensors cannot be concatenated");
  const int ax = axis_for(axis, rank, "concatenate");
  Shape out_shape = tensors[0].shape();
  out_shape[static_cast<std::size_t>(ax)] = 0;
  for (const auto& t : tensors) {
    bool compatible = t.rank() == rank;
    for (int i = 0; compatible && i < rank; ++i)
      if (i != ax && t.shape()[static_cast<std::size_t>(i)] != out_shape[static_cast<std::size_t>(i)])
        compatible = false;
    if (!compatible)
      throw ShapeMismatchError("concatenate: shapes " + shape_to_string(tensors[0].shape()) + " and " +
                               shape_to_string(t.shape()) + " differ outside axis " + std::to_string(axis));
    out_shape[static_cast<std::size_t>(ax)] += t.shape()[static_cast<std::size_t>(ax)];
  }
  Tensor out(out_shape, dtype);
  const auto out_strides = contiguous_strides(out_shape);
  std::int64_t offset = 0;
  for (const auto& t : tensors) {
    Tensor part = t.astype(dtype);
    detail::copy_strided(part.raw_data(), 0, contiguous_strides(part.shape()), out.raw_data(), offset, out_strides,
                         part.shape(), dtype_size(dtype));
    offset += part.shape()[static_cast<std::size_t>(ax)] * out_strides[static_cast<std::size_t>(ax)];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int axis) {
  if (tensors.empty()) throw ValueError("stack: needs at least one tensor");
  std::vector<Tensor> expanded;
  for (const auto& t : tensors) {
    require(t, "stack");
    if (t.shape() != tensors[0].shape())
      throw ShapeMismatchError("stack: all tensors must have the same shape, got " +
                               shape_to_string(tensors[0].shape()) + " and " + shape_to_string(t.shape()));
    expanded.push_back(expand_dims(t, axis));
  }
  return concatenate(expanded, axis);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t sections, int axis) {
  require(x, "split");
  const int ax = axis_for(axis, x.rank(), "split");
  const std::int64_t n = x.shape()[static_cast<std::size_t>(ax)];
  if (sections <= 0 || n % sections != 0)
    throw ValueError("split: axis of size " + std::to_string(n) + " cannot be split into " + std::to_string(sections) +
                     " equal sections");
  std::vector<std::int64_t> indices;
  for (std::int64_t i = 1; i < sections; ++i) indices.push_back(i * (n / sections));
  return split_at(x, indices, ax);
}

std::vector<Tensor> split_at(const Tensor& x, const std::vector<std::int64_t>& indices, int axis) {
  require(x, "split");
  const int ax = axis_for(axis, x.rank(), "split");
  const std::int64_t n = x.shape()[static_cast<std::size_t>(ax)];
  std::vector<Tensor> parts;
  std::int64_t begin = 0;
  std::vector<SliceSpec> specs(static_cast<std::size_t>(ax) + 1);
  for (std::size_t i = 0; i <= indices.size(); ++i) {
    std::int64_t end = i < indices.size() ? std::clamp<std::int64_t>(indices[i], 0, n) : n;
    end = std::max(end, begin);  // numpy gives empty parts for decreasing indices
    specs.back() = SliceSpec{begin, end, 1};
    parts.push_back(strided_slice(x, specs));
    begin = end;
  }
  return parts;
}

Tensor slice(const Tensor& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& size) {
  require(x, "slice");
  if (static_cast<int>(start.size()) != x.rank() || static_cast<int>(size.size()) != x.rank())
    throw ValueError("slice: start and size need one value per axis of " + shape_to_string(x.shape()));
  std::vector<SliceSpec> specs;
  for (int i = 0; i < x.rank(); ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t dim = x.shape()[u];
    const std::int64_t length = size[u] < 0 ? dim - start[u] : size[u];
    if (start[u] < 0 || start[u] + length > dim || length < 0)
      throw ValueError("slice: start (" + detail::join(start) + ") and size (" + detail::join(size) +
                       ") do not fit shape " + shape_to_string(x.shape()));
    specs.push_back(SliceSpec{start[u], start[u] + length, 1});
  }
  return strided_slice(x, specs);
}

StridedView strided_view(const Shape& x_shape, const std::vector<SliceSpec>& specs) {
  if (specs.size() > x_shape.size())
    throw ValueError("strided_slice: " + std::to_string(specs.size()) + " slices for a tensor of rank " +
                     std::to_string(x_shape.size()));
  const auto in_strides = contiguous_strides(x_shape);
  StridedView view{0, in_strides, x_shape};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::int64_t dim = x_shape[i];
    const std::int64_t step = specs[i].step;
    if (step == 0) throw ValueError("strided_slice: slice step cannot be zero");
    // Python's slice.indices().
    auto resolve = [&](std::optional<std::int64_t> value, std::int64_t fallback) {
      if (!value) return fallback;
      std::int64_t v = *value;
      if (v < 0) v += dim;
      if (step > 0) return std::clamp<std::int64_t>(v, 0, dim);
      return std::clamp<std::int64_t>(v, -1, dim - 1);
    };
    const std::int64_t start = resolve(specs[i].start, step > 0 ? 0 : dim - 1);
    const std::int64_t stop = resolve(specs[i].stop, step > 0 ? dim : -1);
    std::int64_t length = 0;
    if (step > 0 && stop > start) length = (stop - start + step - 1) / step;
    if (step < 0 && start > stop) length = (start - stop + (-step) - 1) / (-step);
    view.shape[i] = length;
    if (length > 0) view.offset += start * in_strides[i];
    view.strides[i] = in_strides[i] * step;
  }
  return view;
}

Tensor strided_slice(const Tensor& x, const std::vector<SliceSpec>& specs) {
  require(x, "strided_slice");
  const StridedView view = strided_view(x.shape(), specs);
  if (shape_size(view.shape) == 0) return Tensor(view.shape, x.dtype());
  return materialize_view(x, view.offset, view.strides, view.shape);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, float value) {
  require(x, "pad");
  if (static_cast<int>(paddings.size()) != x.rank())
    throw ValueError("pad: needs one (before, after) pair per axis of " + shape_to_string(x.shape()));
  Shape out_shape = x.shape();
  for (std::size_t i = 0; i < paddings.size(); ++i) {
    if (paddings[i].first < 0 || paddings[i].second < 0) throw ValueError("pad: negative padding");
    out_shape[i] += paddings[i].first + paddings[i].second;
  }
  Tensor out = Tensor::full(out_shape, value, x.dtype());
  const auto out_strides = contiguous_strides(out_shape);
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < paddings.size(); ++i) offset += paddings[i].first * out_strides[i];
  detail::copy_strided(x.raw_data(), 0, contiguous_strides(x.shape()), out.raw_data(), offset, out_strides, x.shape(),
                       dtype_size(x.dtype()));
  return out;
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps_in) {
  require(x, "tile");
  const std::size_t rank = std::max(reps_in.size(), x.shape().size());
  std::vector<std::int64_t> reps(rank - reps_in.size(), 1);
  reps.insert(reps.end(), reps_in.begin(), reps_in.end());
  Shape dims(rank - x.shape().size(), 1);
  dims.insert(dims.end(), x.shape().begin(), x.shape().end());
  const auto in_strides = contiguous_strides(dims);
  // View as [r0, d0, r1, d1, ...] with zero strides on the repeat axes.
  Shape view_shape;
  std::vector<std::int64_t> view_strides;
  Shape out_shape;
  for (std::size_t i = 0; i < rank; ++i) {
    if (reps[i] < 0) throw ValueError("tile: negative repetition count");
    view_shape.push_back(reps[i]);
    view_strides.push_back(0);
    view_shape.push_back(dims[i]);
    view_strides.push_back(in_strides[i]);
    out_shape.push_back(reps[i] * dims[i]);
  }
  if (shape_size(out_shape) == 0) return Tensor(out_shape, x.dtype());
  return materialize_view(x, 0, view_strides, view_shape).reshape(out_shape);
}

Tensor repeat(const Tensor& x, std::int64_t repeats, int axis) {
  require(x, "repeat");
  if (repeats < 0) throw ValueError("repeat: negative repetition count");
  const int ax = axis_for(axis, x.rank(), "repeat");
  // View as [..., d_axis, repeats, ...] with a zero stride on the repeat axis.
  const auto in_strides = contiguous_strides(x.shape());
  Shape view_shape = x.shape();
  std::vector<std::int64_t> view_strides = in_strides;
  view_shape.insert(view_shape.begin() + ax + 1, repeats);
  view_strides.insert(view_strides.begin() + ax + 1, 0);
  Shape out_shape = x.shape();
  out_shape[static_cast<std::size_t>(ax)] *= repeats;
  if (shape_size(out_shape) == 0) return Tensor(out_shape, x.dtype());
  return materialize_view(x, 0, view_strides, view_shape).reshape(out_shape);
}

Tensor repeat(const Tensor& x, const std::vector<std::int64_t>& repeats, int axis) {
  require(x, "repeat");
  const int ax = axis_for(axis, x.rank(), "repeat");
  const std::int64_t n = x.shape()[static_cast<std::size_t>(ax)];
  if (repeats.size() == 1) return repeat(x, repeats[0], ax);
  if (static_cast<std::int64_t>(repeats.size()) != n)
    throw ValueError("repeat: " + std::to_string(repeats.size()) + " repetition counts for an axis of size " +
                     std::to_string(n));
  std::vector<Tensor> parts;
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<SliceSpec> specs(static_cast<std::size_t>(ax) + 1);
    specs.back() = SliceSpec{i, i + 1, 1};
    parts.push_back(repeat(strided_slice(x, specs), repeats[static_cast<std::size_t>(i)], ax));
  }
  if (parts.empty()) return x;
  return concatenate(parts, ax);
}

Tensor expand_dims(const Tensor& x, int axis) {
  require(x, "expand_dims");
  const int rank = x.rank();
  int ax = axis < 0 ? axis + rank + 1 : axis;
  if (ax < 0 || ax > rank)
    throw ValueError("expand_dims: axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(rank));
  Shape shape = x.shape();
  shape.insert(shape.begin() + ax, 1);
  return x.reshape(shape);
}

Tensor squeeze(const Tensor& x, const std::vector<int>& axes) {
  require(x, "squeeze");
  Shape shape;
  if (axes.empty()) {
    for (auto d : x.shape())
      if (d != 1) shape.push_back(d);
    return x.reshape(shape);
  }
  std::vector<int> resolved = detail::normalize_axes(axes, x.rank(), "squeeze");
  for (int i = 0; i < x.rank(); ++i) {
    const std::int64_t d = x.shape()[static_cast<std::size_t>(i)];
    if (std::find(resolved.begin(), resolved.end(), i) != resolved.end()) {
      if (d != 1)
        throw ValueError("squeeze: cannot squeeze axis " + std::to_string(i) + " of size " + std::to_string(d));
      continue;
    }
    shape.push_back(d);
  }
  return x.reshape(shape);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  require(x, "broadcast_to");
  if (x.shape() == shape) return x;
  if (broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
    throw ShapeMismatchError("broadcast_to: cannot broadcast " + shape_to_string(x.shape()) + " to " +
                             shape_to_string(shape));
  if (shape_size(shape) == 0) return Tensor(shape, x.dtype());
  return materialize_view(x, 0, detail::broadcast_strides(x.shape(), shape), shape);
}

Tensor flip(const Tensor& x, const std::vector<int>& axes) {
  require(x, "flip");
  std::vector<int> resolved = detail::normalize_axes(axes, x.rank(), "flip");
  if (x.size() == 0) return x;
  auto strides = contiguous_strides(x.shape());
  std::int64_t offset = 0;
  for (int a : resolved) {
    auto u = static_cast<std::size_t>(a);
    offset += (x.shape()[u] - 1) * strides[u];
    strides[u] = -strides[u];
  }
  return materialize_view(x, offset, strides, x.shape());
}

namespace {

std::vector<std::int64_t> resolve_indices(const Tensor& indices, std::int64_t dim, const char* what) {
  require(indices, what);
  std::vector<std::int64_t> out = indices.to_vector_i64();
  for (auto& i : out) {
    if (i < -dim || i >= dim)
      throw ValueError(std::string(what) + ": index " + std::to_string(i) + " is out of bounds for axis of size " +
                       std::to_string(dim));
    if (i < 0) i += dim;
  }
  return out;
}

}  // namespace

Tensor take(const Tensor& x, const Tensor& indices, int axis) {
  require(x, "take");
  const int ax = axis_for(axis, x.rank(), "take");
  const auto u = static_cast<std::size_t>(ax);
  const std::int64_t dim = x.shape()[u];
  std::vector<std::int64_t> idx = resolve_indices(indices, dim, "take");
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= x.shape()[i];
  std::int64_t inner = 1;
  for (std::size_t i = u + 1; i < x.shape().size(); ++i) inner *= x.shape()[i];
  Shape out_shape(x.shape().begin(), x.shape().begin() + ax);
  out_shape.insert(out_shape.end(), indices.shape().begin(), indices.shape().end());
  out_shape.insert(out_shape.end(), x.shape().begin() + ax + 1, x.shape().end());
  Tensor out(out_shape, x.dtype());
  const std::size_t esize = dtype_size(x.dtype());
  const std::size_t row_bytes = static_cast<std::size_t>(inner) * esize;
  const auto* src = static_cast<const std::byte*>(x.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  const auto count = static_cast<std::int64_t>(idx.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < count; ++j)
      std::memcpy(dst + static_cast<std::size_t>(o * count + j) * row_bytes,
                  src + static_cast<std::size_t>(o * dim + idx[static_cast<std::size_t>(j)]) * row_bytes, row_bytes);
  return out;
}

Tensor gather(const Tensor& table, const Tensor& ids) { return take(table, ids, 0); }

Tensor take_along_axis(const Tensor& x, const Tensor& indices, int axis) {
  require(x, "take_along_axis");
  require(indices, "take_along_axis");
  if (indices.rank() != x.rank())
    throw ShapeMismatchError("take_along_axis: indices " + shape_to_string(indices.shape()) +
                             " must have the rank of " + shape_to_string(x.shape()));
  const int ax = axis_for(axis, x.rank(), "take_along_axis");
  const auto u = static_cast<std::size_t>(ax);
  // Broadcast all axes but `axis` between x and indices.
  Shape x_other = x.shape(), i_other = indices.shape();
  x_other[u] = 1;
  i_other[u] = 1;
  Shape common = broadcast_shapes(x_other, i_other, "take_along_axis");
  Shape x_target = common, i_target = common;
  x_target[u] = x.shape()[u];
  i_target[u] = indices.shape()[u];
  Tensor xb = broadcast_to(x, x_target);
  Tensor ib = broadcast_to(indices, i_target);
  std::vector<std::int64_t> idx = resolve_indices(ib, x.shape()[u], "take_along_axis");
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= common[i];
  for (std::size_t i = u + 1; i < common.size(); ++i) inner *= common[i];
  const std::int64_t n_in = x_target[u], n_out = i_target[u];
  Tensor out(i_target, x.dtype());
  const std::size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(xb.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < n_out; ++j)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t out_index = (o * n_out + j) * inner + i;
        const std::int64_t source = (o * n_in + idx[static_cast<std::size_t>(out_index)]) * inner + i;
        std::memcpy(dst + static_cast<std::size_t>(out_index) * esize, src + static_cast<std::size_t>(source) * esize,
                    esize);
      }
  return out;
}

Tensor one_hot(const Tensor& ids, std::int64_t num_classes, int axis, DType dtype) {
  require(ids, "one_hot");
  if (num_classes < 0) throw ValueError("one_hot: num_classes must be non-negative");
  const std::vector<std::int64_t> values = ids.to_vector_i64();
  Shape shape = ids.shape();
  shape.push_back(num_classes);
  Tensor flat(shape, DType::float32);
  float* out = flat.data<float>();
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] >= 0 && values[i] < num_classes) out[static_cast<std::int64_t>(i) * num_classes + values[i]] = 1.0F;
  const int rank = static_cast<int>(shape.size());
  const int ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) throw ValueError("one_hot: axis " + std::to_string(axis) + " is out of bounds");
  if (ax != rank - 1) {
    std::vector<int> perm;
    for (int i = 0; i < rank - 1; ++i) {
      if (i == ax) perm.push_back(rank - 1);
      perm.push_back(i);
    }
    flat = transpose(flat, perm);
  }
  return flat.astype(dtype);
}

Tensor cast(const Tensor& x, DType dtype) {
  require(x, "cast");
  return x.astype(dtype);
}

}  // namespace keras::kernels
