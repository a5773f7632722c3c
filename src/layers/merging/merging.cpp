// The merging layers (keras/src/layers/merging/).
#include <algorithm>
#include <set>

#include "keras/ops.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/merging/merging_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {

std::string shapes_to_string(const std::vector<Shape>& shapes) {
  std::string out = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shape_to_string(shapes[i]);
  return out + "]";
}

// Keras' Merge._compute_elemwise_op_output_shape on shapes without the batch axis.
Shape elementwise_shape(const Shape& a, const Shape& b) {
  if (a.size() < b.size()) return elementwise_shape(b, a);
  if (b.empty()) return a;
  Shape out(a.begin(), a.end() - static_cast<std::ptrdiff_t>(b.size()));
  for (std::size_t k = 0; k < b.size(); ++k) {
    const std::int64_t i = a[a.size() - b.size() + k];
    const std::int64_t j = b[k];
    if (i < 0 || j < 0) {
      out.push_back(kUnknownDim);
    } else if (i == 1) {
      out.push_back(j);
    } else if (j == 1 || i == j) {
      out.push_back(i);
    } else {
      throw ValueError("Inputs have incompatible shapes. Received shapes " + shape_to_string(a) + " and " +
                       shape_to_string(b));
    }
  }
  return out;
}

Shape merge_output_shape(const std::vector<Shape>& shapes) {
  if (shapes.empty()) throw ValueError("A merge layer should be called on a list of at least 1 input.");
  for (const auto& s : shapes) {
    if (s.empty()) throw ValueError("A merge layer needs batched inputs, got shapes " + shapes_to_string(shapes));
  }
  Shape out(shapes[0].begin() + 1, shapes[0].end());
  for (std::size_t i = 1; i < shapes.size(); ++i)
    out = elementwise_shape(out, Shape(shapes[i].begin() + 1, shapes[i].end()));
  std::set<std::int64_t> batch_sizes;
  for (const auto& s : shapes) {
    if (s[0] >= 0) batch_sizes.insert(s[0]);
  }
  out.insert(out.begin(), batch_sizes.size() == 1 ? *batch_sizes.begin() : kUnknownDim);
  return out;
}

void check_batch_sizes(const std::vector<Shape>& shapes) {
  std::set<std::int64_t> batch_sizes;
  for (const auto& s : shapes) {
    if (!s.empty() && s[0] >= 0) batch_sizes.insert(s[0]);
  }
  if (batch_sizes.size() > 1)
    throw ValueError("Cannot merge tensors with different batch sizes. Received tensors with shapes " +
                     shapes_to_string(shapes));
}

std::vector<Shape> spec_shapes(const std::vector<TensorSpec>& specs) {
  std::vector<Shape> shapes;
  for (const auto& s : specs) shapes.push_back(s.shape);
  return shapes;
}

// numpy-backend normalize: x / ||x|| along `axis`, zero norms left as 1.
Tensor l2_normalize_numpy(const Tensor& x, int axis) {
  Tensor norm = kernels::sqrt(kernels::sum(kernels::square(x), {axis}, true));
  norm = kernels::where(kernels::equal(norm, Tensor::scalar(0.0F)), Tensor::scalar(1.0F), norm);
  return kernels::divide(x, norm);
}

}  // namespace

// ---------------------------------------------------------------- Merge

MergeImpl::MergeImpl(Kind kind, const LayerBaseOptions& base)
    : Layer(base,
            [kind] {
              switch (kind) {
                case Kind::add:
                  return "add";
                case Kind::subtract:
                  return "subtract";
                case Kind::multiply:
                  return "multiply";
                case Kind::average:
                  return "average";
                case Kind::maximum:
                  return "maximum";
                case Kind::minimum:
                  return "minimum";
              }
              return "merge";
            }()),
      kind_(kind) {}

LayerPtr MergeImpl::from_config(Kind kind, const Json& config) {
  return std::make_shared<MergeImpl>(kind, base_options_from_config(config));
}

std::string MergeImpl::class_name() const {
  switch (kind_) {
    case Kind::add:
      return "Add";
    case Kind::subtract:
      return "Subtract";
    case Kind::multiply:
      return "Multiply";
    case Kind::average:
      return "Average";
    case Kind::maximum:
      return "Maximum";
    case Kind::minimum:
      return "Minimum";
  }
  return "Merge";
}

void MergeImpl::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty()) throw ValueError("A merge layer should be called on a list of at least 1 input.");
  check_batch_sizes(input_shapes);
  (void)merge_output_shape(input_shapes);
  if (kind_ == Kind::subtract && input_shapes.size() != 2)
    throw ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape=" +
                     shapes_to_string(input_shapes));
}

std::optional<KerasTensor> MergeImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Node& /*node*/) {
  std::vector<KerasTensor> masks;
  for (const auto& x : inputs) {
    auto m = x.keras_mask();
    if (!m) return std::nullopt;
    masks.push_back(*m);
  }
  if (masks.empty()) return std::nullopt;
  KerasTensor out = masks.front();
  for (std::size_t i = 1; i < masks.size(); ++i) out = ops::logical_or(out, masks[i]);
  return out;
}

std::vector<TensorSpec> MergeImpl::compute_output_spec(const SpecArgs& args) {
  return {TensorSpec{merge_output_shape(spec_shapes(args.tensor_list(0))), compute_dtype()}};
}

std::vector<Tensor> MergeImpl::merge_inputs(const CallArgs& args) const {
  std::vector<Tensor> inputs = args.tensor_list(0);
  if (inputs.empty()) throw ValueError("A merge layer should be called on a list of inputs.");
  for (auto& x : inputs) x = autocast(x, compute_dtype());
  return inputs;
}

std::vector<Tensor> MergeImpl::call(const CallArgs& args) {
  std::vector<Tensor> inputs = merge_inputs(args);
  // Inputs of lower rank get axes inserted after the batch axis (Keras' _reshape_required).
  int max_rank = 0;
  for (const auto& x : inputs) max_rank = std::max(max_rank, x.rank());
  for (auto& x : inputs) {
    while (x.rank() < max_rank) x = kernels::expand_dims(x, 1);
  }
  if (kind_ == Kind::subtract && inputs.size() != 2)
    throw ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received " +
                     std::to_string(inputs.size()) + " inputs");
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    switch (kind_) {
      case Kind::add:
      case Kind::average:
        out = kernels::add(out, inputs[i]);
        break;
      case Kind::subtract:
        out = kernels::subtract(out, inputs[i]);
        break;
      case Kind::multiply:
        out = kernels::multiply(out, inputs[i]);
        break;
      case Kind::maximum:
        out = kernels::maximum(out, inputs[i]);
        break;
      case Kind::minimum:
        out = kernels::minimum(out, inputs[i]);
        break;
    }
  }
  if (kind_ == Kind::average) out = kernels::divide(out, Tensor::scalar(static_cast<float>(inputs.size())));
  if (is_floating(out.dtype())) out = to_dtype(out, compute_dtype());
  return {out};
}

std::vector<ad::Var> MergeImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                          TapeVariables& /*variables*/) {
  std::vector<ad::Var> inputs = tape_arg_list(args, tensors);
  int max_rank = 0;
  for (const auto& x : inputs) max_rank = std::max(max_rank, x.rank());
  for (auto& x : inputs)
    while (x.rank() < max_rank) x = ad::expand_dims(x, 1);
  ad::Var out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    switch (kind_) {
      case Kind::add:
      case Kind::average:
        out = out + inputs[i];
        break;
      case Kind::subtract:
        out = out - inputs[i];
        break;
      case Kind::multiply:
        out = out * inputs[i];
        break;
      case Kind::maximum:
        out = ad::maximum(out, inputs[i]);
        break;
      case Kind::minimum:
        out = ad::minimum(out, inputs[i]);
        break;
    }
  }
  if (kind_ == Kind::average) out = out / static_cast<float>(inputs.size());
  return {out};
}

// ---------------------------------------------------------------- Concatenate

ConcatenateImpl::ConcatenateImpl(int axis, const LayerBaseOptions& base)
    : MergeImpl(base, "concatenate"), axis_(axis) {}

LayerPtr ConcatenateImpl::from_config(const Json& config) {
  int axis = -1;
  if (auto it = config.find("axis"); it != config.end() && !it->is_null()) {
    if (!it->is_number_integer()) throw FormatError("Concatenate config 'axis' must be an integer, got " + it->dump());
    axis = it->get<int>();
  }
  return std::make_shared<ConcatenateImpl>(axis, base_options_from_config(config));
}

Json ConcatenateImpl::get_config() const {
  Json config = base_config();
  config["axis"] = axis_;
  return config;
}

void ConcatenateImpl::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty()) throw ValueError("A `Concatenate` layer should be called on a list of at least 1 input.");
  // Shapes must agree except along the concatenation axis (unknown dims agree with anything).
  const std::size_t rank = input_shapes.front().size();
  for (const auto& s : input_shapes) {
    if (s.size() != rank)
      throw ValueError(
          "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
          "axis. Received: input_shape=" +
          shapes_to_string(input_shapes));
  }
  const int axis = normalize_axis(axis_, static_cast<int>(rank));
  for (std::size_t d = 0; d < rank; ++d) {
    if (static_cast<int>(d) == axis) continue;
    std::set<std::int64_t> dims;
    for (const auto& s : input_shapes) {
      if (s[d] >= 0) dims.insert(s[d]);
    }
    if (dims.size() > 1)
      throw ValueError(
          "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
          "axis. Received: input_shape=" +
          shapes_to_string(input_shapes));
  }
}

Shape ConcatenateImpl::output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.empty()) throw ValueError("A `Concatenate` layer should be called on a list of inputs.");
  Shape out = shapes.front();
  const int axis = normalize_axis(axis_, static_cast<int>(out.size()));
  auto& dim = out[static_cast<std::size_t>(axis)];
  for (std::size_t i = 1; i < shapes.size(); ++i) {
    const int other_axis = normalize_axis(axis_, static_cast<int>(shapes[i].size()));
    const std::int64_t other = shapes[i][static_cast<std::size_t>(other_axis)];
    if (dim < 0 || other < 0) {
      dim = kUnknownDim;
      break;
    }
    dim += other;
  }
  return out;
}

std::vector<TensorSpec> ConcatenateImpl::compute_output_spec(const SpecArgs& args) {
  return {TensorSpec{output_shape(spec_shapes(args.tensor_list(0))), compute_dtype()}};
}

std::vector<Tensor> ConcatenateImpl::call(const CallArgs& args) {
  Tensor out = kernels::concatenate(merge_inputs(args), axis_);
  if (is_floating(out.dtype())) out = to_dtype(out, compute_dtype());
  return {out};
}

std::vector<ad::Var> ConcatenateImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                TapeVariables& /*variables*/) {
  return {ad::concatenate(tape_arg_list(args, tensors), axis_)};
}

std::optional<KerasTensor> ConcatenateImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Node& /*node*/) {
  bool any_mask = false;
  for (const auto& x : inputs) any_mask = any_mask || x.keras_mask().has_value();
  if (!any_mask) return std::nullopt;
  // Each input's mask brought to the input's rank (all True when it has none),
  // concatenated on the axis, then any() over the last axis, as Keras does.
  std::vector<KerasTensor> masks;
  for (const auto& x : inputs) {
    auto m = x.keras_mask();
    if (!m) {
      masks.push_back(ops::ones_like(x, "bool"));
    } else if (m->shape().size() < x.shape().size()) {
      KerasTensor expanded = ops::expand_dims(*m, -1);  // created before zeros_like, as in Python
      masks.push_back(ops::logical_or(expanded, ops::zeros_like(x, "bool")));
    } else {
      masks.push_back(*m);
    }
  }
  return ops::any(ops::concatenate(masks, axis_), -1, false);
}

// ---------------------------------------------------------------- Dot

DotImpl::DotImpl(Json axes, bool normalize, const LayerBaseOptions& base)
    : MergeImpl(base, "dot"), axes_(std::move(axes)), normalize_(normalize) {
  if (axes_.is_number_integer()) return;
  if (!axes_.is_array())
    throw ValueError("Invalid type for argument `axes`: it should be a list or an int. Received: axes=" + axes_.dump());
  if (axes_.size() != 2)
    throw ValueError("Invalid format for argument `axes`: it should contain two elements. Received: axes=" +
                     axes_.dump());
  if (!axes_[0].is_number_integer() || !axes_[1].is_number_integer())
    throw ValueError("Invalid format for argument `axes`: list elements should be integers. Received: axes=" +
                     axes_.dump());
}

LayerPtr DotImpl::from_config(const Json& config) {
  auto it = config.find("axes");
  if (it == config.end()) throw FormatError("Dot config needs 'axes'");
  bool normalize = false;
  if (auto n = config.find("normalize"); n != config.end() && !n->is_null()) {
    if (!n->is_boolean()) throw FormatError("Dot config 'normalize' must be a boolean, got " + n->dump());
    normalize = n->get<bool>();
  }
  return std::make_shared<DotImpl>(*it, normalize, base_options_from_config(config));
}

Json DotImpl::get_config() const {
  Json config = base_config();
  config["axes"] = axes_;
  config["normalize"] = normalize_;
  return config;
}

std::pair<int, int> DotImpl::resolve_axes(std::size_t rank_a, std::size_t rank_b) const {
  int a = 0;
  int b = 0;
  if (axes_.is_number_integer()) {
    a = b = axes_.get<int>();
  } else {
    a = axes_[0].get<int>();
    b = axes_[1].get<int>();
  }
  a = normalize_axis(a, static_cast<int>(rank_a));
  b = normalize_axis(b, static_cast<int>(rank_b));
  return {a, b};
}

void DotImpl::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 2)
    throw ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: input_shape=" +
                     shapes_to_string(input_shapes));
  const Shape& a = input_shapes[0];
  const Shape& b = input_shapes[1];
  auto [axis_a, axis_b] = resolve_axes(a.size(), b.size());
  if (a[static_cast<std::size_t>(axis_a)] != b[static_cast<std::size_t>(axis_b)])
    throw ValueError(
        "Incompatible input shapes: axis values " + std::to_string(a[static_cast<std::size_t>(axis_a)]) + " (at axis " +
        std::to_string(axis_a) + ") != " + std::to_string(b[static_cast<std::size_t>(axis_b)]) + " (at axis " +
        std::to_string(axis_b) + "). Full input shapes: " + shape_to_string(a) + ", " + shape_to_string(b));
}

std::vector<TensorSpec> DotImpl::compute_output_spec(const SpecArgs& args) {
  auto inputs = args.tensor_list(0);
  if (inputs.size() != 2) throw ValueError("A `Dot` layer should be called on a list of 2 inputs.");
  Shape a = inputs[0].shape;
  Shape b = inputs[1].shape;
  auto [axis_a, axis_b] = resolve_axes(a.size(), b.size());
  a.erase(a.begin() + axis_a);
  b.erase(b.begin() + axis_b);
  b.erase(b.begin());
  a.insert(a.end(), b.begin(), b.end());
  if (a.size() == 1) a.push_back(1);
  return {TensorSpec{a, compute_dtype()}};
}

std::vector<Tensor> DotImpl::call(const CallArgs& args) {
  std::vector<Tensor> inputs = merge_inputs(args);
  if (inputs.size() != 2)
    throw ValueError("A `Dot` layer should be called on exactly 2 inputs. Received " + std::to_string(inputs.size()) +
                     " inputs");
  Tensor x = inputs[0].astype(DType::float32);
  Tensor y = inputs[1].astype(DType::float32);
  if (x.rank() < 2 || y.rank() < 2)
    throw ValueError("Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes " +
                     shape_to_string(x.shape()) + " and " + shape_to_string(y.shape()) + ".");
  if (x.dim(0) != y.dim(0))
    throw ValueError("Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes " +
                     shape_to_string(x.shape()) + " and " + shape_to_string(y.shape()) + ".");
  auto [axis_a, axis_b] = resolve_axes(static_cast<std::size_t>(x.rank()), static_cast<std::size_t>(y.rank()));
  if (axis_a == 0 || axis_b == 0)
    throw ValueError(
        "Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy batch "
        "dimension to your inputs using keras.ops.expand_dims(x, 0)");
  if (x.dim(axis_a) != y.dim(axis_b))
    throw ShapeMismatchError("Cannot do batch_dot on inputs with shapes " + shape_to_string(x.shape()) + " and " +
                             shape_to_string(y.shape()) + " with axes=[" + std::to_string(axis_a) + ", " +
                             std::to_string(axis_b) + "].");
  if (normalize_) {
    x = l2_normalize_numpy(x, axis_a);
    y = l2_normalize_numpy(y, axis_b);
  }
  // batch_dot: x -> [B, M, K] (contracted axis last), y -> [B, K, N] (contracted axis second).
  const std::int64_t batch = x.dim(0);
  const std::int64_t k = x.dim(axis_a);
  std::vector<int> perm_x{0};
  Shape x_rest;
  for (int i = 1; i < x.rank(); ++i) {
    if (i == axis_a) continue;
    perm_x.push_back(i);
    x_rest.push_back(x.dim(i));
  }
  perm_x.push_back(axis_a);
  std::vector<int> perm_y{0, axis_b};
  Shape y_rest;
  for (int i = 1; i < y.rank(); ++i) {
    if (i == axis_b) continue;
    perm_y.push_back(i);
    y_rest.push_back(y.dim(i));
  }
  std::int64_t m = 1;
  for (auto d : x_rest) m *= d;
  std::int64_t n = 1;
  for (auto d : y_rest) n *= d;
  Tensor xm = kernels::reshape(kernels::transpose(x, perm_x), {batch, m, k});
  Tensor ym = kernels::reshape(kernels::transpose(y, perm_y), {batch, k, n});
  Shape out_shape{batch};
  out_shape.insert(out_shape.end(), x_rest.begin(), x_rest.end());
  out_shape.insert(out_shape.end(), y_rest.begin(), y_rest.end());
  if (out_shape.size() == 1) out_shape.push_back(1);
  Tensor out = kernels::reshape(kernels::matmul(xm, ym), out_shape);
  return {to_dtype(out, compute_dtype())};
}

std::vector<ad::Var> DotImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                        TapeVariables& /*variables*/) {
  std::vector<ad::Var> inputs = tape_arg_list(args, tensors);
  if (inputs.size() != 2) throw ValueError("A `Dot` layer should be called on exactly 2 inputs.");
  ad::Var x = inputs[0];
  ad::Var y = inputs[1];
  auto [axis_a, axis_b] = resolve_axes(static_cast<std::size_t>(x.rank()), static_cast<std::size_t>(y.rank()));
  if (normalize_) {
    // numpy-backend normalize: x / ||x||, zero norms left as 1.
    auto normalized = [](const ad::Var& v, int axis) {
      ad::Var norm = ad::sqrt(ad::sum(ad::square(v), {axis}, true));
      norm = ad::where(kernels::equal(norm.value(), Tensor::scalar(0.0F)), ad::scalar(1.0F), norm);
      return v / norm;
    };
    x = normalized(x, axis_a);
    y = normalized(y, axis_b);
  }
  const std::int64_t batch = x.dim(0);
  const std::int64_t k = x.dim(axis_a);
  std::vector<int> perm_x{0};
  Shape rest;
  for (int i = 1; i < x.rank(); ++i) {
    if (i == axis_a) continue;
    perm_x.push_back(i);
    rest.push_back(x.dim(i));
  }
  perm_x.push_back(axis_a);
  std::vector<int> perm_y{0, axis_b};
  std::int64_t m = 1;
  for (auto d : rest) m *= d;
  std::int64_t n = 1;
  for (int i = 1; i < y.rank(); ++i) {
    if (i == axis_b) continue;
    perm_y.push_back(i);
    rest.push_back(y.dim(i));
    n *= y.dim(i);
  }
  ad::Var xm = ad::reshape(ad::transpose(x, perm_x), {batch, m, k});
  ad::Var ym = ad::reshape(ad::transpose(y, perm_y), {batch, k, n});
  Shape out_shape{batch};
  out_shape.insert(out_shape.end(), rest.begin(), rest.end());
  if (out_shape.size() == 1) out_shape.push_back(1);
  return {ad::reshape(ad::matmul(xm, ym), out_shape)};
}

}  // namespace keras::detail

namespace keras::layers {

namespace {
template <typename Options>
LayerBaseOptions base_of(const Options& o) {
  return {o.name, o.dtype, o.trainable};
}
using Kind = detail::MergeImpl::Kind;
}  // namespace

Add::Add(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::add, base_of(o))) {}
Subtract::Subtract(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::subtract, base_of(o))) {}
Multiply::Multiply(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::multiply, base_of(o))) {}
Average::Average(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::average, base_of(o))) {}
Maximum::Maximum(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::maximum, base_of(o))) {}
Minimum::Minimum(const MergeOptions& o) : LayerRef(std::make_shared<detail::MergeImpl>(Kind::minimum, base_of(o))) {}
Concatenate::Concatenate(const ConcatenateOptions& o)
    : LayerRef(std::make_shared<detail::ConcatenateImpl>(o.axis, base_of(o))) {}
Dot::Dot(int axes, const DotOptions& o)
    : LayerRef(std::make_shared<detail::DotImpl>(Json(axes), o.normalize, base_of(o))) {}
Dot::Dot(int axis_a, int axis_b, const DotOptions& o)
    : LayerRef(std::make_shared<detail::DotImpl>(Json::array({axis_a, axis_b}), o.normalize, base_of(o))) {}

KerasTensor add(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Add(o)(inputs); }
KerasTensor subtract(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Subtract(o)(inputs); }
KerasTensor multiply(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Multiply(o)(inputs); }
KerasTensor average(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Average(o)(inputs); }
KerasTensor maximum(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Maximum(o)(inputs); }
KerasTensor minimum(const std::vector<KerasTensor>& inputs, const MergeOptions& o) { return Minimum(o)(inputs); }
KerasTensor concatenate(const std::vector<KerasTensor>& inputs, const ConcatenateOptions& o) {
  return Concatenate(o)(inputs);
}
KerasTensor dot(const std::vector<KerasTensor>& inputs, int axes, const DotOptions& o) { return Dot(axes, o)(inputs); }

}  // namespace keras::layers
