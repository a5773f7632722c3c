// Keras' dtype promotion lattice (adapted from JAX in
// keras/src/backend/common/dtypes.py) and shape helpers for raw ops.
#include "graph/raw_ops/inference.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace keras::detail::graph_ops {

namespace {

// The promotion lattice without complex types: each type maps to the types
// immediately above it. "int" and "float" are Python's weak types.
const std::map<std::string, std::vector<std::string>>& lattice() {
  static const std::map<std::string, std::vector<std::string>> edges = {
      {"bool", {"int"}},
      {"uint8", {"int16", "uint16"}},
      {"uint16", {"int32", "uint32"}},
      {"uint32", {"int64", "uint64"}},
      {"uint64", {"float"}},
      {"int", {"uint8", "int8"}},
      {"int8", {"int16"}},
      {"int16", {"int32"}},
      {"int32", {"int64"}},
      {"int64", {"float"}},
      {"float", {"bfloat16", "float16"}},
      {"bfloat16", {"float32"}},
      {"float16", {"float32"}},
      {"float32", {"float64"}},
      {"float64", {}},
  };
  return edges;
}

const std::map<std::string, std::set<std::string>>& upper_bounds() {
  static const std::map<std::string, std::set<std::string>> bounds = [] {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& [node, _] : lattice()) {
      std::set<std::string> reach{node};
      std::vector<std::string> stack{node};
      while (!stack.empty()) {
        std::string n = stack.back();
        stack.pop_back();
        for (const auto& up : lattice().at(n)) {
          if (reach.insert(up).second) stack.push_back(up);
        }
      }
      out[node] = reach;
    }
    return out;
  }();
  return bounds;
}

std::string least_upper_bound(const std::set<std::string>& nodes) {
  const auto& ub = upper_bounds();
  std::set<std::string> common;
  bool first = true;
  for (const auto& n : nodes) {
    auto it = ub.find(n);
    if (it == ub.end()) throw ValueError("dtype=" + n + " is not a valid dtype for Keras type promotion.");
    if (first) {
      common = it->second;
      first = false;
    } else {
      std::set<std::string> both;
      std::set_intersection(common.begin(), common.end(), it->second.begin(), it->second.end(),
                            std::inserter(both, both.begin()));
      common = both;
    }
  }
  std::set<std::string> lub;
  for (const auto& n : nodes) {
    if (common.count(n) != 0) lub.insert(n);
  }
  if (lub.empty()) {
    for (const auto& c : common) {
      const auto& c_ub = ub.at(c);
      if (std::includes(c_ub.begin(), c_ub.end(), common.begin(), common.end())) lub.insert(c);
    }
  }
  if (lub.size() != 1) throw ValueError("Input dtypes have no available implicit dtype promotion path.");
  return *lub.begin();
}

std::string respect_weak_type(const std::string& dtype, bool weak) {
  if (!weak || dtype == "bool") return dtype;
  if (dtype.find("float") != std::string::npos) return "float";
  return "int";
}

}  // namespace

DTypeArg tensor_dtype_arg(DType dtype) { return {dtype_name(dtype), false}; }

DTypeArg constant_dtype_arg(const Json& value) {
  if (value.is_boolean()) return {"bool", false};
  if (value.is_number_integer()) return {"int32", true};
  if (value.is_number_float()) return {"float32", true};
  throw ValueError("Expected a number or a tensor, got " + value.dump());
}

DType result_type(const std::vector<DTypeArg>& args) {
  if (args.empty()) return DType::float32;
  std::string out;
  bool out_weak = false;
  bool all_weak = std::all_of(args.begin(), args.end(), [](const DTypeArg& a) { return a.weak; });
  bool all_same = std::all_of(args.begin(), args.end(), [&](const DTypeArg& a) { return a.dtype == args[0].dtype; });
  if (args.size() == 1) {
    out = args[0].dtype;
    out_weak = args[0].weak;
  } else if (all_same && !all_weak) {
    out = args[0].dtype;
  } else if (all_weak) {
    std::set<std::string> nodes;
    for (const auto& a : args) nodes.insert(a.dtype);
    out = least_upper_bound(nodes);
    out_weak = true;
  } else {
    std::set<std::string> nodes;
    for (const auto& a : args) nodes.insert(respect_weak_type(a.dtype, a.weak));
    out = least_upper_bound(nodes);
    out_weak = out == "int" || out == "float";
  }
  out_weak = out != "bool" && out_weak;
  if (out_weak) {
    char indicator = out == "bfloat16" ? 'f' : out[0];
    if (indicator == 'b')
      out = "bool";
    else if (indicator == 'i')
      out = "int32";
    else if (indicator == 'u')
      out = "uint32";
    else
      out = "float32";
  }
  if (out == "int64") out = "int32";
  if (out == "uint64") out = "uint32";
  if (out == "float64") out = "float32";
  return dtype_from_name(out);
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape x(rank - a.size(), 1);
  x.insert(x.end(), a.begin(), a.end());
  Shape y(rank - b.size(), 1);
  y.insert(y.end(), b.begin(), b.end());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    if (x[i] == 1) {
      out[i] = y[i];
    } else if (x[i] < 0) {
      out[i] = y[i] == 1 ? kUnknownDim : y[i];
    } else if (y[i] == 1 || y[i] < 0 || y[i] == x[i]) {
      out[i] = x[i];
    } else {
      throw ShapeMismatchError("Cannot broadcast shape, the failure dim has value " + std::to_string(x[i]) +
                               ", which cannot be broadcasted to " + std::to_string(y[i]) +
                               ". Input shapes are: " + shape_to_string(a) + " and " + shape_to_string(b) + ".");
    }
  }
  return out;
}

std::vector<int> axes_from_json(const Json& axis, int rank, const std::string& what) {
  std::vector<int> axes;
  auto add = [&](const Json& v) {
    if (!v.is_number_integer()) throw ValueError(what + ": axis must be an integer, got " + v.dump());
    axes.push_back(normalize_axis(v.get<int>(), rank));
  };
  if (axis.is_null()) {
    for (int i = 0; i < rank; ++i) axes.push_back(i);
  } else if (axis.is_array()) {
    for (const auto& v : axis) add(v);
  } else {
    add(axis);
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw ValueError(what + ": repeated axis in " + axis.dump());
  return axes;
}

Shape reduced_shape(const Shape& shape, const Json& axis, bool keepdims, const std::string& what) {
  auto axes = axes_from_json(axis, static_cast<int>(shape.size()), what);
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    if (!reduced)
      out.push_back(shape[static_cast<std::size_t>(i)]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

std::int64_t slice_length(const Json& start_json, const Json& stop_json, const Json& step_json, std::int64_t length) {
  std::int64_t step = step_json.is_null() ? 1 : step_json.get<std::int64_t>();
  if (step == 0) throw ValueError("slice step cannot be zero");
  auto clamp_index = [&](const Json& v, std::int64_t fallback) {
    if (v.is_null()) return fallback;
    std::int64_t i = v.get<std::int64_t>();
    if (i < 0) {
      i += length;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= length) {
      i = step < 0 ? length - 1 : length;
    }
    return i;
  };
  std::int64_t start = clamp_index(start_json, step < 0 ? length - 1 : 0);
  std::int64_t stop = clamp_index(stop_json, step < 0 ? -1 : length);
  if (step > 0) return stop > start ? (stop - start + step - 1) / step : 0;
  return start > stop ? (start - stop + (-step) - 1) / (-step) : 0;
}

}  // namespace keras::detail::graph_ops
