#include "keras/saving.hpp"
#include "layers/merging/merging_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_merging_layers() {
  using Kind = MergeImpl::Kind;
  const std::pair<const char*, Kind> merges[] = {{"Add", Kind::add},           {"Subtract", Kind::subtract},
                                                 {"Multiply", Kind::multiply}, {"Average", Kind::average},
                                                 {"Maximum", Kind::maximum},   {"Minimum", Kind::minimum}};
  for (const auto& [class_name, kind] : merges) {
    saving::register_layer("keras.layers", class_name,
                           [kind = kind](const Json& config) { return MergeImpl::from_config(kind, config); });
  }
  saving::register_layer("keras.layers", "Concatenate", ConcatenateImpl::from_config);
  saving::register_layer("keras.layers", "Dot", DotImpl::from_config);
}

}  // namespace keras::detail
