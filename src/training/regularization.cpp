#include "training/regularization.hpp"

#include <functional>
#include <set>
#include <vector>

#include "keras/models.hpp"
#include "keras/regularizers.hpp"
#include "keras/variable.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace keras::training {

namespace k = keras::kernels;

namespace {

double number(const Json& config, const char* key, double fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw ValueError(std::string("Invalid value for argument ") + key + ": " + it->dump());
  return it->get<double>();
}

std::vector<int> axes(const Json& config, int fallback) {
  auto it = config.find("axis");
  if (it == config.end() || it->is_null()) return {fallback};
  if (it->is_number_integer()) return {it->get<int>()};
  std::vector<int> out;
  for (const auto& a : *it) out.push_back(a.get<int>());
  return out;
}

std::string class_of(const Json& envelope, const char* what) {
  if (!envelope.is_object() || !envelope.contains("class_name") || !envelope.at("class_name").is_string())
    throw FormatError(std::string("Could not interpret ") + what + ": " + envelope.dump());
  return envelope.at("class_name").get<std::string>();
}

}  // namespace

ad::Var regularization_penalty(const Json& regularizer, const ad::Var& x) {
  const std::string cls = class_of(regularizer, "regularizer");
  const Json config = regularizer.value("config", Json::object());
  if (cls == "L1") return static_cast<float>(number(config, "l1", 0.01)) * ad::sum(ad::abs(x));
  if (cls == "L2") return static_cast<float>(number(config, "l2", 0.01)) * ad::sum(ad::square(x));
  if (cls == "L1L2") {
    ad::Var total = ad::scalar(0.0F);
    const double l1 = number(config, "l1", 0.0);
    const double l2 = number(config, "l2", 0.0);
    if (l1 != 0.0) total = total + static_cast<float>(l1) * ad::sum(ad::abs(x));
    if (l2 != 0.0) total = total + static_cast<float>(l2) * ad::sum(ad::square(x));
    return total;
  }
  if (cls == "OrthogonalRegularizer") {
    if (x.rank() != 2)
      throw ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=" +
                       shape_to_string(x.shape()));
    const bool rows = config.value("mode", std::string("rows")) == "rows";
    ad::Var n = ad::l2_normalize(x, {rows ? 1 : 0});
    ad::Var product = rows ? ad::matmul(n, ad::transpose(n)) : ad::matmul(ad::transpose(n), n);
    const std::int64_t size = rows ? x.dim(0) : x.dim(1);
    Tensor off_diagonal = Tensor::full({size, size}, 1.0F);
    for (std::int64_t i = 0; i < size; ++i) off_diagonal.data<float>()[i * size + i] = 0.0F;
    const double pairs = static_cast<double>(size) * (static_cast<double>(size) - 1.0) / 2.0;
    const auto factor = static_cast<float>(number(config, "factor", 0.01));
    return factor * 0.5F * ad::sum(ad::abs(product * ad::Var(off_diagonal))) / static_cast<float>(pairs);
  }
  throw NotImplementedError("keras-cpp cannot apply the regularizer '" + cls + "' in training");
}

Tensor apply_constraint(const Json& constraint, const Tensor& w_in) {
  const std::string cls = class_of(constraint, "constraint");
  const Json config = constraint.value("config", Json::object());
  Tensor w = w_in.astype(DType::float32);
  if (cls == "NonNeg") return k::maximum(w, Tensor::scalar(0.0F));
  const std::vector<int> ax = axes(config, 0);
  Tensor norms = k::sqrt(k::sum(k::square(w), ax, true));
  const Tensor eps = Tensor::scalar(1e-7F);
  if (cls == "UnitNorm") return k::divide(w, k::add(norms, eps));
  if (cls == "MaxNorm") {
    Tensor desired = k::clip(norms, 0.0F, static_cast<float>(number(config, "max_value", 2.0)));
    return k::multiply(w, k::divide(desired, k::add(norms, eps)));
  }
  if (cls == "MinMaxNorm") {
    const auto rate = static_cast<float>(number(config, "rate", 1.0));
    Tensor clipped = k::clip(norms, static_cast<float>(number(config, "min_value", 0.0)),
                             static_cast<float>(number(config, "max_value", 1.0)));
    Tensor desired = k::add(k::multiply(clipped, rate), k::multiply(norms, 1.0F - rate));
    return k::multiply(w, k::divide(desired, k::add(norms, eps)));
  }
  throw NotImplementedError("keras-cpp cannot apply the constraint '" + cls + "' in training");
}

namespace {

// Every layer inside `root`, each once, in tracking order.
void each_layer(const Layer& root, const std::function<void(const Layer&)>& visit, std::set<const Layer*>& seen) {
  if (!seen.insert(&root).second) return;
  // Models hold no variables of their own: their layers are visited instead
  // (and a model's config is its whole graph, too costly to write per step).
  if (root.layer_list().empty()) visit(root);
  for (const auto& layer : root.layer_list()) each_layer(*layer, visit, seen);
  for (const auto& child : root.tracked_sublayers()) each_layer(*child.layer, visit, seen);
}

}  // namespace

std::vector<std::pair<VariablePtr, Json>> variables_with(const Layer& root, const std::string& which) {
  std::vector<std::pair<VariablePtr, Json>> out;
  const std::string suffix = "_" + which;
  std::set<const Layer*> seen;
  each_layer(
      root,
      [&](const Layer& layer) {
        if (!layer.trainable()) return;
        const Json config = layer.get_config();
        for (const auto& [key, value] : config.items()) {
          if (value.is_null() || key == "activity_regularizer" || !key.ends_with(suffix)) continue;
          const std::string attribute = key.substr(0, key.size() - suffix.size());
          for (const auto& variable : layer.own_trainable_variables()) {
            // Keras' enable_lora() gives lora_<attribute>_a / _b the attribute's regularizer.
            const bool lora = which == "regularizer" && (variable->name() == "lora_" + attribute + "_a" ||
                                                         variable->name() == "lora_" + attribute + "_b");
            if (variable->name() == attribute || variable->name() == attribute + "_kernel" || lora)
              out.emplace_back(variable, value);
          }
        }
      },
      seen);
  return out;
}

namespace {

// A layer's own activity_regularizer, from its config (models have none:
// their config is their graph). MultiHeadAttention writes the one it hands to
// its projections; Keras keeps it out of the layer's own (`_activity_regularizer`).
std::optional<Json> own_activity_regularizer(const Layer& layer) {
  if (!layer.layer_list().empty() || dynamic_cast<const ModelImpl*>(&layer) != nullptr) return std::nullopt;
  if (layer.class_name() == "MultiHeadAttention") return std::nullopt;
  const Json config = layer.get_config();
  // ActivityRegularization's config carries l1 and l2 instead (it is the layer's whole point).
  if (layer.class_name() == "ActivityRegularization")
    return regularizers::L1L2(config.value("l1", 0.0), config.value("l2", 0.0));
  auto it = config.find("activity_regularizer");
  if (it == config.end() || it->is_null()) return std::nullopt;
  return *it;
}

void walk_activity(const Layer& layer, bool in_graph, ActivityRegularized& out, std::set<const Layer*>& seen) {
  if (!seen.insert(&layer).second) return;
  if (auto regularizer = own_activity_regularizer(layer)) {
    if (in_graph)
      out.graph_layers.emplace(&layer, *regularizer);
    else
      out.sublayers.push_back(layer.name());
  }
  // A model's layers are nodes of its graph; any other layer calls its sublayers itself.
  for (const auto& member : layer.layer_list()) walk_activity(*member, true, out, seen);
  for (const auto& child : layer.tracked_sublayers()) walk_activity(*child.layer, false, out, seen);
}

}  // namespace

ActivityRegularized activity_regularized_layers(const Layer& root) {
  ActivityRegularized out;
  std::set<const Layer*> seen;
  walk_activity(root, true, out, seen);
  return out;
}

ad::Var activity_penalty(const Json& regularizer, const ad::Var& output) {
  ad::Var penalty = ad::sum(regularization_penalty(regularizer, output));
  if (output.rank() == 0) return penalty;
  return ad::divide_no_nan(penalty, ad::scalar(static_cast<float>(output.dim(0))));
}

}  // namespace keras::training
