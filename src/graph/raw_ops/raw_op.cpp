// The raw operations keras-cpp runs inside graphs: their Keras identity and
// constructor parameters, shape/dtype inference and kernels.
#include "graph/raw_ops/raw_op.hpp"
#include "graph/config_json.hpp"

#include <algorithm>
#include <map>

#include "graph/raw_ops/inference.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using graph_ops::DTypeArg;

namespace {

constexpr const char* kNumpy = "keras.src.ops.numpy";
constexpr const char* kNN = "keras.src.ops.nn";
constexpr const char* kCore = "keras.src.ops.core";
constexpr const char* kMath = "keras.src.ops.math";

// ------------------------------------------------------------ arguments

// Positional argument i as shape + dtype argument (a constant is a scalar).
struct SpecOperand {
  Shape shape;
  DTypeArg type;
};

SpecOperand spec_operand(const RawOp& op, const SpecArgs& args, std::size_t i) {
  if (i >= args.args.size()) throw ValueError(op.describe() + ": missing positional argument " + std::to_string(i));
  const Json& a = args.args[i];
  if (SpecArgs::is_ref(a)) {
    const TensorSpec& s = args.ref(a);
    return {s.shape, graph_ops::tensor_dtype_arg(s.dtype)};
  }
  if (!a.is_number() && !a.is_boolean())
    throw ValueError(op.describe() + ": argument " + std::to_string(i) + " must be a tensor or a number, got " +
                     a.dump());
  return {{}, graph_ops::constant_dtype_arg(a)};
}

DTypeArg run_dtype_arg(const CallArgs& args, std::size_t i) {
  const Json& a = args.args.at(i);
  if (CallArgs::is_ref(a)) return graph_ops::tensor_dtype_arg(args.ref(a).dtype());
  return graph_ops::constant_dtype_arg(a);
}

// Positional argument i as a tensor of `dtype` (constants become scalars).
Tensor run_operand(const RawOp& op, const CallArgs& args, std::size_t i, DType dtype) {
  if (i >= args.args.size()) throw ValueError(op.describe() + ": missing positional argument " + std::to_string(i));
  const Json& a = args.args[i];
  if (CallArgs::is_ref(a)) return args.ref(a).astype(dtype);
  if (a.is_boolean()) return Tensor::scalar(a.get<bool>() ? 1.0F : 0.0F, dtype);
  if (a.is_number_integer()) return Tensor::from_vector_i64({}, {a.get<std::int64_t>()}, dtype);
  if (a.is_number_float()) return Tensor::full({}, static_cast<float>(a.get<double>()), dtype);
  throw ValueError(op.describe() + ": argument " + std::to_string(i) + " must be a tensor or a number, got " +
                   a.dump());
}

const TensorSpec& spec_tensor(const RawOp& op, const SpecArgs& args, std::size_t i) {
  if (i >= args.args.size() || !SpecArgs::is_ref(args.args[i]))
    throw ValueError(op.describe() + ": positional argument " + std::to_string(i) + " must be a tensor");
  return args.ref(args.args[i]);
}

const Tensor& run_tensor(const RawOp& op, const CallArgs& args, std::size_t i) {
  if (i >= args.args.size() || !CallArgs::is_ref(args.args[i]))
    throw ValueError(op.describe() + ": positional argument " + std::to_string(i) + " must be a tensor");
  return args.ref(args.args[i]);
}

int int_param(const RawOp& op, const std::string& key) {
  const Json& v = op.param(key);
  if (!v.is_number_integer()) throw FormatError(op.describe() + ": '" + key + "' must be an integer, got " + v.dump());
  return v.get<int>();
}

bool bool_param(const RawOp& op, const std::string& key) {
  const Json& v = op.param(key);
  if (!v.is_boolean()) throw FormatError(op.describe() + ": '" + key + "' must be a boolean, got " + v.dump());
  return v.get<bool>();
}

float float_param(const RawOp& op, const std::string& key) {
  const Json& v = op.param(key);
  if (!v.is_number()) throw FormatError(op.describe() + ": '" + key + "' must be a number, got " + v.dump());
  return v.get<float>();
}

std::vector<int> int_list_param(const RawOp& op, const std::string& key) {
  const Json& v = op.param(key);
  std::vector<int> out;
  if (v.is_number_integer()) return {v.get<int>()};
  if (!v.is_array()) throw FormatError(op.describe() + ": '" + key + "' must be a list of integers, got " + v.dump());
  for (const auto& item : v) {
    if (!item.is_number_integer())
      throw FormatError(op.describe() + ": '" + key + "' must be a list of integers, got " + v.dump());
    out.push_back(item.get<int>());
  }
  return out;
}

// ------------------------------------------------------- elementwise ops

bool is_int_or_bool(DType d) { return !is_floating(d); }

// Unary math whose integer inputs give floatx (Exp, Log, Sqrt, Tanh, ...).
DType float_result(DType d) { return is_int_or_bool(d) ? DType::float32 : d; }

RawOpDef unary(const std::string& class_name, const std::string& module,
               const std::function<Tensor(const Tensor&)>& kernel, const std::function<DType(DType)>& out_dtype) {
  RawOpDef def{class_name, module, {}, nullptr, nullptr};
  def.spec = [out_dtype](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{{x.shape, out_dtype(x.dtype)}};
  };
  def.run = [kernel, out_dtype](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    return std::vector<Tensor>{kernel(x).astype(out_dtype(x.dtype()))};
  };
  return def;
}

DType same_dtype(DType d) { return d; }
DType bool_to_int32(DType d) { return d == DType::bool_ ? DType::int32 : d; }

enum class BinaryKind { arithmetic, float_division, comparison, logical };

RawOpDef binary(const std::string& class_name, kernels::BinaryOp kernel_op, BinaryKind kind) {
  RawOpDef def{class_name, kNumpy, {}, nullptr, nullptr};
  auto out_dtype = [kind](const std::vector<DTypeArg>& types) {
    if (kind == BinaryKind::comparison || kind == BinaryKind::logical) return DType::bool_;
    auto all = types;
    if (kind == BinaryKind::float_division) all.push_back({"float32", true});
    return graph_ops::result_type(all);
  };
  def.spec = [out_dtype](const RawOp& op, const SpecArgs& args) {
    SpecOperand a = spec_operand(op, args, 0);
    SpecOperand b = spec_operand(op, args, 1);
    return std::vector<TensorSpec>{{graph_ops::broadcast_shapes(a.shape, b.shape), out_dtype({a.type, b.type})}};
  };
  def.run = [kind, kernel_op, out_dtype](const RawOp& op, const CallArgs& args) {
    std::vector<DTypeArg> types{run_dtype_arg(args, 0), run_dtype_arg(args, 1)};
    DType out = out_dtype(types);
    // Operands are brought to the promoted dtype first, as the backend does.
    DType compute = kind == BinaryKind::logical ? DType::bool_ : graph_ops::result_type(types);
    if (kind == BinaryKind::float_division) compute = out;
    Tensor a = kind == BinaryKind::logical && CallArgs::is_ref(args.args.at(0)) ? run_tensor(op, args, 0)
                                                                                : run_operand(op, args, 0, compute);
    Tensor b = kind == BinaryKind::logical && CallArgs::is_ref(args.args.at(1)) ? run_tensor(op, args, 1)
                                                                                : run_operand(op, args, 1, compute);
    return std::vector<Tensor>{kernels::binary(kernel_op, a, b).astype(out)};
  };
  return def;
}

// --------------------------------------------------------------- reductions

using ReduceKernel = Tensor (*)(const Tensor&, const std::vector<int>&, bool);

RawOpDef reduction(const std::string& class_name, ReduceKernel kernel, const std::function<DType(DType)>& out_dtype,
                   bool with_initial = false) {
  RawOpDef def{class_name, kNumpy, {{"axis", Json(nullptr)}, {"keepdims", Json(false)}}, nullptr, nullptr};
  if (with_initial) def.params.emplace_back("initial", Json(nullptr));
  def.spec = [out_dtype](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{
        {graph_ops::reduced_shape(x.shape, op.param("axis"), bool_param(op, "keepdims"), op.describe()),
         out_dtype(x.dtype)}};
  };
  def.run = [kernel, out_dtype, with_initial](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    if (with_initial && !op.param("initial").is_null())
      throw NotImplementedError(op.describe() + ": 'initial' other than None is not supported");
    auto axes = graph_ops::axes_from_json(op.param("axis"), x.rank(), op.describe());
    // An explicit empty axis list reduces nothing (the kernels read {} as "every axis").
    Tensor out = axes.empty() && x.rank() > 0 ? x : kernel(x, axes, bool_param(op, "keepdims"));
    return std::vector<Tensor>{out.astype(out_dtype(x.dtype()))};
  };
  return def;
}

DType mean_dtype(DType d) { return is_int_or_bool(d) ? DType::float32 : d; }
DType sum_dtype(DType d) {
  if (d == DType::bool_ || d == DType::int8 || d == DType::int16) return DType::int32;
  if (d == DType::uint8 || d == DType::uint16) return DType::uint32;
  return graph_ops::result_type({graph_ops::tensor_dtype_arg(d)});
}
DType to_bool(DType) { return DType::bool_; }
DType var_dtype(DType d) { return graph_ops::result_type({graph_ops::tensor_dtype_arg(d), {"float32", true}}); }

// --------------------------------------------------------------- get_item

struct KeyEntry {
  enum class Kind { index, slice, newaxis, ellipsis } kind;
  std::int64_t index = 0;
  Json start, stop, step;
};

std::vector<KeyEntry> decode_key(const RawOp& op, const Json& key) {
  auto decode_one = [&](const Json& item) {
    KeyEntry e{KeyEntry::Kind::newaxis, 0, nullptr, nullptr, nullptr};
    if (item.is_null()) return e;
    if (item.is_number_integer()) {
      e.kind = KeyEntry::Kind::index;
      e.index = item.get<std::int64_t>();
      return e;
    }
    if (item.is_object() && detail::config_value(item, "class_name", "") == "__slice__") {
      const Json& c = item.at("config");
      e.kind = KeyEntry::Kind::slice;
      e.start = detail::config_value(c, "start", Json(nullptr));
      e.stop = detail::config_value(c, "stop", Json(nullptr));
      e.step = detail::config_value(c, "step", Json(nullptr));
      for (const Json* v : {&e.start, &e.stop, &e.step}) {
        if (!v->is_null() && !v->is_number_integer())
          throw NotImplementedError(op.describe() + ": slice bounds must be integers or None, got " + item.dump());
      }
      if (!e.step.is_null() && e.step.get<std::int64_t>() == 0)
        throw ValueError(op.describe() + ": slice step cannot be zero");
      return e;
    }
    if (item.is_object() && detail::config_value(item, "class_name", "") == "__ellipsis__") {
      e.kind = KeyEntry::Kind::ellipsis;
      return e;
    }
    if (SpecArgs::is_ref(item)) throw NotImplementedError(op.describe() + ": indexing with a tensor is not supported");
    throw ValueError(op.describe() + ": unsupported key type for array slice: " + item.dump());
  };
  std::vector<KeyEntry> entries;
  if (key.is_array()) {
    for (const auto& item : key) entries.push_back(decode_one(item));
  } else {
    entries.push_back(decode_one(key));
  }
  auto ellipses = std::count_if(entries.begin(), entries.end(),
                                [](const KeyEntry& e) { return e.kind == KeyEntry::Kind::ellipsis; });
  if (ellipses > 1) throw ValueError(op.describe() + ": slice should only have one ellipsis. Received: " + key.dump());
  if (ellipses == 0) entries.push_back({KeyEntry::Kind::ellipsis, 0, nullptr, nullptr, nullptr});
  return entries;
}

// Walks the key against a shape as Keras' GetItem.compute_output_spec does.
// Calls on_axis(entry or nullptr for a kept axis, input axis) for every input axis.
Shape walk_key(const RawOp& op, const std::vector<KeyEntry>& entries, const Shape& shape,
               const std::function<void(const KeyEntry*, std::size_t)>& on_axis) {
  Shape out;
  std::size_t axis = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const KeyEntry& e = entries[k];
    if (e.kind == KeyEntry::Kind::ellipsis) {
      std::size_t needed = 0;
      for (std::size_t j = k + 1; j < entries.size(); ++j) {
        if (entries[j].kind != KeyEntry::Kind::newaxis) ++needed;
      }
      if (needed > shape.size() - axis)
        throw ValueError(op.describe() + ": array has shape " + shape_to_string(shape) +
                         " but slice has too many indices");
      std::size_t consumed = shape.size() - axis - needed;
      for (std::size_t j = 0; j < consumed; ++j, ++axis) {
        out.push_back(shape[axis]);
        on_axis(nullptr, axis);
      }
      continue;
    }
    if (e.kind == KeyEntry::Kind::newaxis) {
      out.push_back(1);
      continue;
    }
    if (axis >= shape.size())
      throw ValueError(op.describe() + ": array has shape " + shape_to_string(shape) +
                       " but slice has too many indices");
    std::int64_t length = shape[axis];
    if (e.kind == KeyEntry::Kind::index) {
      if (length >= 0) {
        std::int64_t index = e.index >= 0 ? e.index : e.index + length;
        if (index < 0 || index >= length)
          throw ValueError(op.describe() + ": array has shape " + shape_to_string(shape) + " but out-of-bounds index " +
                           std::to_string(e.index) + " was requested.");
      }
    } else {
      out.push_back(length >= 0 ? graph_ops::slice_length(e.start, e.stop, e.step, length) : kUnknownDim);
    }
    on_axis(&e, axis);
    ++axis;
  }
  return out;
}

RawOpDef get_item_def() {
  RawOpDef def{"GetItem", kNumpy, {}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    if (args.args.size() < 2) throw ValueError(op.describe() + ": missing key");
    auto entries = decode_key(op, args.args[1]);
    Shape out = walk_key(op, entries, x.shape, [](const KeyEntry*, std::size_t) {});
    return std::vector<TensorSpec>{{out, x.dtype}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    if (args.args.size() < 2) throw ValueError(op.describe() + ": missing key");
    auto entries = decode_key(op, args.args[1]);
    std::vector<kernels::SliceSpec> specs(static_cast<std::size_t>(x.rank()));
    Shape out = walk_key(op, entries, x.shape(), [&](const KeyEntry* e, std::size_t axis) {
      if (e == nullptr) return;
      kernels::SliceSpec& s = specs[axis];
      if (e->kind == KeyEntry::Kind::index) {
        std::int64_t index = e->index >= 0 ? e->index : e->index + x.shape()[axis];
        s.start = index;
        s.stop = index + 1;
      } else {
        if (!e->start.is_null()) s.start = e->start.get<std::int64_t>();
        if (!e->stop.is_null()) s.stop = e->stop.get<std::int64_t>();
        if (!e->step.is_null()) s.step = e->step.get<std::int64_t>();
      }
    });
    return std::vector<Tensor>{kernels::strided_slice(x, specs).reshape(out)};
  };
  return def;
}

// ----------------------------------------------------------- shape ops

Shape reshape_output_shape(const RawOp& op, const Shape& input, const std::vector<std::int64_t>& newshape) {
  if (std::count(newshape.begin(), newshape.end(), -1) > 1)
    throw ValueError(op.describe() + ": there must be at most one unknown dimension (-1) in newshape");
  bool input_unknown = std::any_of(input.begin(), input.end(), [](std::int64_t d) { return d < 0; });
  if (input_unknown) return newshape;  // -1 stays None
  std::int64_t input_size = shape_size(input);
  std::int64_t known = 1;
  std::ptrdiff_t unknown_index = -1;
  for (std::size_t i = 0; i < newshape.size(); ++i) {
    if (newshape[i] == -1)
      unknown_index = static_cast<std::ptrdiff_t>(i);
    else
      known *= newshape[i];
  }
  Shape out = newshape;
  if (unknown_index < 0) {
    if (known != input_size)
      throw ValueError(op.describe() + ": the total size of the tensor must be unchanged. Received: input_shape=" +
                       shape_to_string(input) + ", newshape=" + shape_to_string(newshape));
    return out;
  }
  if (known == 0 || input_size % known != 0)
    throw ValueError(op.describe() + ": the total size of the tensor must be unchanged. Received: input_shape=" +
                     shape_to_string(input) + ", newshape=" + shape_to_string(newshape));
  out[static_cast<std::size_t>(unknown_index)] = input_size / known;
  return out;
}

std::vector<std::int64_t> newshape_param(const RawOp& op) {
  const Json& v = op.param("newshape");
  std::vector<std::int64_t> out;
  if (v.is_number_integer()) return {v.get<std::int64_t>()};
  if (!v.is_array()) throw FormatError(op.describe() + ": 'newshape' must be a list of integers, got " + v.dump());
  for (const auto& d : v) {
    if (!d.is_number_integer() || d.get<std::int64_t>() < -1)
      throw FormatError(op.describe() + ": 'newshape' must be a list of integers, got " + v.dump());
    out.push_back(d.get<std::int64_t>());
  }
  return out;
}

std::vector<int> transpose_axes(const RawOp& op, int rank) {
  std::vector<int> axes;
  if (op.param("axes").is_null()) {
    for (int i = rank - 1; i >= 0; --i) axes.push_back(i);
    return axes;
  }
  axes = int_list_param(op, "axes");
  if (static_cast<int>(axes.size()) != rank)
    throw ValueError(op.describe() + ": axes " + op.param("axes").dump() + " do not match a tensor of rank " +
                     std::to_string(rank));
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (int& a : axes) {
    a = normalize_axis(a, rank);
    if (seen[static_cast<std::size_t>(a)]) throw ValueError(op.describe() + ": repeated axis in transpose");
    seen[static_cast<std::size_t>(a)] = true;
  }
  return axes;
}

std::vector<int> expand_axes(const RawOp& op, int rank) {
  auto axes = int_list_param(op, "axis");
  int out_rank = rank + static_cast<int>(axes.size());
  for (int& a : axes) a = normalize_axis(a, out_rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw ValueError(op.describe() + ": repeated axis in expand_dims");
  return axes;
}

Shape expand_shape(const Shape& shape, const std::vector<int>& sorted_axes) {
  Shape out;
  std::size_t src = 0;
  const std::size_t out_rank = shape.size() + sorted_axes.size();
  for (std::size_t i = 0; i < out_rank; ++i) {
    if (std::binary_search(sorted_axes.begin(), sorted_axes.end(), static_cast<int>(i)))
      out.push_back(1);
    else
      out.push_back(shape[src++]);
  }
  return out;
}

std::vector<int> squeeze_axes(const RawOp& op, const Shape& shape) {
  std::vector<int> axes;
  const int rank = static_cast<int>(shape.size());
  if (op.param("axis").is_null()) {
    for (int i = 0; i < rank; ++i) {
      if (shape[static_cast<std::size_t>(i)] == 1) axes.push_back(i);
    }
    return axes;
  }
  for (int a : int_list_param(op, "axis")) {
    int n = normalize_axis(a, rank);
    if (shape[static_cast<std::size_t>(n)] != 1)
      throw ValueError(op.describe() + ": cannot squeeze axis " + std::to_string(a) +
                       ", because the dimension is not 1.");
    axes.push_back(n);
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

Shape remove_axes(const Shape& shape, const std::vector<int>& sorted_axes) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(sorted_axes.begin(), sorted_axes.end(), static_cast<int>(i))) out.push_back(shape[i]);
  }
  return out;
}

Shape matmul_shape(const RawOp& op, const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) throw ValueError(op.describe() + ": matmul operands must have rank >= 1");
  Shape a = a_in.size() == 1 ? Shape{1, a_in[0]} : a_in;
  Shape b = b_in.size() == 1 ? Shape{b_in[0], 1} : b_in;
  std::int64_t ka = a.back();
  std::int64_t kb = b[b.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    throw ShapeMismatchError(op.describe() + ": incompatible shapes for matmul: " + shape_to_string(a_in) + " and " +
                             shape_to_string(b_in));
  Shape out = graph_ops::broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  out.push_back(a[a.size() - 2]);
  out.push_back(b.back());
  if (a_in.size() == 1) out.erase(out.end() - 2);
  if (b_in.size() == 1) out.pop_back();
  return out;
}

std::vector<Json> list_items(const RawOp& op, const Json& arg) {
  if (!arg.is_array()) throw ValueError(op.describe() + ": expected a list of tensors, got " + arg.dump());
  return std::vector<Json>(arg.begin(), arg.end());
}

// The tensors of a list argument (Concatenate, Stack), cast to their common result type.
std::vector<Tensor> items_in_result_type(const RawOp& op, const CallArgs& args) {
  auto items = list_items(op, args.args.at(0));
  std::vector<DTypeArg> types;
  for (const auto& item : items) types.push_back(graph_ops::tensor_dtype_arg(args.ref(item).dtype()));
  const DType out = graph_ops::result_type(types);
  std::vector<Tensor> parts;
  for (const auto& item : items) parts.push_back(args.ref(item).astype(out));
  return parts;
}

RawOpDef concatenate_def() {
  RawOpDef def{"Concatenate", kNumpy, {{"axis", Json(0)}}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    if (args.args.empty()) throw ValueError(op.describe() + ": missing the list of tensors");
    auto items = list_items(op, args.args[0]);
    if (items.empty()) throw ValueError(op.describe() + ": needs at least one tensor");
    std::vector<TensorSpec> specs;
    std::vector<DTypeArg> types;
    for (const auto& item : items) {
      if (!SpecArgs::is_ref(item)) throw ValueError(op.describe() + ": expected a list of tensors");
      specs.push_back(args.ref(item));
      types.push_back(graph_ops::tensor_dtype_arg(specs.back().dtype));
    }
    const Shape& first = specs.front().shape;
    int axis = normalize_axis(int_param(op, "axis"), static_cast<int>(first.size()));
    std::int64_t total = 0;
    for (const auto& s : specs) {
      if (s.shape.size() != first.size())
        throw ValueError(op.describe() + ": all tensors must have the same rank, got " + shape_to_string(first) +
                         " and " + shape_to_string(s.shape));
      for (std::size_t d = 0; d < first.size(); ++d) {
        if (static_cast<int>(d) != axis && first[d] >= 0 && s.shape[d] >= 0 && first[d] != s.shape[d])
          throw ValueError(op.describe() + ": shapes " + shape_to_string(first) + " and " + shape_to_string(s.shape) +
                           " cannot be concatenated on axis " + std::to_string(axis));
      }
      std::int64_t d = s.shape[static_cast<std::size_t>(axis)];
      total = (total < 0 || d < 0) ? kUnknownDim : total + d;
    }
    Shape out = first;
    out[static_cast<std::size_t>(axis)] = total;
    return std::vector<TensorSpec>{{out, graph_ops::result_type(types)}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    return std::vector<Tensor>{kernels::concatenate(items_in_result_type(op, args), int_param(op, "axis"))};
  };
  return def;
}

RawOpDef stack_def() {
  RawOpDef def{"Stack", kNumpy, {{"axis", Json(0)}}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    if (args.args.empty()) throw ValueError(op.describe() + ": missing the list of tensors");
    auto items = list_items(op, args.args[0]);
    if (items.empty()) throw ValueError(op.describe() + ": needs at least one tensor");
    std::vector<DTypeArg> types;
    Shape first;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!SpecArgs::is_ref(items[i])) throw ValueError(op.describe() + ": expected a list of tensors");
      const TensorSpec& s = args.ref(items[i]);
      if (i == 0)
        first = s.shape;
      else if (s.shape.size() != first.size())
        throw ValueError(op.describe() + ": all tensors must have the same shape");
      types.push_back(graph_ops::tensor_dtype_arg(s.dtype));
    }
    int axis = normalize_axis(int_param(op, "axis"), static_cast<int>(first.size()) + 1);
    Shape out = first;
    out.insert(out.begin() + axis, static_cast<std::int64_t>(items.size()));
    return std::vector<TensorSpec>{{out, graph_ops::result_type(types)}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    return std::vector<Tensor>{kernels::stack(items_in_result_type(op, args), int_param(op, "axis"))};
  };
  return def;
}

RawOpDef where_def() {
  RawOpDef def{"Where", kNumpy, {}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& cond = spec_tensor(op, args, 0);
    SpecOperand a = spec_operand(op, args, 1);
    SpecOperand b = spec_operand(op, args, 2);
    Shape shape = graph_ops::broadcast_shapes(cond.shape, graph_ops::broadcast_shapes(a.shape, b.shape));
    return std::vector<TensorSpec>{{shape, graph_ops::result_type({a.type, b.type})}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    DType out = graph_ops::result_type({run_dtype_arg(args, 1), run_dtype_arg(args, 2)});
    Tensor result =
        kernels::where(run_tensor(op, args, 0), run_operand(op, args, 1, out), run_operand(op, args, 2, out));
    return std::vector<Tensor>{result.astype(out)};
  };
  return def;
}

RawOpDef clip_def() {
  RawOpDef def{"Clip", kNumpy, {{"x_min", std::nullopt}, {"x_max", std::nullopt}}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{{x.shape, bool_to_int32(x.dtype)}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    return std::vector<Tensor>{
        kernels::clip(x, float_param(op, "x_min"), float_param(op, "x_max")).astype(bool_to_int32(x.dtype()))};
  };
  return def;
}

RawOpDef cast_def() {
  RawOpDef def{"Cast", kCore, {{"dtype", std::nullopt}}, nullptr, nullptr};
  auto target = [](const RawOp& op) {
    const Json& v = op.param("dtype");
    if (!v.is_string()) throw FormatError(op.describe() + ": 'dtype' must be a string, got " + v.dump());
    return dtype_from_name(v.get<std::string>());
  };
  def.spec = [target](const RawOp& op, const SpecArgs& args) {
    return std::vector<TensorSpec>{{spec_tensor(op, args, 0).shape, target(op)}};
  };
  def.run = [target](const RawOp& op, const CallArgs& args) {
    return std::vector<Tensor>{kernels::cast(run_tensor(op, args, 0), target(op))};
  };
  return def;
}

RawOpDef matmul_def() {
  RawOpDef def{"Matmul", kNumpy, {}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& a = spec_tensor(op, args, 0);
    const TensorSpec& b = spec_tensor(op, args, 1);
    DType out = graph_ops::result_type({graph_ops::tensor_dtype_arg(a.dtype), graph_ops::tensor_dtype_arg(b.dtype)});
    return std::vector<TensorSpec>{{matmul_shape(op, a.shape, b.shape), out}};
  };
  def.run = [](const RawOp& op, const CallArgs& args) {
    const Tensor& a = run_tensor(op, args, 0);
    const Tensor& b = run_tensor(op, args, 1);
    DType out =
        graph_ops::result_type({graph_ops::tensor_dtype_arg(a.dtype()), graph_ops::tensor_dtype_arg(b.dtype())});
    return std::vector<Tensor>{kernels::matmul(a, b).astype(out)};
  };
  return def;
}

RawOpDef layout_def(const std::string& class_name, std::vector<std::pair<std::string, std::optional<Json>>> params,
                    const std::function<Shape(const RawOp&, const Shape&)>& shape_fn,
                    const std::function<Tensor(const RawOp&, const Tensor&)>& kernel) {
  RawOpDef def{class_name, kNumpy, std::move(params), nullptr, nullptr};
  def.spec = [shape_fn](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{{shape_fn(op, x.shape), x.dtype}};
  };
  def.run = [kernel](const RawOp& op, const CallArgs& args) {
    return std::vector<Tensor>{kernel(op, run_tensor(op, args, 0))};
  };
  return def;
}

RawOpDef arg_reduction(const std::string& class_name, Tensor (*kernel)(const Tensor&, int, bool)) {
  RawOpDef def{class_name, kNumpy, {{"axis", Json(nullptr)}, {"keepdims", Json(false)}}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    bool keepdims = bool_param(op, "keepdims");
    Shape out;
    if (op.param("axis").is_null()) {
      if (keepdims) out.assign(x.shape.size(), 1);
    } else {
      out = graph_ops::reduced_shape(x.shape, op.param("axis"), keepdims, op.describe());
    }
    return std::vector<TensorSpec>{{out, DType::int32}};
  };
  def.run = [kernel](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    bool keepdims = bool_param(op, "keepdims");
    if (op.param("axis").is_null()) {
      Tensor flat = kernel(x.reshape({x.size()}), 0, false);
      if (keepdims) flat = flat.reshape(Shape(static_cast<std::size_t>(x.rank()), 1));
      return std::vector<Tensor>{flat.astype(DType::int32)};
    }
    return std::vector<Tensor>{kernel(x, int_param(op, "axis"), keepdims).astype(DType::int32)};
  };
  return def;
}

RawOpDef softmax_like(const std::string& class_name, bool log) {
  RawOpDef def{class_name, kNN, {{"axis", Json(-1)}}, nullptr, nullptr};
  def.spec = [](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{{x.shape, x.dtype}};
  };
  def.run = [log](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    Tensor out;
    if (op.param("axis").is_array()) {
      auto axes = int_list_param(op, "axis");
      out = log ? kernels::log_softmax(x, axes) : kernels::softmax(x, axes);
    } else {
      int axis = int_param(op, "axis");
      out = log ? kernels::log_softmax(x, axis) : kernels::softmax(x, axis);
    }
    return std::vector<Tensor>{out.astype(x.dtype())};
  };
  return def;
}

// zeros_like / ones_like: x's shape, in `dtype` (null: x's dtype).
RawOpDef full_like_def(const std::string& class_name, float value) {
  RawOpDef def{class_name, kNumpy, {{"dtype", Json(nullptr)}}, nullptr, nullptr};
  auto dtype_of = [](const RawOp& op, DType x) {
    const Json& v = op.param("dtype");
    if (v.is_null()) return x;
    if (!v.is_string()) throw FormatError(op.describe() + ": 'dtype' must be a dtype name or null, got " + v.dump());
    return dtype_from_name(v.get<std::string>());
  };
  def.spec = [dtype_of](const RawOp& op, const SpecArgs& args) {
    const TensorSpec& x = spec_tensor(op, args, 0);
    return std::vector<TensorSpec>{{x.shape, dtype_of(op, x.dtype)}};
  };
  def.run = [dtype_of, value](const RawOp& op, const CallArgs& args) {
    const Tensor& x = run_tensor(op, args, 0);
    return std::vector<Tensor>{Tensor::full(x.shape(), value, dtype_of(op, x.dtype()))};
  };
  return def;
}

std::vector<RawOpDef> build_defs() {
  using kernels::BinaryOp;
  std::vector<RawOpDef> defs;
  // Elementwise binary ops (keras.src.ops.numpy).
  defs.push_back(binary("Add", BinaryOp::add, BinaryKind::arithmetic));
  defs.push_back(binary("Subtract", BinaryOp::subtract, BinaryKind::arithmetic));
  defs.push_back(binary("Multiply", BinaryOp::multiply, BinaryKind::arithmetic));
  defs.push_back(binary("Divide", BinaryOp::divide, BinaryKind::float_division));
  defs.push_back(binary("TrueDivide", BinaryOp::divide, BinaryKind::float_division));
  defs.push_back(binary("FloorDivide", BinaryOp::floor_divide, BinaryKind::arithmetic));
  defs.push_back(binary("Mod", BinaryOp::mod, BinaryKind::arithmetic));
  defs.push_back(binary("Power", BinaryOp::power, BinaryKind::arithmetic));
  defs.push_back(binary("Maximum", BinaryOp::maximum, BinaryKind::arithmetic));
  defs.push_back(binary("Minimum", BinaryOp::minimum, BinaryKind::arithmetic));
  defs.push_back(binary("Equal", BinaryOp::equal, BinaryKind::comparison));
  defs.push_back(binary("NotEqual", BinaryOp::not_equal, BinaryKind::comparison));
  defs.push_back(binary("Less", BinaryOp::less, BinaryKind::comparison));
  defs.push_back(binary("LessEqual", BinaryOp::less_equal, BinaryKind::comparison));
  defs.push_back(binary("Greater", BinaryOp::greater, BinaryKind::comparison));
  defs.push_back(binary("GreaterEqual", BinaryOp::greater_equal, BinaryKind::comparison));
  defs.push_back(binary("LogicalAnd", BinaryOp::logical_and, BinaryKind::logical));
  defs.push_back(binary("LogicalOr", BinaryOp::logical_or, BinaryKind::logical));
  defs.push_back(binary("LogicalXor", BinaryOp::logical_xor, BinaryKind::logical));

  // Elementwise unary ops.
  auto k = [](Tensor (*fn)(const Tensor&)) { return std::function<Tensor(const Tensor&)>(fn); };
  defs.push_back(unary("Negative", kNumpy, k(kernels::neg), same_dtype));
  defs.push_back(unary("Absolute", kNumpy, k(kernels::abs), same_dtype));
  defs.push_back(unary("Abs", kNumpy, k(kernels::abs), same_dtype));
  defs.push_back(unary("Square", kNumpy, k(kernels::square), bool_to_int32));
  defs.push_back(unary("Sqrt", kNumpy, k(kernels::sqrt), float_result));
  defs.push_back(unary("Exp", kNumpy, k(kernels::exp), float_result));
  defs.push_back(unary("Log", kNumpy, k(kernels::log), float_result));
  defs.push_back(unary("Log1p", kNumpy, k(kernels::log1p), float_result));
  defs.push_back(unary("Expm1", kNumpy, k(kernels::expm1), float_result));
  defs.push_back(unary("Tanh", kNumpy, k(kernels::tanh), float_result));
  defs.push_back(unary("Sin", kNumpy, k(kernels::sin), float_result));
  defs.push_back(unary("Cos", kNumpy, k(kernels::cos), float_result));
  defs.push_back(unary("Tan", kNumpy, k(kernels::tan), float_result));
  defs.push_back(unary("Floor", kNumpy, k(kernels::floor), float_result));
  defs.push_back(unary("Ceil", kNumpy, k(kernels::ceil), float_result));
  defs.push_back(unary("Sign", kNumpy, k(kernels::sign), same_dtype));
  defs.push_back(unary("Reciprocal", kNumpy, k(kernels::reciprocal), float_result));
  defs.push_back(unary("LogicalNot", kNumpy, k(kernels::logical_not), to_bool));
  defs.push_back(unary("Rsqrt", kMath, k(kernels::rsqrt), float_result));
  defs.push_back(unary("Erf", kMath, k(kernels::erf), float_result));
  // keras.src.ops.nn activations keep the input dtype.
  defs.push_back(unary(
      "Relu", kNN, [](const Tensor& x) { return kernels::relu(x); }, same_dtype));
  defs.push_back(unary("Relu6", kNN, k(kernels::relu6), same_dtype));
  defs.push_back(unary("Sigmoid", kNN, k(kernels::sigmoid), same_dtype));
  defs.push_back(unary("Silu", kNN, k(kernels::silu), same_dtype));
  defs.push_back(unary("Softplus", kNN, k(kernels::softplus), same_dtype));
  defs.push_back(unary("Softsign", kNN, k(kernels::softsign), same_dtype));
  defs.push_back(unary("HardSigmoid", kNN, k(kernels::hard_sigmoid), same_dtype));
  defs.push_back(unary("LogSigmoid", kNN, k(kernels::log_sigmoid), same_dtype));
  defs.push_back(unary("Selu", kNN, k(kernels::selu), same_dtype));
  defs.push_back(softmax_like("Softmax", false));
  defs.push_back(softmax_like("LogSoftmax", true));
  {
    RawOpDef gelu = unary("Gelu", kNN, nullptr, same_dtype);
    gelu.params = {{"approximate", Json(true)}};
    gelu.run = [](const RawOp& op, const CallArgs& args) {
      const Tensor& x = run_tensor(op, args, 0);
      return std::vector<Tensor>{kernels::gelu(x, bool_param(op, "approximate")).astype(x.dtype())};
    };
    defs.push_back(gelu);
  }
  {
    RawOpDef leaky = unary("LeakyRelu", kNN, nullptr, same_dtype);
    leaky.params = {{"negative_slope", Json(0.2)}};
    leaky.run = [](const RawOp& op, const CallArgs& args) {
      const Tensor& x = run_tensor(op, args, 0);
      return std::vector<Tensor>{kernels::leaky_relu(x, float_param(op, "negative_slope")).astype(x.dtype())};
    };
    defs.push_back(leaky);
  }
  {
    RawOpDef elu = unary("Elu", kNN, nullptr, same_dtype);
    elu.params = {{"alpha", Json(1.0)}};
    elu.run = [](const RawOp& op, const CallArgs& args) {
      const Tensor& x = run_tensor(op, args, 0);
      return std::vector<Tensor>{kernels::elu(x, float_param(op, "alpha")).astype(x.dtype())};
    };
    defs.push_back(elu);
  }

  defs.push_back(full_like_def("ZerosLike", 0.0F));
  defs.push_back(full_like_def("OnesLike", 1.0F));
  defs.push_back(clip_def());
  defs.push_back(where_def());
  defs.push_back(cast_def());
  defs.push_back(matmul_def());
  defs.push_back(concatenate_def());
  defs.push_back(stack_def());
  defs.push_back(get_item_def());

  // Reductions.
  defs.push_back(reduction("Mean", kernels::mean, mean_dtype));
  defs.push_back(reduction("Sum", kernels::sum, sum_dtype));
  defs.push_back(reduction("Max", kernels::max, same_dtype, true));
  defs.push_back(reduction("Min", kernels::min, same_dtype, true));
  defs.push_back(reduction("Any", kernels::any, to_bool));
  defs.push_back(reduction("All", kernels::all, to_bool));
  defs.push_back(reduction("Var", kernels::var, var_dtype));
  defs.push_back(reduction("Std", kernels::stddev, var_dtype));
  {
    RawOpDef prod = reduction("Prod", kernels::prod, sum_dtype);
    prod.params.emplace_back("dtype", Json(nullptr));
    auto base_spec = prod.spec;
    auto base_run = prod.run;
    auto with_dtype = [](const RawOp& op, DType d) {
      const Json& v = op.param("dtype");
      return v.is_string() ? dtype_from_name(v.get<std::string>()) : d;
    };
    prod.spec = [base_spec, with_dtype](const RawOp& op, const SpecArgs& args) {
      auto specs = base_spec(op, args);
      specs[0].dtype = with_dtype(op, specs[0].dtype);
      return specs;
    };
    prod.run = [base_run, with_dtype](const RawOp& op, const CallArgs& args) {
      auto out = base_run(op, args);
      out[0] = out[0].astype(with_dtype(op, out[0].dtype()));
      return out;
    };
    defs.push_back(prod);
  }
  defs.push_back(arg_reduction("Argmax", kernels::argmax));
  defs.push_back(arg_reduction("Argmin", kernels::argmin));

  // Layout.
  defs.push_back(layout_def(
      "Transpose", {{"axes", Json(nullptr)}},
      [](const RawOp& op, const Shape& s) {
        auto axes = transpose_axes(op, static_cast<int>(s.size()));
        Shape out;
        for (int a : axes) out.push_back(s[static_cast<std::size_t>(a)]);
        return out;
      },
      [](const RawOp& op, const Tensor& x) { return kernels::transpose(x, transpose_axes(op, x.rank())); }));
  defs.push_back(layout_def(
      "Reshape", {{"newshape", std::nullopt}},
      [](const RawOp& op, const Shape& s) { return reshape_output_shape(op, s, newshape_param(op)); },
      [](const RawOp& op, const Tensor& x) {
        return kernels::reshape(x, reshape_output_shape(op, x.shape(), newshape_param(op)));
      }));
  defs.push_back(layout_def(
      "ExpandDims", {{"axis", std::nullopt}},
      [](const RawOp& op, const Shape& s) { return expand_shape(s, expand_axes(op, static_cast<int>(s.size()))); },
      [](const RawOp& op, const Tensor& x) { return x.reshape(expand_shape(x.shape(), expand_axes(op, x.rank()))); }));
  defs.push_back(layout_def(
      "Squeeze", {{"axis", Json(nullptr)}},
      [](const RawOp& op, const Shape& s) { return remove_axes(s, squeeze_axes(op, s)); },
      [](const RawOp& op, const Tensor& x) { return x.reshape(remove_axes(x.shape(), squeeze_axes(op, x.shape()))); }));
  return defs;
}

}  // namespace

const std::vector<RawOpDef>& raw_op_defs() {
  static const std::vector<RawOpDef> defs = build_defs();
  return defs;
}

const RawOpDef* find_raw_op(const std::string& class_name) {
  static const std::map<std::string, const RawOpDef*> index = [] {
    std::map<std::string, const RawOpDef*> m;
    for (const auto& def : raw_op_defs()) m[def.class_name] = &def;
    return m;
  }();
  auto it = index.find(class_name);
  return it == index.end() ? nullptr : it->second;
}

// ------------------------------------------------------------------ RawOp

RawOp::RawOp(const RawOpDef& def, const Json& params, const std::string& name)
    : Operation(name.empty() ? unique_object_name(to_snake_case(def.class_name)) : name), def_(&def) {
  if (!params.is_null() && !params.is_object())
    throw FormatError("The config of operation " + def.class_name + " must be an object");
  params_ = Json::object();
  for (const auto& [key, fallback] : def.params) {
    auto it = params.is_object() ? params.find(key) : params.end();
    if (params.is_object() && it != params.end()) {
      params_[key] = *it;
    } else if (fallback) {
      params_[key] = *fallback;
    } else {
      throw FormatError("Operation " + def.class_name + " '" + this->name() + "' is missing its required argument '" +
                        key + "'");
    }
  }
}

std::shared_ptr<RawOp> RawOp::create(const std::string& class_name, const Json& params, const std::string& name) {
  const RawOpDef* def = find_raw_op(class_name);
  if (def == nullptr) throw NotImplementedError("keras-cpp does not implement the operation '" + class_name + "'");
  return std::make_shared<RawOp>(*def, params, name);
}

std::shared_ptr<RawOp> RawOp::from_config(const RawOpDef& def, const Json& config) {
  if (!config.is_object()) throw FormatError("The config of operation " + def.class_name + " must be an object");
  std::string name;
  if (auto it = config.find("name"); it != config.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>().find('/') != std::string::npos)
      throw FormatError("Operation " + def.class_name + ": argument `name` must be a string without '/', got " +
                        it->dump());
    name = it->get<std::string>();
  }
  return std::make_shared<RawOp>(def, config, name);
}

Json RawOp::get_config() const {
  Json config{{"name", name()}};
  for (const auto& [key, value] : params_.items()) config[key] = value;
  return config;
}

const Json& RawOp::param(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end()) throw ValueError(describe() + " has no parameter '" + key + "'");
  return *it;
}

std::string RawOp::describe() const { return def_->class_name + " '" + name() + "'"; }

std::vector<TensorSpec> RawOp::compute_output_spec(const SpecArgs& args) { return def_->spec(*this, args); }

std::vector<Tensor> RawOp::call(const CallArgs& args) { return def_->run(*this, args); }

}  // namespace keras::detail
