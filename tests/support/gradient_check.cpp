#include "support/gradient_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "keras/layer.hpp"
#include "keras/variable.hpp"

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

void expect_operation_gradients(keras::Operation& op, const keras::CallArgs& args, const GradientTolerance& tolerance,
                                const std::string& what, double forward_atol) {
  keras::VjpResult vjp = op.call_vjp(args);
  const std::vector<Tensor> expected = op.call(args);
  ASSERT_EQ(vjp.outputs.size(), expected.size()) << what;
  std::vector<Tensor> projections;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(keras::allclose(vjp.outputs[i].astype(keras::DType::float32), expected[i].astype(keras::DType::float32),
                                1e-4, forward_atol))
        << what << ": call_vjp output " << i << " differs from call() by "
        << keras::max_abs_diff(vjp.outputs[i].astype(keras::DType::float32), expected[i].astype(keras::DType::float32));
    projections.push_back(random_projection(expected[i].shape(), 7 + i));
  }
  const keras::Gradients grads = vjp.pullback(projections);
  keras::CallArgs work = args;
  // <r, call(args)> as a function of one tensor value.
  auto projected = [&](const std::function<void(const Tensor&)>& set, const Tensor& value) {
    set(value);
    std::vector<Tensor> outs = op.call(work);
    Tensor flat = keras::Tensor::zeros({1});
    double total = 0.0;
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const auto v = outs[i].to_vector();
      const auto r = projections[i].to_vector();
      for (std::size_t j = 0; j < v.size(); ++j) total += static_cast<double>(v[j]) * r[j];
    }
    flat.data<float>()[0] = static_cast<float>(total);
    return flat;
  };
  const Tensor one = Tensor::full({1}, 1.0F);
  for (std::size_t t = 0; t < args.tensors.size(); ++t) {
    if (!keras::is_floating(args.tensors[t].dtype())) continue;
    ASSERT_LT(t, grads.inputs.size()) << what;
    if (!grads.inputs[t].defined()) continue;  // e.g. a mask
    const Tensor original = args.tensors[t];
    auto f = [&](const Tensor& value) { return projected([&](const Tensor& v) { work.tensors[t] = v; }, value); };
    const Tensor numeric = numeric_gradient(f, original, one, tolerance.step);
    work.tensors[t] = original;
    expect_gradients_close(grads.inputs[t], numeric, tolerance, what + " input " + std::to_string(t));
  }
  if (op.is_layer()) {
    auto& layer = static_cast<keras::Layer&>(op);
    for (const auto& variable : layer.trainable_variables()) {
      Tensor analytic;
      for (const auto& [v, g] : grads.variables)
        if (v == variable) analytic = g;
      ASSERT_TRUE(analytic.defined()) << what << ": no gradient for variable " << variable->path();
      const Tensor original = variable->value().clone();
      auto f = [&](const Tensor& value) { return projected([&](const Tensor& v) { variable->assign(v); }, value); };
      const Tensor numeric = numeric_gradient(f, original, one, tolerance.step);
      variable->assign(original);
      expect_gradients_close(analytic, numeric, tolerance, what + " variable " + variable->path());
    }
  }
}

}  // namespace keras_test
