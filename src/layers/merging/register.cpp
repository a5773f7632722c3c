#include "layers/merging/merging_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_merging_layers() {
  using Kind = MergeImpl::Kind;
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Add", [](const Json& c) { return MergeImpl::from_config(Kind::add, c); });
  r.add("Subtract", [](const Json& c) { return MergeImpl::from_config(Kind::subtract, c); });
  r.add("Multiply", [](const Json& c) { return MergeImpl::from_config(Kind::multiply, c); });
  r.add("Average", [](const Json& c) { return MergeImpl::from_config(Kind::average, c); });
  r.add("Maximum", [](const Json& c) { return MergeImpl::from_config(Kind::maximum, c); });
  r.add("Minimum", [](const Json& c) { return MergeImpl::from_config(Kind::minimum, c); });
  r.add("Concatenate", ConcatenateImpl::from_config);
  r.add("Dot", DotImpl::from_config);
}

}  // namespace keras::detail
