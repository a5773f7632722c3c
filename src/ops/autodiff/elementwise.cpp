// Differentiable elementwise operations: values from the kernels, gradients
// by the chain rule (broadcast inputs get their gradient summed back by the
// tape, see reduce_to_shape).
#include <cmath>
#include <numbers>

#include "keras/autodiff.hpp"
#include "ops/activations.hpp"
#include "ops/activations_grad.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::ad {

namespace k = keras::kernels;

namespace {

Tensor f32(const Tensor& t) { return t.dtype() == DType::float32 ? t : t.astype(DType::float32); }

// A unary op whose derivative is a function of x and y = f(x).
template <typename D>
Var unary(const Var& x, Tensor y, D derivative) {
  Tensor xv = x.value();
  return record(y, {x}, [xv, y, derivative](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{derivative(xv, y, g)};
  });
}

Var zero_grad(const Var& x, Tensor y) {
  Shape shape = x.shape();
  return record(std::move(y), {x},
                [shape](const Tensor&, const std::vector<bool>&) { return std::vector<Tensor>{Tensor::zeros(shape)}; });
}

}  // namespace

Var neg(const Var& x) {
  return unary(x, k::neg(x.value()), [](const Tensor&, const Tensor&, const Tensor& g) { return k::neg(g); });
}
Var exp(const Var& x) {
  return unary(x, k::exp(x.value()), [](const Tensor&, const Tensor& y, const Tensor& g) { return k::multiply(g, y); });
}
Var log(const Var& x) {
  return unary(x, k::log(x.value()), [](const Tensor& x, const Tensor&, const Tensor& g) { return k::divide(g, x); });
}
Var log1p(const Var& x) {
  return unary(x, k::log1p(x.value()),
               [](const Tensor& x, const Tensor&, const Tensor& g) { return k::divide(g, k::add(f32(x), 1.0F)); });
}
Var expm1(const Var& x) {
  return unary(x, k::expm1(x.value()),
               [](const Tensor&, const Tensor& y, const Tensor& g) { return k::multiply(g, k::add(y, 1.0F)); });
}
Var sqrt(const Var& x) {
  return unary(x, k::sqrt(x.value()),
               [](const Tensor&, const Tensor& y, const Tensor& g) { return k::divide(k::multiply(g, 0.5F), y); });
}
Var rsqrt(const Var& x) {
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  return unary(x, k::rsqrt(x.value()), [](const Tensor&, const Tensor& y, const Tensor& g) {
    return k::multiply(k::multiply(g, -0.5F), k::multiply(y, k::square(y)));
  });
}
Var square(const Var& x) {
  return unary(x, k::square(x.value()), [](const Tensor& x, const Tensor&, const Tensor& g) {
    return k::multiply(g, k::multiply(f32(x), 2.0F));
  });
}
Var abs(const Var& x) {
  return unary(x, k::abs(x.value()),
               [](const Tensor& x, const Tensor&, const Tensor& g) { return k::multiply(g, k::sign(x)); });
}
Var tanh(const Var& x) {
  return unary(x, k::tanh(x.value()), [](const Tensor& x, const Tensor& y, const Tensor& g) {
    return k::activation_backward("tanh", x, y, g);
  });
}
Var sigmoid(const Var& x) {
  return unary(x, k::sigmoid(x.value()), [](const Tensor& x, const Tensor& y, const Tensor& g) {
    return k::activation_backward("sigmoid", x, y, g);
  });
}
Var relu(const Var& x) {
  return unary(x, k::relu(x.value()),
               [](const Tensor& x, const Tensor&, const Tensor& g) { return k::relu_backward(x, g); });
}
Var softplus(const Var& x) {
  return unary(x, k::softplus(x.value()), [](const Tensor& x, const Tensor& y, const Tensor& g) {
    return k::activation_backward("softplus", x, y, g);
  });
}
Var sin(const Var& x) {
  return unary(x, k::sin(x.value()),
               [](const Tensor& x, const Tensor&, const Tensor& g) { return k::multiply(g, k::cos(x)); });
}
Var cos(const Var& x) {
  return unary(x, k::cos(x.value()),
               [](const Tensor& x, const Tensor&, const Tensor& g) { return k::neg(k::multiply(g, k::sin(x))); });
}
Var erf(const Var& x) {
  return unary(x, k::erf(x.value()), [](const Tensor& x, const Tensor&, const Tensor& g) {
    const auto two_over_sqrt_pi = static_cast<float>(2.0 / std::sqrt(std::numbers::pi));
    return k::multiply(g, k::multiply(k::exp(k::neg(k::square(x))), two_over_sqrt_pi));
  });
}
Var reciprocal(const Var& x) {
  return unary(x, k::reciprocal(x.value()),
               [](const Tensor&, const Tensor& y, const Tensor& g) { return k::neg(k::multiply(g, k::square(y))); });
}
Var sign(const Var& x) { return zero_grad(x, k::sign(x.value())); }
Var floor(const Var& x) { return zero_grad(x, k::floor(x.value())); }
Var ceil(const Var& x) { return zero_grad(x, k::ceil(x.value())); }
Var round(const Var& x) { return zero_grad(x, k::round(x.value())); }

// activation(name, x) is defined in src/layers/activations/activation_tape.cpp:
// activation names resolve at the layers level (activation_functions.cpp).

// ------------------------------------------------------------ binary

Var add(const Var& a, const Var& b) {
  return record(k::add(a.value(), b.value()), {a, b}, [](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g, g};
  });
}

Var subtract(const Var& a, const Var& b) {
  return record(k::subtract(a.value(), b.value()), {a, b}, [](const Tensor& g, const std::vector<bool>& needs) {
    return std::vector<Tensor>{g, needs[1] ? k::neg(g) : Tensor()};
  });
}

Var multiply(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  return record(k::multiply(av, bv), {a, b}, [av, bv](const Tensor& g, const std::vector<bool>& needs) {
    return std::vector<Tensor>{needs[0] ? k::multiply(g, bv) : Tensor(), needs[1] ? k::multiply(g, av) : Tensor()};
  });
}

Var divide(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  Tensor y = k::divide(av, bv);
  return record(y, {a, b}, [bv, y](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga = k::divide(g, bv);
    return std::vector<Tensor>{needs[0] ? ga : Tensor(), needs[1] ? k::neg(k::multiply(ga, y)) : Tensor()};
  });
}

Var divide_no_nan(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  Tensor zero = k::equal(bv, Tensor::scalar(0.0F));
  Tensor safe_b = k::where(zero, Tensor::scalar(1.0F), bv);
  Tensor y = k::where(zero, Tensor::scalar(0.0F), k::divide(av, safe_b));
  return record(y, {a, b}, [zero, safe_b, y](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga = k::where(zero, Tensor::scalar(0.0F), k::divide(g, safe_b));
    return std::vector<Tensor>{needs[0] ? ga : Tensor(), needs[1] ? k::neg(k::multiply(ga, y)) : Tensor()};
  });
}

Var power(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  Tensor y = k::power(av, bv);
  return record(y, {a, b}, [av, bv, y](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga, gb;
    if (needs[0]) {
      // b * a^(b-1), computed as b * a^(b-1) directly so that a = 0 works for b >= 1.
      ga = k::multiply(g, k::multiply(bv, k::power(av, k::add(bv, -1.0F))));
    }
    if (needs[1]) {
      // y * log(a), 0 where a == 0 (the limit for positive exponents).
      Tensor pos = k::greater(av, Tensor::scalar(0.0F));
      Tensor log_a = k::log(k::where(pos, av, Tensor::scalar(1.0F)));
      gb = k::multiply(g, k::multiply(y, log_a));
    }
    return std::vector<Tensor>{ga, gb};
  });
}

Var maximum(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  return record(k::maximum(av, bv), {a, b}, [av, bv](const Tensor& g, const std::vector<bool>& needs) {
    Tensor take_a = k::greater_equal(av, bv);
    const Tensor zero = Tensor::scalar(0.0F);
    return std::vector<Tensor>{needs[0] ? k::where(take_a, g, zero) : Tensor(),
                               needs[1] ? k::where(take_a, zero, g) : Tensor()};
  });
}

Var minimum(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  return record(k::minimum(av, bv), {a, b}, [av, bv](const Tensor& g, const std::vector<bool>& needs) {
    Tensor take_a = k::less_equal(av, bv);
    const Tensor zero = Tensor::scalar(0.0F);
    return std::vector<Tensor>{needs[0] ? k::where(take_a, g, zero) : Tensor(),
                               needs[1] ? k::where(take_a, zero, g) : Tensor()};
  });
}

Var where(const Tensor& cond, const Var& a, const Var& b) {
  return record(k::where(cond, a.value(), b.value()), {a, b}, [cond](const Tensor& g, const std::vector<bool>& needs) {
    const Tensor zero = Tensor::scalar(0.0F);
    return std::vector<Tensor>{needs[0] ? k::where(cond, g, zero) : Tensor(),
                               needs[1] ? k::where(cond, zero, g) : Tensor()};
  });
}

Var clip(const Var& x, float lo, float hi) {
  Tensor xv = x.value();
  return record(k::clip(xv, lo, hi), {x}, [xv, lo, hi](const Tensor& g, const std::vector<bool>&) {
    Tensor inside = k::logical_and(k::greater_equal(xv, Tensor::scalar(lo)), k::less_equal(xv, Tensor::scalar(hi)));
    return std::vector<Tensor>{k::where(inside, g, Tensor::scalar(0.0F))};
  });
}

// ------------------------------------------------------------ operators

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return subtract(a, b); }
Var operator*(const Var& a, const Var& b) { return multiply(a, b); }
Var operator/(const Var& a, const Var& b) { return divide(a, b); }
Var operator-(const Var& x) { return neg(x); }
Var operator+(const Var& a, float b) { return add(a, scalar(b)); }
Var operator+(float a, const Var& b) { return add(scalar(a), b); }
Var operator-(const Var& a, float b) { return subtract(a, scalar(b)); }
Var operator-(float a, const Var& b) { return subtract(scalar(a), b); }
Var operator*(const Var& a, float b) { return multiply(a, scalar(b)); }
Var operator*(float a, const Var& b) { return multiply(scalar(a), b); }
Var operator/(const Var& a, float b) { return divide(a, scalar(b)); }
Var operator/(float a, const Var& b) { return divide(scalar(a), b); }

}  // namespace keras::ad
