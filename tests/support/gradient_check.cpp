#include "support/gradient_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

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

double gradient_excess(const Tensor& analytic, const Tensor& numeric, const GradientTolerance& tolerance,
                       const std::string& what, std::vector<std::string>* problems) {
  if (analytic.shape() != numeric.shape()) {
    if (problems != nullptr)
      problems->push_back(what + ": gradient shape " + keras::shape_to_string(analytic.shape()) + ", expected " +
                          keras::shape_to_string(numeric.shape()));
    return std::numeric_limits<double>::infinity();
  }
  const std::vector<float> a = analytic.to_vector();
  const std::vector<float> n = numeric.to_vector();
  double scale = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) scale = std::max({scale, std::abs(double(a[i])), std::abs(double(n[i]))});
  const double limit = tolerance.atol + tolerance.rtol * scale;
  double worst = -limit;
  int reported = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double error = std::abs(double(a[i]) - double(n[i]));
    worst = std::max(worst, std::isnan(error) ? std::numeric_limits<double>::infinity() : error - limit);
    if (!(error <= limit) && problems != nullptr && reported++ < 5) {
      std::ostringstream message;
      message << what << ": gradient element " << i << " is " << a[i] << ", finite differences give " << n[i]
              << " (limit " << limit << ")";
      problems->push_back(message.str());
    }
  }
  return worst;
}

void expect_gradients_close(const Tensor& analytic, const Tensor& numeric, const GradientTolerance& tolerance,
                            const std::string& what) {
  std::vector<std::string> problems;
  gradient_excess(analytic, numeric, tolerance, what, &problems);
  for (const auto& p : problems) ADD_FAILURE() << p;
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

double operation_gradient_excess(keras::Operation& op, const keras::CallArgs& args, const GradientTolerance& tolerance,
                                 const std::string& what, std::vector<std::string>* problems, double forward_atol) {
  constexpr double kFailed = std::numeric_limits<double>::infinity();
  auto fail = [&](const std::string& message) {
    if (problems != nullptr) problems->push_back(what + ": " + message);
    return kFailed;
  };
  keras::VjpResult vjp = op.call_vjp(args);
  const std::vector<Tensor> expected = op.call(args);
  if (vjp.outputs.size() != expected.size()) return fail("call_vjp and call() return different output counts");
  double worst = -1.0;
  std::vector<Tensor> projections;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Tensor a = vjp.outputs[i].astype(keras::DType::float32);
    const Tensor e = expected[i].astype(keras::DType::float32);
    if (!keras::allclose(a, e, 1e-4, forward_atol)) {
      worst = kFailed;
      fail("call_vjp output " + std::to_string(i) + " differs from call() by " +
           std::to_string(keras::max_abs_diff(a, e)));
    }
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
    if (t >= grads.inputs.size()) return fail("the pullback gives no gradient for input " + std::to_string(t));
    if (!grads.inputs[t].defined()) continue;  // e.g. a mask
    const Tensor original = args.tensors[t];
    auto f = [&](const Tensor& value) { return projected([&](const Tensor& v) { work.tensors[t] = v; }, value); };
    const Tensor numeric = numeric_gradient(f, original, one, tolerance.step);
    work.tensors[t] = original;
    worst = std::max(
        worst, gradient_excess(grads.inputs[t], numeric, tolerance, what + " input " + std::to_string(t), problems));
  }
  if (op.is_layer()) {
    auto& layer = static_cast<keras::Layer&>(op);
    for (const auto& variable : layer.trainable_variables()) {
      Tensor analytic;
      for (const auto& [v, g] : grads.variables)
        if (v == variable) analytic = g;
      if (!analytic.defined()) {
        worst = kFailed;
        fail("no gradient for variable " + variable->path());
        continue;
      }
      const Tensor original = variable->value().clone();
      auto f = [&](const Tensor& value) { return projected([&](const Tensor& v) { variable->assign(v); }, value); };
      const Tensor numeric = numeric_gradient(f, original, one, tolerance.step);
      variable->assign(original);
      worst = std::max(worst,
                       gradient_excess(analytic, numeric, tolerance, what + " variable " + variable->path(), problems));
    }
  }
  return worst;
}

void expect_operation_gradients(keras::Operation& op, const keras::CallArgs& args, const GradientTolerance& tolerance,
                                const std::string& what, double forward_atol) {
  std::vector<std::string> problems;
  operation_gradient_excess(op, args, tolerance, what, &problems, forward_atol);
  for (const auto& p : problems) ADD_FAILURE() << p;
}

}  // namespace keras_test
