#include "layers/core/input_layer.hpp"
#include "graph/config_json.hpp"

namespace keras::detail {

namespace {
LayerBaseOptions input_base(const layers::InputLayerOptions& o) {
  LayerBaseOptions base;
  base.name = o.name;
  base.dtype = o.dtype;
  return base;
}
}  // namespace

InputLayerImpl::InputLayerImpl(const layers::InputLayerOptions& options)
    : Layer(input_base(options), "input_layer"),
      dtype_(dtype_from_name(options.dtype)),
      sparse_(options.sparse),
      ragged_(options.ragged),
      optional_(options.optional) {
  if (options.batch_shape) {
    batch_shape_ = *options.batch_shape;
  } else {
    batch_shape_.push_back(options.batch_size.value_or(kUnknownDim));
    batch_shape_.insert(batch_shape_.end(), options.shape.begin(), options.shape.end());
  }
  if (sparse_ || ragged_)
    throw NotImplementedError("InputLayer '" + name() + "': sparse and ragged inputs are not supported");
  set_built(true);
}

LayerPtr InputLayerImpl::from_config(const Json& config) {
  layers::InputLayerOptions o;
  o.name = detail::config_value(config, "name", std::string());
  if (auto it = config.find("dtype"); it != config.end() && !it->is_null())
    o.dtype = DTypePolicy::from_json(*it).name();
  if (auto it = config.find("batch_shape"); it != config.end() && !it->is_null()) {
    o.batch_shape = shape_from_json(*it, "InputLayer batch_shape");
  } else if (auto legacy = config.find("batch_input_shape"); legacy != config.end() && !legacy->is_null()) {
    o.batch_shape = shape_from_json(*legacy, "InputLayer batch_input_shape");
  } else {
    const Json* shape = nullptr;
    if (auto s = config.find("shape"); s != config.end() && !s->is_null()) shape = &*s;
    if (auto s = config.find("input_shape"); shape == nullptr && s != config.end() && !s->is_null()) shape = &*s;
    if (shape == nullptr) throw FormatError("InputLayer '" + o.name + "' config has no batch_shape or shape");
    o.shape = shape_from_json(*shape, "InputLayer shape");
    if (auto b = config.find("batch_size"); b != config.end() && b->is_number_integer())
      o.batch_size = b->get<std::int64_t>();
  }
  o.sparse = detail::config_value(config, "sparse", false);
  o.ragged = detail::config_value(config, "ragged", false);
  o.optional = detail::config_value(config, "optional", false);
  return std::make_shared<InputLayerImpl>(o);
}

Json InputLayerImpl::get_config() const {
  return Json{{"batch_shape", shape_to_json(batch_shape_)},
              {"dtype", dtype_name(dtype_)},
              {"sparse", sparse_},
              {"ragged", ragged_},
              {"name", name()},
              {"optional", optional_}};
}

std::vector<TensorSpec> InputLayerImpl::compute_output_spec(const SpecArgs& /*args*/) {
  return {TensorSpec{batch_shape_, dtype_}};
}

std::vector<Tensor> InputLayerImpl::call(const CallArgs& args) { return {args.tensor(0)}; }

KerasTensor InputLayerImpl::output() {
  if (auto node = output_node_.lock()) return KerasTensor(node, 0);
  KerasTensor out = call_symbolic(Json::array(), Json::object(), {}).front();
  output_node_ = out.node();
  return out;
}

}  // namespace keras::detail

namespace keras {

layers::InputLayer::InputLayer(const InputLayerOptions& options)
    : LayerRef(std::make_shared<detail::InputLayerImpl>(options)) {}

KerasTensor layers::InputLayer::output() const { return static_cast<detail::InputLayerImpl&>(*layer_).output(); }

KerasTensor Input(const Shape& shape, const InputOptions& options) {
  layers::InputLayerOptions o;
  o.shape = shape;
  o.batch_size = options.batch_size;
  o.dtype = options.dtype;
  o.sparse = options.sparse;
  o.optional = options.optional;
  o.name = options.name;
  return layers::InputLayer(o).output();
}

}  // namespace keras
