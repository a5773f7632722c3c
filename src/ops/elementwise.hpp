// Elementwise math with numpy semantics.
//
// Unary ops and arithmetic return float32 (inputs of other dtypes are
// converted first), except that arithmetic on two operands of the same
// non-float32 dtype (e.g. int64 + int64) is computed in double and returned in
// that dtype. Comparisons and logical ops return bool tensors. Binary ops
// broadcast like numpy; pass Tensor::scalar(v) for a scalar operand.
#pragma once

#include "keras/tensor.hpp"
#include "ops/common.hpp"

namespace keras::kernels {

enum class UnaryOp {
  exp,
  log,
  sqrt,
  rsqrt,
  abs,
  neg,
  square,
  tanh,
  sigmoid,
  relu,
  sin,
  cos,
  tan,
  floor,
  ceil,
  round,  // half to even, like numpy
  sign,
  erf,
  log1p,
  expm1,
  reciprocal,
  softplus,
  softsign
};
Tensor unary(UnaryOp op, const Tensor& x);

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor neg(const Tensor& x);
Tensor square(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor reciprocal(const Tensor& x);

enum class BinaryOp {
  add,
  subtract,
  multiply,
  divide,
  power,
  maximum,
  minimum,
  floor_divide,  // floor(a / b)
  mod,           // Python modulo: the result takes the sign of b
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,  // -> bool
  logical_and,
  logical_or,
  logical_xor  // nonzero = true, -> bool
};
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);

// (x first a) second b in one pass, for the affine maps of preprocessing layers: first and second
// each add, subtract, multiply or divide, a and b float32 scalars or one value per channel of x's
// last axis (any leading axes of size 1). The same float operations in the same order as two
// binary() calls, so the same bits. Undefined when x, a or b is outside that (x not float32, a
// or b of another shape): the caller falls back to binary().
Tensor channel_affine(const Tensor& x, BinaryOp first, const Tensor& a, BinaryOp second, const Tensor& b);

Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);
Tensor power(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // NaN propagates, like numpy
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor mod(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);  // -> bool

// Scalar conveniences (float32 result).
Tensor add(const Tensor& a, float b);
Tensor multiply(const Tensor& a, float b);

// cond ? a : b elementwise with three-way broadcasting; cond of any dtype (nonzero = true).
// float32 result.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// numpy.clip: minimum(maximum(x, lo), hi); float32 result.
Tensor clip(const Tensor& x, float lo, float hi);

}  // namespace keras::kernels
