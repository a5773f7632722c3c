// Finite-difference checks of reverse-mode gradients: the gradient a backward
// pass computes against central differences of the forward function.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/operation.hpp"
#include "keras/tensor.hpp"

namespace keras_test {

struct GradientTolerance {
  double rtol = 1e-2;  // relative to the larger of the two gradients' norms
  double atol = 1e-3;
  double step = 1e-2;  // central-difference step, scaled by max(1, |x_i|)
};

// The numeric gradient of <r, f(x)> for a fixed random projection r (so that
// every output element is checked, not only their sum): central differences,
// accumulated in double.
keras::Tensor numeric_gradient(const std::function<keras::Tensor(const keras::Tensor&)>& f, const keras::Tensor& x,
                               const keras::Tensor& projection, double step);

// A projection tensor shaped like `reference`, uniform in [-1, 1) from a fixed seed.
keras::Tensor random_projection(const keras::Shape& shape, std::uint64_t seed = 7);

// Checks the keras::ad gradient of f at x against numeric_gradient.
void expect_gradient_matches(const std::function<keras::ad::Var(const keras::ad::Var&)>& f, const keras::Tensor& x,
                             const GradientTolerance& tolerance, const std::string& what);

// Checks analytic gradients (given for the projection r of the outputs)
// against numeric ones: element i passes when
// |a - n| <= atol + rtol * max(max|a|, max|n|).
void expect_gradients_close(const keras::Tensor& analytic, const keras::Tensor& numeric,
                            const GradientTolerance& tolerance, const std::string& what);
// The same as a number: the largest |a - n| - limit (<= 0: passes), with
// the failing elements described in `problems` (when given).
double gradient_excess(const keras::Tensor& analytic, const keras::Tensor& numeric, const GradientTolerance& tolerance,
                       const std::string& what, std::vector<std::string>* problems = nullptr);

// The gradient check of one operation call: call_vjp() must give call()'s
// outputs (to `forward_atol`), and its pullback of a random projection of the
// outputs must match central differences of call() for every floating tensor
// argument and every trainable variable the operation owns.
void expect_operation_gradients(keras::Operation& op, const keras::CallArgs& args, const GradientTolerance& tolerance,
                                const std::string& what, double forward_atol = 1e-5);
// The same check as a number (<= 0: passes; +inf for a structural failure),
// describing what fails in `problems` (when given).
double operation_gradient_excess(keras::Operation& op, const keras::CallArgs& args, const GradientTolerance& tolerance,
                                 const std::string& what, std::vector<std::string>* problems = nullptr,
                                 double forward_atol = 1e-5);

}  // namespace keras_test
