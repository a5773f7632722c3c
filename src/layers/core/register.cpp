#include "keras/saving.hpp"
#include "layers/core/dense.hpp"
#include "layers/core/einsum_dense.hpp"
#include "layers/core/embedding.hpp"
#include "layers/core/identity_masking.hpp"
#include "layers/core/input_layer.hpp"
#include "layers/core/ternary_dense.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_core_layers() {
  saving::register_layer("keras.layers", "InputLayer", InputLayerImpl::from_config);
  saving::register_layer("keras.layers", "Dense", DenseImpl::from_config);
  saving::register_layer("keras.layers", "EinsumDense", EinsumDenseImpl::from_config);
  saving::register_layer("keras.layers", "Embedding", EmbeddingImpl::from_config);
  saving::register_layer("keras.layers", "Identity", IdentityImpl::from_config);
  saving::register_layer("keras.layers", "Masking", MaskingImpl::from_config);
  saving::register_layer("keras.layers", "ReversibleEmbedding", ReversibleEmbeddingImpl::from_config);
  saving::register_layer("keras.layers", "TernaryDense", TernaryDenseImpl::from_config);
}

}  // namespace keras::detail
