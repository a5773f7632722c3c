#include "layers/attention/attention_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_attention_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("MultiHeadAttention", MultiHeadAttentionImpl::from_config);
  r.add("GroupQueryAttention", GroupQueryAttentionImpl::from_config);
  r.alias("GroupedQueryAttention", "GroupQueryAttention");  // the Python class name
  r.add("Attention", DotAttentionImpl::attention_from_config);
  r.add("AdditiveAttention", DotAttentionImpl::additive_from_config);
}

}  // namespace keras::detail
