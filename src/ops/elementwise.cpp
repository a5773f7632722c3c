#include "ops/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace keras::kernels {

namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// numpy.logaddexp(x, 0) without overflow.
inline float softplus_scalar(float x) { return std::max(x, 0.0F) + std::log1p(std::exp(-std::abs(x))); }

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x_in) {
  Tensor x = detail::to_float(x_in);
  Tensor out = Tensor::uninitialized(x.shape());  // every element is written below
  const auto n = static_cast<Eigen::Index>(x.size());
  const float* in = x.data<float>();
  float* o = out.data<float>();
  ConstArrayMap a(in, n);
  ArrayMap r(o, n);
  auto each = [&](auto fn) {
    for (Eigen::Index i = 0; i < n; ++i) o[i] = fn(in[i]);
  };
  switch (op) {
    case UnaryOp::exp:
      r = a.exp();
      break;
    case UnaryOp::log:
      r = a.log();
      break;
    case UnaryOp::sqrt:
      r = a.sqrt();
      break;
    case UnaryOp::rsqrt:
      each([](float v) { return 1.0F / std::sqrt(v); });
      break;
    case UnaryOp::abs:
      r = a.abs();
      break;
    case UnaryOp::neg:
      r = -a;
      break;
    case UnaryOp::square:
      r = a.square();
      break;
    case UnaryOp::tanh:
      r = a.tanh();
      break;
    // Eigen's vectorized logistic is within a few ulp of 1 / (1 + exp(-x)).
    case UnaryOp::sigmoid:
      r = a.logistic();
      break;
    case UnaryOp::relu:
      each([](float v) { return std::isnan(v) ? v : std::max(v, 0.0F); });
      break;
    case UnaryOp::sin:
      each([](float v) { return std::sin(v); });
      break;
    case UnaryOp::cos:
      each([](float v) { return std::cos(v); });
      break;
    case UnaryOp::tan:
      each([](float v) { return std::tan(v); });
      break;
    case UnaryOp::floor:
      each([](float v) { return std::floor(v); });
      break;
    case UnaryOp::ceil:
      each([](float v) { return std::ceil(v); });
      break;
    // nearbyint uses the default rounding mode: to nearest, ties to even.
    case UnaryOp::round:
      each([](float v) { return std::nearbyint(v); });
      break;
    case UnaryOp::sign:
      each([](float v) { return std::isnan(v) ? v : static_cast<float>((v > 0.0F) - (v < 0.0F)); });
      break;
    case UnaryOp::erf:
      each([](float v) { return std::erf(v); });
      break;
    case UnaryOp::log1p:
      each([](float v) { return std::log1p(v); });
      break;
    case UnaryOp::expm1:
      each([](float v) { return std::expm1(v); });
      break;
    case UnaryOp::reciprocal:
      each([](float v) { return 1.0F / v; });
      break;
    case UnaryOp::softplus:
      each(softplus_scalar);
      break;
    case UnaryOp::softsign:
      each([](float v) { return v / (1.0F + std::abs(v)); });
      break;
  }
  return out;
}

Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary(UnaryOp::rsqrt, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x); }
Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
Tensor square(const Tensor& x) { return unary(UnaryOp::square, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
Tensor sin(const Tensor& x) { return unary(UnaryOp::sin, x); }
Tensor cos(const Tensor& x) { return unary(UnaryOp::cos, x); }
Tensor tan(const Tensor& x) { return unary(UnaryOp::tan, x); }
Tensor floor(const Tensor& x) { return unary(UnaryOp::floor, x); }
Tensor ceil(const Tensor& x) { return unary(UnaryOp::ceil, x); }
Tensor round(const Tensor& x) { return unary(UnaryOp::round, x); }
Tensor sign(const Tensor& x) { return unary(UnaryOp::sign, x); }
Tensor erf(const Tensor& x) { return unary(UnaryOp::erf, x); }
Tensor log1p(const Tensor& x) { return unary(UnaryOp::log1p, x); }
Tensor expm1(const Tensor& x) { return unary(UnaryOp::expm1, x); }
Tensor reciprocal(const Tensor& x) { return unary(UnaryOp::reciprocal, x); }

namespace {

// Whether `part`, its leading 1s dropped, is the trailing dimensions of `whole`.
bool repeats_along_leading_axes(const Shape& part, const Shape& whole) {
  std::size_t first = 0;
  while (first < part.size() && part[first] == 1) ++first;
  const std::size_t kept = part.size() - first;
  if (kept > whole.size()) return false;
  return std::equal(part.begin() + static_cast<std::ptrdiff_t>(first), part.end(),
                    whole.end() - static_cast<std::ptrdiff_t>(kept));
}

// Applies f over the numpy broadcast of a and b into out (all contiguous).
template <typename In, typename Out, typename F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = out.data<Out>();
  const std::int64_t n = out.size();
  if (a.size() == n && b.size() == n) {
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  if (a.size() == n && b.size() == 1) {
    const In vb = pb[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    return;
  }
  if (a.size() == 1 && b.size() == n) {
    const In va = pa[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    return;
  }
  // One operand repeats whole along the output's leading axes (a per-channel mean, scale or
  // bias): one contiguous pass per repetition, where the general walk would take runs as short
  // as the channels (3 for an image's Normalization).
  if (a.size() == n && b.size() > 0 && repeats_along_leading_axes(b.shape(), out.shape())) {
    const std::int64_t inner = b.size();
    for (std::int64_t o = 0; o < n; o += inner)
      for (std::int64_t j = 0; j < inner; ++j) po[o + j] = f(pa[o + j], pb[j]);
    return;
  }
  if (b.size() == n && a.size() > 0 && repeats_along_leading_axes(a.shape(), out.shape())) {
    const std::int64_t inner = a.size();
    for (std::int64_t o = 0; o < n; o += inner)
      for (std::int64_t j = 0; j < inner; ++j) po[o + j] = f(pa[j], pb[o + j]);
    return;
  }
  const std::vector<std::int64_t> strides[3] = {detail::broadcast_strides(a.shape(), out.shape()),
                                                detail::broadcast_strides(b.shape(), out.shape()),
                                                detail::contiguous_strides(out.shape())};
  detail::for_each_broadcast_run(out.shape(), strides,
                                 [&](const std::int64_t* off, const std::int64_t* step, std::int64_t count) {
                                   const In* ra = pa + off[0];
                                   const In* rb = pb + off[1];
                                   Out* ro = po + off[2];
                                   // Unit and zero steps spelled out, so that the compiler vectorizes them.
                                   if (step[0] == 1 && step[1] == 1) {
                                     for (std::int64_t i = 0; i < count; ++i) ro[i] = f(ra[i], rb[i]);
                                   } else if (step[0] == 1 && step[1] == 0) {
                                     const In vb = rb[0];
                                     for (std::int64_t i = 0; i < count; ++i) ro[i] = f(ra[i], vb);
                                   } else if (step[0] == 0 && step[1] == 1) {
                                     const In va = ra[0];
                                     for (std::int64_t i = 0; i < count; ++i) ro[i] = f(va, rb[i]);
                                   } else {
                                     for (std::int64_t i = 0; i < count; ++i)
                                       ro[i] = f(ra[i * step[0]], rb[i * step[1]]);
                                   }
                                 });
}

bool is_integer(DType d) { return !is_floating(d) && d != DType::bool_; }

template <typename T>
T python_mod(T a, T b) {
  T r = std::fmod(a, b);
  if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
  return r;
}

template <typename T>
T nan_max(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return a > b ? a : b;
}

template <typename T>
T nan_min(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return a < b ? a : b;
}

// Arithmetic in compute type T (float or double).
template <typename T>
void arithmetic(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out, bool integer_semantics) {
  switch (op) {
    case BinaryOp::add:
      return broadcast_apply<T, T>(a, b, out, [](T x, T y) { return x + y; });
    case BinaryOp::subtract:
      return broadcast_apply<T, T>(a, b, out, [](T x, T y) { return x - y; });
    case BinaryOp::multiply:
      return broadcast_apply<T, T>(a, b, out, [](T x, T y) { return x * y; });
    case BinaryOp::divide:
      return broadcast_apply<T, T>(a, b, out, [](T x, T y) { return x / y; });
    case BinaryOp::power:
      return broadcast_apply<T, T>(a, b, out, [](T x, T y) { return std::pow(x, y); });
    case BinaryOp::maximum:
      return broadcast_apply<T, T>(a, b, out, nan_max<T>);
    case BinaryOp::minimum:
      return broadcast_apply<T, T>(a, b, out, nan_min<T>);
    case BinaryOp::floor_divide:
      // numpy: integer division by zero gives 0.
      return broadcast_apply<T, T>(a, b, out, [integer_semantics](T x, T y) {
        return integer_semantics && y == T(0) ? T(0) : std::floor(x / y);
      });
    case BinaryOp::mod:
      return broadcast_apply<T, T>(a, b, out, [integer_semantics](T x, T y) {
        return integer_semantics && y == T(0) ? T(0) : python_mod(x, y);
      });
    default:
      break;
  }
  throw ValueError("binary: not an arithmetic op");
}

template <typename T>
void comparison(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  using U = std::uint8_t;
  switch (op) {
    case BinaryOp::equal:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x == y); });
    case BinaryOp::not_equal:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x != y); });
    case BinaryOp::less:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x < y); });
    case BinaryOp::less_equal:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x <= y); });
    case BinaryOp::greater:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x > y); });
    case BinaryOp::greater_equal:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x >= y); });
    case BinaryOp::logical_and:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x != T(0) && y != T(0)); });
    case BinaryOp::logical_or:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U(x != T(0) || y != T(0)); });
    case BinaryOp::logical_xor:
      return broadcast_apply<T, U>(a, b, out, [](T x, T y) { return U((x != T(0)) != (y != T(0))); });
    default:
      break;
  }
  throw ValueError("binary: not a comparison op");
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) throw ValueError("binary op on an undefined tensor");
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), "elementwise op");
  const bool both_float32 = a.dtype() == DType::float32 && b.dtype() == DType::float32;
  const bool is_comparison = op >= BinaryOp::equal;
  if (is_comparison) {
    // Outputs are written whole by the broadcast walks: no zero-fill first.
    Tensor out = Tensor::uninitialized(out_shape, DType::bool_);
    if (both_float32)
      comparison<float>(op, a, b, out);
    else
      comparison<double>(op, a.astype(DType::float64), b.astype(DType::float64), out);
    return out;
  }
  if (a.dtype() == b.dtype() && !both_float32) {
    // Same non-float32 dtype: keep it (int64 + int64 -> int64), computing in double.
    Tensor out = Tensor::uninitialized(out_shape, DType::float64);
    arithmetic<double>(op, a.astype(DType::float64), b.astype(DType::float64), out, is_integer(a.dtype()));
    return out.astype(a.dtype());
  }
  Tensor out = Tensor::uninitialized(out_shape, DType::float32);
  arithmetic<float>(op, detail::to_float(a), detail::to_float(b), out, false);
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor subtract(const Tensor& a, const Tensor& b) { return binary(BinaryOp::subtract, a, b); }
Tensor multiply(const Tensor& a, const Tensor& b) { return binary(BinaryOp::multiply, a, b); }
Tensor divide(const Tensor& a, const Tensor& b) { return binary(BinaryOp::divide, a, b); }
Tensor power(const Tensor& a, const Tensor& b) { return binary(BinaryOp::power, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::minimum, a, b); }
Tensor floor_divide(const Tensor& a, const Tensor& b) { return binary(BinaryOp::floor_divide, a, b); }
Tensor mod(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mod, a, b); }
Tensor equal(const Tensor& a, const Tensor& b) { return binary(BinaryOp::equal, a, b); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return binary(BinaryOp::not_equal, a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return binary(BinaryOp::less, a, b); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return binary(BinaryOp::less_equal, a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary(BinaryOp::greater, a, b); }
Tensor greater_equal(const Tensor& a, const Tensor& b) { return binary(BinaryOp::greater_equal, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_and, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_or, a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_xor, a, b); }

Tensor logical_not(const Tensor& x) {
  if (!x.defined()) throw ValueError("logical_not on an undefined tensor");
  Tensor out(x.shape(), DType::bool_);
  auto* o = out.data<std::uint8_t>();
  if (x.dtype() == DType::bool_ || x.dtype() == DType::uint8) {
    const auto* in = x.data<std::uint8_t>();
    for (std::int64_t i = 0; i < x.size(); ++i) o[i] = in[i] == 0 ? 1 : 0;
  } else {
    for (std::int64_t i = 0; i < x.size(); ++i) o[i] = x.at(i) == 0.0 ? 1 : 0;
  }
  return out;
}

Tensor add(const Tensor& a, float b) { return binary(BinaryOp::add, detail::to_float(a), Tensor::scalar(b)); }
Tensor multiply(const Tensor& a, float b) { return binary(BinaryOp::multiply, detail::to_float(a), Tensor::scalar(b)); }

Tensor where(const Tensor& cond_in, const Tensor& a_in, const Tensor& b_in) {
  if (!cond_in.defined()) throw ValueError("where: undefined condition");
  Tensor a = detail::to_float(a_in);
  Tensor b = detail::to_float(b_in);
  Tensor cond = cond_in.dtype() == DType::bool_ ? cond_in : not_equal(cond_in, Tensor::scalar(0.0F));
  const Shape out_shape = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = Tensor::uninitialized(out_shape);
  const auto* pc = cond.data<std::uint8_t>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  const std::vector<std::int64_t> strides[4] = {
      detail::broadcast_strides(cond.shape(), out_shape), detail::broadcast_strides(a.shape(), out_shape),
      detail::broadcast_strides(b.shape(), out_shape), detail::contiguous_strides(out_shape)};
  detail::for_each_broadcast_run(
      out_shape, strides, [&](const std::int64_t* off, const std::int64_t* step, std::int64_t count) {
        for (std::int64_t i = 0; i < count; ++i)
          po[off[3] + i] = pc[off[0] + i * step[0]] != 0 ? pa[off[1] + i * step[1]] : pb[off[2] + i * step[2]];
      });
  return out;
}

Tensor clip(const Tensor& x_in, float lo, float hi) {
  Tensor x = detail::to_float(x_in);
  Tensor out = Tensor::uninitialized(x.shape());
  const float* in = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < x.size(); ++i) o[i] = nan_min(nan_max(in[i], lo), hi);
  return out;
}

namespace {

// a or b as `channels` values (a scalar repeated), or empty when it is neither a scalar nor one
// value per channel of the last axis.
std::vector<float> per_channel(const Tensor& t, std::int64_t channels) {
  if (t.dtype() != DType::float32) return {};
  const float* v = t.data<float>();
  if (t.size() == 1) return std::vector<float>(static_cast<std::size_t>(channels), v[0]);
  if (t.rank() == 0 || t.dim(-1) != channels || t.size() != channels) return {};
  return {v, v + channels};
}

float apply_binary(BinaryOp op, float x, float y) {
  switch (op) {
    case BinaryOp::add:
      return x + y;
    case BinaryOp::subtract:
      return x - y;
    case BinaryOp::multiply:
      return x * y;
    default:
      return x / y;
  }
}

// One pass over rows of `period` values (whole channel groups), the per-channel constants laid
// out over the same period so that the inner loop is contiguous and vectorizes.
template <BinaryOp First, BinaryOp Second>
void affine_rows(const float* __restrict x, float* __restrict out, std::int64_t n, const float* __restrict a,
                 const float* __restrict b, std::int64_t period) {
  std::int64_t i = 0;
  for (; i + period <= n; i += period) {
    for (std::int64_t j = 0; j < period; ++j)
      out[i + j] = apply_binary(Second, apply_binary(First, x[i + j], a[j]), b[j]);
  }
  for (std::int64_t j = 0; i + j < n; ++j) out[i + j] = apply_binary(Second, apply_binary(First, x[i + j], a[j]), b[j]);
}

template <BinaryOp First>
void affine_second(BinaryOp second, const float* x, float* out, std::int64_t n, const float* a, const float* b,
                   std::int64_t period) {
  switch (second) {
    case BinaryOp::add:
      return affine_rows<First, BinaryOp::add>(x, out, n, a, b, period);
    case BinaryOp::subtract:
      return affine_rows<First, BinaryOp::subtract>(x, out, n, a, b, period);
    case BinaryOp::multiply:
      return affine_rows<First, BinaryOp::multiply>(x, out, n, a, b, period);
    default:
      return affine_rows<First, BinaryOp::divide>(x, out, n, a, b, period);
  }
}

bool is_affine_op(BinaryOp op) {
  return op == BinaryOp::add || op == BinaryOp::subtract || op == BinaryOp::multiply || op == BinaryOp::divide;
}

}  // namespace

Tensor channel_affine(const Tensor& x, BinaryOp first, const Tensor& a, BinaryOp second, const Tensor& b) {
  if (x.dtype() != DType::float32 || x.rank() == 0 || x.size() == 0 || !is_affine_op(first) || !is_affine_op(second))
    return {};
  const std::int64_t channels = x.dim(-1);
  // The constants must not broadcast x to a larger shape: their rank at most x's.
  if (a.rank() > x.rank() || b.rank() > x.rank() || channels == 0) return {};
  const std::vector<float> ca = per_channel(a, channels);
  const std::vector<float> cb = per_channel(b, channels);
  if (ca.empty() || cb.empty()) return {};
  // A period of whole channel groups, at least 64 values, for the inner loop.
  const std::int64_t period = channels * std::max<std::int64_t>(1, (64 + channels - 1) / channels);
  std::vector<float> pa(static_cast<std::size_t>(period));
  std::vector<float> pb(static_cast<std::size_t>(period));
  for (std::int64_t j = 0; j < period; ++j) {
    pa[static_cast<std::size_t>(j)] = ca[static_cast<std::size_t>(j % channels)];
    pb[static_cast<std::size_t>(j)] = cb[static_cast<std::size_t>(j % channels)];
  }
  Tensor out = Tensor::uninitialized(x.shape());
  const float* in = x.data<float>();
  float* o = out.data<float>();
  switch (first) {
    case BinaryOp::add:
      affine_second<BinaryOp::add>(second, in, o, x.size(), pa.data(), pb.data(), period);
      break;
    case BinaryOp::subtract:
      affine_second<BinaryOp::subtract>(second, in, o, x.size(), pa.data(), pb.data(), period);
      break;
    case BinaryOp::multiply:
      affine_second<BinaryOp::multiply>(second, in, o, x.size(), pa.data(), pb.data(), period);
      break;
    default:
      affine_second<BinaryOp::divide>(second, in, o, x.size(), pa.data(), pb.data(), period);
      break;
  }
  return out;
}

}  // namespace keras::kernels
