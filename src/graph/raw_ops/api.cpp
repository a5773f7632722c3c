// keras::ops on symbolic tensors and the KerasTensor operators: each call
// creates a raw operation and records one node, as keras.ops functions do.
#include <charconv>
#include <cstdlib>

#include "graph/raw_ops/raw_op.hpp"
#include "keras/ops.hpp"

namespace keras::ops {

Json Number::encode_float(double value, bool from_float32) {
  if (!from_float32) return Json(value);
  // Shortest decimal that round-trips the float, read back as a double.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<float>(value));
  *result.ptr = '\0';
  return Json(std::strtod(buffer, nullptr));
}

SymbolicArg Operand::to_arg() const {
  if (const auto* t = std::get_if<KerasTensor>(&value_)) return SymbolicArg(*t);
  return SymbolicArg(std::get<Number>(value_).json());
}

Axis::Axis(std::initializer_list<int> axes) : json_(Json::array()) {
  for (int a : axes) json_.push_back(a);
}

Axis::Axis(const std::vector<int>& axes) : json_(Json::array()) {
  for (int a : axes) json_.push_back(a);
}

KeyItem::KeyItem(const Slice& slice) {
  auto bound = [](const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  json_ = Json{{"class_name", "__slice__"},
               {"config", {{"start", bound(slice.start)}, {"stop", bound(slice.stop)}, {"step", bound(slice.step)}}}};
}

KeyItem::KeyItem(Ellipsis) : json_(Json{{"class_name", "__ellipsis__"}, {"config", Json::object()}}) {}

std::vector<KerasTensor> call_raw_op(const std::string& class_name, const Json& params,
                                     const std::vector<SymbolicArg>& args) {
  auto op = detail::RawOp::create(class_name, params);
  return call_operation(op, args);
}

namespace {

KerasTensor single(const std::string& class_name, const Json& params, const std::vector<SymbolicArg>& args) {
  return call_raw_op(class_name, params, args).at(0);
}

KerasTensor binary(const std::string& class_name, const Operand& x1, const Operand& x2) {
  if (!x1.is_tensor() && !x2.is_tensor())
    throw ValueError("keras::ops::" + class_name + " needs at least one symbolic tensor argument");
  return single(class_name, Json::object(), {x1.to_arg(), x2.to_arg()});
}

KerasTensor unary(const std::string& class_name, const KerasTensor& x, const Json& params = Json::object()) {
  return single(class_name, params, {SymbolicArg(x)});
}

Json reduction_params(const Axis& axis, bool keepdims) { return Json{{"axis", axis.json()}, {"keepdims", keepdims}}; }

}  // namespace

KerasTensor add(const Operand& x1, const Operand& x2) { return binary("Add", x1, x2); }
KerasTensor subtract(const Operand& x1, const Operand& x2) { return binary("Subtract", x1, x2); }
KerasTensor multiply(const Operand& x1, const Operand& x2) { return binary("Multiply", x1, x2); }
KerasTensor divide(const Operand& x1, const Operand& x2) { return binary("Divide", x1, x2); }
KerasTensor true_divide(const Operand& x1, const Operand& x2) { return binary("TrueDivide", x1, x2); }
KerasTensor floor_divide(const Operand& x1, const Operand& x2) { return binary("FloorDivide", x1, x2); }
KerasTensor mod(const Operand& x1, const Operand& x2) { return binary("Mod", x1, x2); }
KerasTensor power(const Operand& x1, const Operand& x2) { return binary("Power", x1, x2); }
KerasTensor maximum(const Operand& x1, const Operand& x2) { return binary("Maximum", x1, x2); }
KerasTensor minimum(const Operand& x1, const Operand& x2) { return binary("Minimum", x1, x2); }

KerasTensor negative(const KerasTensor& x) { return unary("Negative", x); }
KerasTensor absolute(const KerasTensor& x) { return unary("Absolute", x); }
KerasTensor abs(const KerasTensor& x) { return unary("Absolute", x); }
KerasTensor square(const KerasTensor& x) { return unary("Square", x); }
KerasTensor sqrt(const KerasTensor& x) { return unary("Sqrt", x); }
KerasTensor exp(const KerasTensor& x) { return unary("Exp", x); }
KerasTensor log(const KerasTensor& x) { return unary("Log", x); }
KerasTensor log1p(const KerasTensor& x) { return unary("Log1p", x); }
KerasTensor expm1(const KerasTensor& x) { return unary("Expm1", x); }
KerasTensor tanh(const KerasTensor& x) { return unary("Tanh", x); }
KerasTensor sin(const KerasTensor& x) { return unary("Sin", x); }
KerasTensor cos(const KerasTensor& x) { return unary("Cos", x); }
KerasTensor floor(const KerasTensor& x) { return unary("Floor", x); }
KerasTensor ceil(const KerasTensor& x) { return unary("Ceil", x); }
KerasTensor sign(const KerasTensor& x) { return unary("Sign", x); }
KerasTensor reciprocal(const KerasTensor& x) { return unary("Reciprocal", x); }
KerasTensor rsqrt(const KerasTensor& x) { return unary("Rsqrt", x); }
KerasTensor erf(const KerasTensor& x) { return unary("Erf", x); }
KerasTensor clip(const KerasTensor& x, const Number& x_min, const Number& x_max) {
  return unary("Clip", x, Json{{"x_min", x_min.json()}, {"x_max", x_max.json()}});
}

KerasTensor equal(const Operand& x1, const Operand& x2) { return binary("Equal", x1, x2); }
KerasTensor not_equal(const Operand& x1, const Operand& x2) { return binary("NotEqual", x1, x2); }
KerasTensor less(const Operand& x1, const Operand& x2) { return binary("Less", x1, x2); }
KerasTensor less_equal(const Operand& x1, const Operand& x2) { return binary("LessEqual", x1, x2); }
KerasTensor greater(const Operand& x1, const Operand& x2) { return binary("Greater", x1, x2); }
KerasTensor greater_equal(const Operand& x1, const Operand& x2) { return binary("GreaterEqual", x1, x2); }
KerasTensor logical_and(const Operand& x1, const Operand& x2) { return binary("LogicalAnd", x1, x2); }
KerasTensor logical_or(const Operand& x1, const Operand& x2) { return binary("LogicalOr", x1, x2); }
KerasTensor logical_xor(const Operand& x1, const Operand& x2) { return binary("LogicalXor", x1, x2); }
KerasTensor logical_not(const KerasTensor& x) { return unary("LogicalNot", x); }
KerasTensor where(const KerasTensor& condition, const Operand& x1, const Operand& x2) {
  return single("Where", Json::object(), {SymbolicArg(condition), x1.to_arg(), x2.to_arg()});
}

KerasTensor mean(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("Mean", x, reduction_params(axis, keepdims));
}
KerasTensor sum(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("Sum", x, reduction_params(axis, keepdims));
}
KerasTensor max(const KerasTensor& x, const Axis& axis, bool keepdims) {
  Json params = reduction_params(axis, keepdims);
  params["initial"] = nullptr;
  return unary("Max", x, params);
}
KerasTensor min(const KerasTensor& x, const Axis& axis, bool keepdims) {
  Json params = reduction_params(axis, keepdims);
  params["initial"] = nullptr;
  return unary("Min", x, params);
}
KerasTensor prod(const KerasTensor& x, const Axis& axis, bool keepdims) {
  Json params = reduction_params(axis, keepdims);
  params["dtype"] = nullptr;
  return unary("Prod", x, params);
}
KerasTensor var(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("Var", x, reduction_params(axis, keepdims));
}
KerasTensor std(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("Std", x, reduction_params(axis, keepdims));
}
KerasTensor any(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("Any", x, reduction_params(axis, keepdims));
}
KerasTensor all(const KerasTensor& x, const Axis& axis, bool keepdims) {
  return unary("All", x, reduction_params(axis, keepdims));
}
KerasTensor argmax(const KerasTensor& x, std::optional<int> axis, bool keepdims) {
  return unary("Argmax", x, Json{{"axis", axis ? Json(*axis) : Json(nullptr)}, {"keepdims", keepdims}});
}
KerasTensor argmin(const KerasTensor& x, std::optional<int> axis, bool keepdims) {
  return unary("Argmin", x, Json{{"axis", axis ? Json(*axis) : Json(nullptr)}, {"keepdims", keepdims}});
}

KerasTensor matmul(const KerasTensor& x1, const KerasTensor& x2) {
  return single("Matmul", Json::object(), {SymbolicArg(x1), SymbolicArg(x2)});
}
KerasTensor transpose(const KerasTensor& x, std::optional<std::vector<int>> axes) {
  return unary("Transpose", x, Json{{"axes", axes ? Json(*axes) : Json(nullptr)}});
}
KerasTensor reshape(const KerasTensor& x, const std::vector<std::int64_t>& newshape) {
  return unary("Reshape", x, Json{{"newshape", newshape}});
}
KerasTensor concatenate(const std::vector<KerasTensor>& xs, int axis) {
  return single("Concatenate", Json{{"axis", axis}}, {SymbolicArg(xs)});
}
KerasTensor stack(const std::vector<KerasTensor>& xs, int axis) {
  return single("Stack", Json{{"axis", axis}}, {SymbolicArg(xs)});
}
KerasTensor expand_dims(const KerasTensor& x, int axis) { return unary("ExpandDims", x, Json{{"axis", axis}}); }
KerasTensor squeeze(const KerasTensor& x, const Axis& axis) { return unary("Squeeze", x, Json{{"axis", axis.json()}}); }
KerasTensor cast(const KerasTensor& x, const std::string& dtype) {
  return unary("Cast", x, Json{{"dtype", dtype_name(dtype_from_name(dtype))}});
}
KerasTensor zeros_like(const KerasTensor& x, std::optional<std::string> dtype) {
  return unary("ZerosLike", x, Json{{"dtype", dtype ? Json(dtype_name(dtype_from_name(*dtype))) : Json(nullptr)}});
}
KerasTensor ones_like(const KerasTensor& x, std::optional<std::string> dtype) {
  return unary("OnesLike", x, Json{{"dtype", dtype ? Json(dtype_name(dtype_from_name(*dtype))) : Json(nullptr)}});
}
KerasTensor get_item(const KerasTensor& x, const KeyItem& key) {
  return single("GetItem", Json::object(), {SymbolicArg(x), SymbolicArg(key.json())});
}
KerasTensor get_item(const KerasTensor& x, const std::vector<KeyItem>& key) {
  Json items = Json::array();
  for (const auto& item : key) items.push_back(item.json());
  return single("GetItem", Json::object(), {SymbolicArg(x), SymbolicArg(items)});
}

KerasTensor relu(const KerasTensor& x) { return unary("Relu", x); }
KerasTensor sigmoid(const KerasTensor& x) { return unary("Sigmoid", x); }
KerasTensor softmax(const KerasTensor& x, int axis) { return unary("Softmax", x, Json{{"axis", axis}}); }
KerasTensor log_softmax(const KerasTensor& x, int axis) { return unary("LogSoftmax", x, Json{{"axis", axis}}); }
KerasTensor silu(const KerasTensor& x) { return unary("Silu", x); }
KerasTensor softplus(const KerasTensor& x) { return unary("Softplus", x); }
KerasTensor gelu(const KerasTensor& x, bool approximate) {
  return unary("Gelu", x, Json{{"approximate", approximate}});
}

KerasTensor with_name(const KerasTensor& x, const std::string& name) {
  if (!x.defined()) throw ValueError("with_name() on an undefined KerasTensor");
  if (name.empty() || name.find('/') != std::string::npos)
    throw ValueError("Argument `name` must be a non-empty string without '/', got '" + name + "'");
  x.node()->operation->set_name(name);
  return x;
}

}  // namespace keras::ops

namespace keras {

KerasTensor operator+(const KerasTensor& a, const KerasTensor& b) { return ops::add(a, b); }
KerasTensor operator-(const KerasTensor& a, const KerasTensor& b) { return ops::subtract(a, b); }
KerasTensor operator*(const KerasTensor& a, const KerasTensor& b) { return ops::multiply(a, b); }
KerasTensor operator/(const KerasTensor& a, const KerasTensor& b) { return ops::true_divide(a, b); }
KerasTensor operator%(const KerasTensor& a, const KerasTensor& b) { return ops::mod(a, b); }
KerasTensor operator<(const KerasTensor& a, const KerasTensor& b) { return ops::less(a, b); }
KerasTensor operator<=(const KerasTensor& a, const KerasTensor& b) { return ops::less_equal(a, b); }
KerasTensor operator>(const KerasTensor& a, const KerasTensor& b) { return ops::greater(a, b); }
KerasTensor operator>=(const KerasTensor& a, const KerasTensor& b) { return ops::greater_equal(a, b); }
KerasTensor operator&(const KerasTensor& a, const KerasTensor& b) { return ops::logical_and(a, b); }
KerasTensor operator|(const KerasTensor& a, const KerasTensor& b) { return ops::logical_or(a, b); }
KerasTensor operator^(const KerasTensor& a, const KerasTensor& b) { return ops::logical_xor(a, b); }
KerasTensor operator-(const KerasTensor& x) { return ops::negative(x); }
KerasTensor operator~(const KerasTensor& x) { return ops::logical_not(x); }

}  // namespace keras
