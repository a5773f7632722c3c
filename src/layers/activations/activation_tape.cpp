#include "layers/activations/activation_tape.hpp"

#include "layers/activations/activation_functions.hpp"
#include "ops/activations.hpp"
#include "ops/activations_grad.hpp"

namespace keras::ad {

// Declared with the other keras::ad functions; defined here because the
// functions' names resolve at the layers level (apply_activation).
Var activation(std::string_view name, const Var& x) {
  if (name == "linear") return x;
  const std::string n(name);
  const Tensor xv = x.value();
  const Tensor y = ::keras::detail::apply_activation(n, xv);
  return record(y, {x}, [n, xv, y](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{kernels::activation_backward(n, xv, y, g)};
  });
}

}  // namespace keras::ad

namespace keras::detail {

ad::Var activation_tape(const std::string& name, const ad::Var& x) {
  if (name.empty() || name == "linear") return x;
  return ad::activation(name, x);
}

ad::Var relu_tape(const ad::Var& x, float negative_slope, std::optional<float> max_value, float threshold) {
  Tensor xv = x.value();
  return ad::record(kernels::relu(xv, negative_slope, max_value, threshold), {x},
                    [xv, negative_slope, max_value, threshold](const Tensor& g, const std::vector<bool>&) {
                      return std::vector<Tensor>{kernels::relu_backward(xv, g, negative_slope, max_value, threshold)};
                    });
}

ad::Var leaky_relu_tape(const ad::Var& x, float negative_slope) {
  Tensor xv = x.value();
  return ad::record(kernels::leaky_relu(xv, negative_slope), {x},
                    [xv, negative_slope](const Tensor& g, const std::vector<bool>&) {
                      return std::vector<Tensor>{kernels::leaky_relu_backward(xv, g, negative_slope)};
                    });
}

ad::Var elu_tape(const ad::Var& x, float alpha) {
  Tensor xv = x.value();
  return ad::record(kernels::elu(xv, alpha), {x}, [xv, alpha](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{kernels::elu_backward(xv, g, alpha)};
  });
}

}  // namespace keras::detail
