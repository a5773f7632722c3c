#include "keras/saving.hpp"
#include "layers/attention/attention_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_attention_layers() {
  saving::register_layer("keras.layers", "MultiHeadAttention", MultiHeadAttentionImpl::from_config);
  saving::register_layer("keras.layers", "GroupQueryAttention", GroupQueryAttentionImpl::from_config);
  // The Python class name, accepted as an alias.
  saving::register_layer("keras.layers", "GroupedQueryAttention", GroupQueryAttentionImpl::from_config);
  saving::register_layer("keras.layers", "Attention", DotAttentionImpl::attention_from_config);
  saving::register_layer("keras.layers", "AdditiveAttention", DotAttentionImpl::additive_from_config);
}

}  // namespace keras::detail
