#include "support/gradient_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace keras_test {

using keras::Tensor;

Tensor random_projection(const keras::Shape& shape, std::uint64_t seed) {
  return keras::random::uniform(shape, -1.0F, 1.0F, seed);
}

Tensor numeric_gradient(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_in, const Tensor& projection,
                        double step) {
  Tensor x = x_in.astype(keras::DType::float32).clone();
  Tensor grad(x.shape());
  float* xs = x.data<float>();
  float* g = grad.data<float>();
  const std::vector<float> r = projection.to_vector();
  auto dot = [&](const Tensor& y) {
    const std::vector<float> v = y.to_vector();
    double s = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * (i < r.size() ? r[i] : 1.0F);
    return s;
  };
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const float original = xs[i];
    const double h = step * std::max(1.0, std::abs(static_cast<double>(original)));
    xs[i] = static_cast<float>(original + h);
    const double plus = dot(f(x));
    xs[i] = static_cast<float>(original - h);
    const double minus = dot(f(x));
    xs[i] = original;
    // The actual step after rounding to float32.
    const double actual =
        static_cast<double>(static_cast<float>(original + h)) - static_cast<double>(static_cast<float>(original - h));
    g[i] = static_cast<float>((plus - minus) / actual);
  }
  return grad;
}

void expect_gradients_close(const Tensor& analytic, const Tensor& numeric, const GradientTolerance& tolerance,
                            const std::string& what) {
  ASSERT_EQ(analytic.shape(), numeric.shape()) << what;
  const std::vector<float> a = analytic.to_vector();
  const std::vector<float> n = numeric.to_vector();
  double scale = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) scale = std::max({scale, std::abs(double(a[i])), std::abs(double(n[i]))});
  int reported = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double limit = tolerance.atol + tolerance.rtol * scale;
    if (!(std::abs(double(a[i]) - double(n[i])) <= limit) && reported++ < 5)
      ADD_FAILURE() << what << ": gradient element " << i << " is " << a[i] << ", finite differences give " << n[i]
                    << " (limit " << limit << ")";
  }
}

void expect_gradient_matches(const std::function<keras::ad::Var(const keras::ad::Var&)>& f, const Tensor& x,
                             const GradientTolerance& tolerance, const std::string& what) {
  keras::ad::Var leaf = keras::ad::leaf(x.astype(keras::DType::float32));
  keras::ad::Var y = f(leaf);
  const Tensor r = random_projection(y.shape());
  const Tensor analytic = keras::ad::gradients(y, {leaf}, r)[0];
  const Tensor numeric =
      numeric_gradient([&](const Tensor& xv) { return f(keras::ad::Var(xv)).value(); }, x, r, tolerance.step);
  expect_gradients_close(analytic, numeric, tolerance, what);
}

}  // namespace keras_test
