// The keras::Model and keras::Sequential handles: prediction in batches,
// layer access and weights (the summary table is in summary.cpp).
#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include "keras/models.hpp"
#include "models/functional.hpp"
#include "models/sequential.hpp"
#include "ops/threads.hpp"

namespace keras {

std::vector<std::string> ModelImpl::input_names() const {
  std::vector<std::string> names;
  for (const auto& t : inputs()) names.push_back(t.node()->operation->name());
  return names;
}

std::vector<std::string> ModelImpl::output_names() const {
  std::vector<std::string> names;
  for (const auto& t : outputs()) names.push_back(t.node()->operation->name());
  return names;
}

std::vector<Layer::Child> ModelImpl::walk_children() const { return Layer::walk_children(); }

namespace {

detail::TensorStructure structure_of(std::size_t n) {
  return {n == 1 ? detail::TensorStructure::Kind::single : detail::TensorStructure::Kind::list, {}};
}

// Rows [begin, end) of a tensor along axis 0.
Tensor slice_rows(const Tensor& t, std::int64_t begin, std::int64_t end) {
  Shape shape = t.shape();
  std::int64_t rows = shape.at(0);
  if (begin == 0 && end == rows) return t;
  std::size_t row_bytes = t.nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(rows, 1));
  shape[0] = end - begin;
  Tensor out(shape, t.dtype());
  std::memcpy(out.raw_data(), static_cast<const std::byte*>(t.raw_data()) + static_cast<std::size_t>(begin) * row_bytes,
              static_cast<std::size_t>(end - begin) * row_bytes);
  return out;
}

Tensor concat_rows(const std::vector<Tensor>& parts) {
  if (parts.size() == 1) return parts.front();
  Shape shape = parts.front().shape();
  std::int64_t rows = 0;
  for (const auto& p : parts) rows += p.shape().at(0);
  shape[0] = rows;
  Tensor out(shape, parts.front().dtype());
  std::size_t offset = 0;
  for (const auto& p : parts) {
    std::memcpy(static_cast<std::byte*>(out.raw_data()) + offset, p.raw_data(), p.nbytes());
    offset += p.nbytes();
  }
  return out;
}

}  // namespace

Model::Model(std::shared_ptr<ModelImpl> impl) : LayerRef(std::move(impl)) {}

Model::Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, const std::string& name)
    : LayerRef(std::make_shared<detail::FunctionalImpl>(inputs, structure_of(inputs.size()), outputs,
                                                        structure_of(outputs.size()), name)) {}

Model::Model(const KerasTensor& input, const KerasTensor& output, const std::string& name)
    : Model(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, name) {}

namespace {

// Flattens a dict in sorted key order and remembers the given key order.
std::vector<KerasTensor> flatten_dict(const TensorDict& dict, detail::TensorStructure& s, const char* what) {
  s.kind = detail::TensorStructure::Kind::dict;
  std::map<std::string, KerasTensor> sorted;
  for (const auto& [key, t] : dict) {
    if (!sorted.emplace(key, t).second) throw ValueError(std::string("Duplicate key '") + key + "' in model " + what);
    s.keys.push_back(key);
  }
  std::vector<KerasTensor> flat;
  for (const auto& [key, t] : sorted) flat.push_back(t);
  return flat;
}

detail::TensorStructure single_structure() { return {detail::TensorStructure::Kind::single, {}}; }

}  // namespace

Model::Model(const std::vector<KerasTensor>& inputs, const KerasTensor& output, const std::string& name)
    : LayerRef(std::make_shared<detail::FunctionalImpl>(inputs, structure_of(inputs.size()),
                                                        std::vector<KerasTensor>{output}, single_structure(), name)) {}

Model::Model(const TensorDict& inputs, const TensorDict& outputs, const std::string& name) {
  detail::TensorStructure in_s;
  detail::TensorStructure out_s;
  auto in = flatten_dict(inputs, in_s, "inputs");
  auto out = flatten_dict(outputs, out_s, "outputs");
  layer_ = std::make_shared<detail::FunctionalImpl>(in, in_s, out, out_s, name);
}

Model::Model(const TensorDict& inputs, const std::vector<KerasTensor>& outputs, const std::string& name) {
  detail::TensorStructure in_s;
  auto in = flatten_dict(inputs, in_s, "inputs");
  layer_ = std::make_shared<detail::FunctionalImpl>(in, in_s, outputs, structure_of(outputs.size()), name);
}

Model::Model(const TensorDict& inputs, const KerasTensor& output, const std::string& name) {
  detail::TensorStructure in_s;
  auto in = flatten_dict(inputs, in_s, "inputs");
  layer_ =
      std::make_shared<detail::FunctionalImpl>(in, in_s, std::vector<KerasTensor>{output}, single_structure(), name);
}

Model::Model(const std::vector<KerasTensor>& inputs, const TensorDict& outputs, const std::string& name) {
  detail::TensorStructure out_s;
  auto out = flatten_dict(outputs, out_s, "outputs");
  layer_ = std::make_shared<detail::FunctionalImpl>(inputs, structure_of(inputs.size()), out, out_s, name);
}

Model::Model(const KerasTensor& input, const TensorDict& outputs, const std::string& name)
    : Model(std::vector<KerasTensor>{input}, outputs, name) {}

ModelImpl& Model::impl() const {
  if (!layer_) throw ValueError("Empty model handle");
  return static_cast<ModelImpl&>(*layer_);
}

std::shared_ptr<ModelImpl> Model::impl_ptr() const { return std::static_pointer_cast<ModelImpl>(layer_); }

const std::string& Model::name() const { return impl().name(); }

namespace {

// Whether a batch may be split by rows with the same results as Keras running it whole: every
// operation is a keras.layers class (or a private keras.applications one), and none of them
// mixes samples in inference. Raw operations (an ops.mean over axis 0), Lambda and custom
// layers could, so models holding one run each batch whole.
bool splits_by_rows(const Layer& layer) {
  if (const auto* functional = dynamic_cast<const detail::FunctionalImpl*>(&layer)) {
    return std::all_of(functional->operations().begin(), functional->operations().end(), [](const OperationPtr& op) {
      const auto* inner = op->is_layer() ? dynamic_cast<const Layer*>(op.get()) : nullptr;
      return inner != nullptr && splits_by_rows(*inner);
    });
  }
  if (dynamic_cast<const ModelImpl*>(&layer) == nullptr) {
    const std::string module = layer.module();
    const bool keras_class = module == "keras.layers" || module.starts_with("keras.src.applications");
    if (!keras_class || layer.class_name() == "Lambda") return false;
  }
  for (const auto& sub : layer.layer_list())
    if (!splits_by_rows(*sub)) return false;
  for (const auto& child : layer.tracked_sublayers())
    if (!splits_by_rows(*child.layer)) return false;
  return true;
}

}  // namespace

std::vector<Tensor> Model::predict(const std::vector<Tensor>& inputs, std::int64_t batch_size) const {
  if (batch_size <= 0) throw ValueError("batch_size must be positive, got " + std::to_string(batch_size));
  if (inputs.empty()) throw ValueError("predict() needs at least one input");
  for (const auto& t : inputs) {
    if (!t.defined() || t.rank() == 0) throw ValueError("predict() inputs need a batch dimension");
  }
  const std::int64_t rows = inputs.front().shape()[0];
  for (const auto& t : inputs) {
    if (t.shape()[0] != rows)
      throw ValueError("All inputs of predict() need the same number of samples, got " + std::to_string(rows) +
                       " and " + std::to_string(t.shape()[0]));
  }
  // Several threads split each batch by rows, one slice per thread, each slice run by
  // single-threaded primitives: a model's many small primitives then never wait at a barrier
  // or wake a sleeping thread (lstm_text batch 64 on two threads took 11 ms this way against
  // 7.6 ms on one). Slices are fixed by the batch and the thread count, so results repeat bit
  // for bit from run to run.
  const int threads = kernels::threads_for_batch(std::min(rows, batch_size));
  const bool split = threads > 1 && impl().built() && splits_by_rows(impl());
  // An unbuilt model builds in its first call, so that call runs whole. Variables take their
  // initial values on first read, unguarded: read them all here, before the
  // slices run at once (two threads initializing a fresh model's kernel drew two kernels).
  if (split)
    for (const auto& variable : impl().weights())
      if (!variable->allocated()) (void)variable->value();  // a released one stays released
  std::vector<std::vector<Tensor>> batches;
  for (std::int64_t begin = 0; begin < rows || (rows == 0 && begin == 0); begin += batch_size) {
    const std::int64_t end = std::min(rows, begin + batch_size);
    const std::int64_t slices = split ? std::max<std::int64_t>(1, std::min<std::int64_t>(threads, end - begin)) : 1;
    if (slices == 1) {  // the whole batch, with intra-op threads
      const int batch_threads = kernels::threads_for_batch(end - begin);
      const kernels::ThreadScope team(batch_threads);
      std::vector<Tensor> batch;
      for (const auto& t : inputs) batch.push_back(slice_rows(t, begin, end));
      // A small batch runs its steps on this thread, and the steps that split (a large Dense's
      // columns) hand their parts to the other threads, which wait spinning for the whole call
      // instead of waking for each part.
      kernels::run_with_team(batch_threads == 1 ? kernels::num_threads() : 1, {&impl(), end - begin},
                             [&] { batches.push_back(impl().run(batch, false)); });
      if (rows == 0) break;
      continue;
    }
    std::vector<std::vector<Tensor>> results(static_cast<std::size_t>(slices));
    kernels::parallel_tasks(slices, threads, [&](std::int64_t s) {
      const std::int64_t from = begin + (end - begin) * s / slices;
      const std::int64_t to = begin + (end - begin) * (s + 1) / slices;
      std::vector<Tensor> slice;
      for (const auto& t : inputs) slice.push_back(slice_rows(t, from, to));
      results[static_cast<std::size_t>(s)] = impl().run(slice, false);
    });
    for (auto& result : results) batches.push_back(std::move(result));
    if (rows == 0) break;
  }
  std::vector<Tensor> outputs;
  for (std::size_t o = 0; o < batches.front().size(); ++o) {
    std::vector<Tensor> parts;
    for (const auto& b : batches) parts.push_back(b[o]);
    outputs.push_back(concat_rows(parts));
  }
  return outputs;
}

void set_num_threads(int threads) { kernels::set_num_threads(threads); }
int get_num_threads() { return kernels::num_threads(); }

std::vector<Tensor> Model::predict(const Tensor& input, std::int64_t batch_size) const {
  return predict(std::vector<Tensor>{input}, batch_size);
}

std::map<std::string, Tensor> Model::predict_named(const std::map<std::string, Tensor>& inputs,
                                                   std::int64_t batch_size) const {
  std::vector<Tensor> ordered;
  for (const auto& name : input_names()) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw ValueError("Missing input '" + name + "' for model '" + this->name() + "'");
    ordered.push_back(it->second);
  }
  if (inputs.size() != ordered.size()) throw ValueError("predict_named() got inputs the model does not have");
  auto outputs = predict(ordered, batch_size);
  std::map<std::string, Tensor> named;
  auto names = output_names();
  for (std::size_t i = 0; i < outputs.size(); ++i) named[names[i]] = outputs[i];
  return named;
}

std::vector<KerasTensor> Model::inputs() const { return impl().inputs(); }
std::vector<KerasTensor> Model::outputs() const { return impl().outputs(); }
std::vector<std::string> Model::input_names() const { return impl().input_names(); }
std::vector<std::string> Model::output_names() const { return impl().output_names(); }

QuantizationReport Model::quantize(const std::string& mode,
                                   const std::optional<quantizers::QuantizationConfig>& config) const {
  // One resolved config, shared by every layer (Keras' quantize_wrapper).
  quantizers::QuantizationConfig resolved = config ? *config : quantizers::QuantizationConfig::for_mode(mode);
  if (config) {
    resolved.validate();
    if (!mode.empty() && mode != config->mode)
      throw ValueError("Contradictory arguments: mode='" + mode + "' but config.mode='" + config->mode + "'");
  }
  ModelImpl& model = impl();
  // A Functional model is built by construction; a Sequential one once its layers are.
  const auto layers = model.layer_list();
  const bool built = !layers.empty() && std::all_of(layers.begin(), layers.end(), [](const LayerPtr& l) {
    return l->built() || l->class_name() == "InputLayer";
  });
  if (!built)
    throw ValueError("Cannot quantize a layer that isn't yet built. Layer '" + model.name() + "' (of type '" +
                     model.python_class_name() + "') is not built yet.");
  // Keras' _flatten_layers: depth first, each layer before its own layers,
  // each object once.
  std::vector<Layer*> order;
  std::set<const Layer*> seen;
  std::function<void(const std::shared_ptr<Layer>&)> visit = [&](const std::shared_ptr<Layer>& layer) {
    if (!seen.insert(layer.get()).second) return;
    order.push_back(layer.get());
    for (const auto& sub : layer->layer_list()) visit(sub);
    for (const auto& child : layer->tracked_sublayers()) visit(child.layer);
  };
  for (const auto& layer : model.layer_list()) visit(layer);
  for (const auto& child : model.tracked_sublayers()) visit(child.layer);

  QuantizationReport report;
  report.mode = resolved.mode;
  for (Layer* layer : order) {
    if (dynamic_cast<const ModelImpl*>(layer) != nullptr) continue;  // its layers are in the walk
    if (layer->class_name() == "InputLayer") continue;
    if (layer->dtype_policy().quantized()) {
      report.skipped.emplace_back(layer->name(), "already quantized");
      continue;
    }
    try {
      layer->quantize(resolved.mode, resolved);
    } catch (const NotImplementedError&) {
      report.skipped.emplace_back(layer->name(), "does not support quantization");
      continue;
    }
    report.quantized.push_back(layer->name());
  }
  return report;
}

std::vector<LayerRef> Model::layers() const {
  std::vector<LayerRef> out;
  for (const auto& l : impl().layer_list()) out.emplace_back(l);
  return out;
}

LayerRef Model::get_layer(const std::string& name) const {
  for (const auto& l : impl().layer_list()) {
    if (l->name() == name) return LayerRef(l);
  }
  throw ValueError("No such layer: " + name + ". Existing layers are: " + [&] {
    std::string names;
    for (const auto& l : impl().layer_list()) names += (names.empty() ? "" : ", ") + l->name();
    return names;
  }() + ".");
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& v : impl().weights()) out.push_back(v->snapshot().clone());  // safe beside a first predict
  return out;
}

void Model::set_weights(const std::vector<Tensor>& weights) const {
  auto vars = impl().weights();
  if (vars.size() != weights.size())
    throw ValueError("You called `set_weights(weights)` on model '" + name() + "' with a weight list of length " +
                     std::to_string(weights.size()) + ", but the model has " + std::to_string(vars.size()) +
                     " weights.");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (vars[i]->shape() != weights[i].shape())
      throw ShapeMismatchError("Weight " + std::to_string(i) + " (" + vars[i]->path() + ") has shape " +
                               shape_to_string(vars[i]->shape()) + ", received " + shape_to_string(weights[i].shape()));
  }
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(weights[i]);
}

std::int64_t Model::count_params() const { return impl().count_params(); }

// ---------------------------------------------------------------- Sequential

Sequential::Sequential(const std::vector<SequentialEntry>& layers, const SequentialOptions& options)
    : Model(std::static_pointer_cast<ModelImpl>(std::make_shared<detail::SequentialImpl>(options))) {
  // As keras.Sequential(layers): add every layer, then trace the graph once
  // (each trace runs compute_mask, whose ops take auto names).
  auto& seq = static_cast<detail::SequentialImpl&>(impl());
  for (const auto& entry : layers) {
    if (const auto* ref = std::get_if<LayerRef>(&entry)) {
      seq.add(ref->ptr(), false);
      continue;
    }
    const auto& tensor = std::get<KerasTensor>(entry);
    auto input = std::dynamic_pointer_cast<detail::InputLayerImpl>(tensor.node()->operation);
    if (!input) throw ValueError("Only Input() tensors can be added to a Sequential model");
    seq.add_input(input, false);
  }
  if (!layers.empty()) seq.rebuild_graph();
}

Sequential::Sequential(std::shared_ptr<ModelImpl> impl) : Model(std::move(impl)) {
  if (!dynamic_cast<detail::SequentialImpl*>(layer_.get())) throw ValueError("Not a Sequential model");
}

void Sequential::add(const SequentialEntry& entry) const {
  auto& seq = static_cast<detail::SequentialImpl&>(impl());
  if (const auto* ref = std::get_if<LayerRef>(&entry)) {
    seq.add(ref->ptr());
    return;
  }
  const auto& tensor = std::get<KerasTensor>(entry);
  auto input = std::dynamic_pointer_cast<detail::InputLayerImpl>(tensor.node()->operation);
  if (!input) throw ValueError("Only Input() tensors can be added to a Sequential model");
  seq.add_input(input);
}

void Sequential::pop() const { static_cast<detail::SequentialImpl&>(impl()).pop(); }

void Sequential::build(const Shape& batch_input_shape) const {
  static_cast<detail::SequentialImpl&>(impl()).build_with_shape(batch_input_shape);
}

}  // namespace keras
