#include "layers/core/dense.hpp"
#include "layers/core/einsum_dense.hpp"
#include "layers/core/embedding.hpp"
#include "layers/core/identity_masking.hpp"
#include "layers/core/input_layer.hpp"
#include "layers/core/ternary_dense.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_core_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("InputLayer", InputLayerImpl::from_config);
  r.add("Dense", DenseImpl::from_config);
  r.add("EinsumDense", EinsumDenseImpl::from_config);
  r.add("Embedding", EmbeddingImpl::from_config);
  r.add("Identity", IdentityImpl::from_config);
  r.add("Masking", MaskingImpl::from_config);
  r.add("ReversibleEmbedding", ReversibleEmbeddingImpl::from_config);
  r.add("TernaryDense", TernaryDenseImpl::from_config);
  // Lambda holds Python bytecode; Keras' own safe mode refuses it too.
  r.refuse("Lambda", saving::Refusal::unsafe,
           "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. keras-cpp never "
           "executes Python code, so Lambda layers cannot be loaded (this is Keras' safe mode, and it cannot be "
           "turned off here).");
  // Wrappers of another framework's Python objects: nothing in the file can run without it.
  r.refuse("TorchModuleWrapper", saving::Refusal::unknown,
           "it wraps a PyTorch module (Python code and torch state), which keras-cpp cannot run.");
  r.refuse("JaxLayer", saving::Refusal::unknown,
           "it wraps a Python function written for JAX, which keras-cpp cannot run.");
  r.refuse("FlaxLayer", saving::Refusal::unknown,
           "it wraps a Flax module (Python code for JAX), which keras-cpp cannot run.");
}

}  // namespace keras::detail
