// The default backward pass of an operation: none.
#include "keras/operation.hpp"

namespace keras {

VjpResult Operation::call_vjp(const CallArgs& /*args*/) {
  throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() +
                            "': a model cannot be trained through it");
}

}  // namespace keras
