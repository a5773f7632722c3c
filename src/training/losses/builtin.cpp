// The keras.losses classes: every one is a LossFunctionWrapper around one of
// the functions, with its own keys in its config. Configs read from files keep
// their values exactly as written (0 stays 0, 0.1 stays 0.1), so that they
// are written back as Keras wrote them.
#include <map>

#include "keras/losses.hpp"
#include "training/losses/builtin.hpp"
#include "training/registrations.hpp"

namespace keras::losses {

namespace {

using ad::Var;

// ------------------------------------------------------------ typed kwargs

bool flag(const Json& kwargs, const char* key, bool fallback) {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw ValueError(std::string("Loss argument `") + key + "` must be a bool, got " + it->dump());
  return it->get<bool>();
}

double number(const Json& kwargs, const char* key, double fallback) {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return fallback;
  if (!it->is_number() || it->is_boolean())
    throw ValueError(std::string("Loss argument `") + key + "` must be a number, got " + it->dump());
  return it->get<double>();
}

int integer(const Json& kwargs, const char* key, int fallback) {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    throw ValueError(std::string("`") + key + "` must be of type `int`. Received: " + key + "=" + it->dump());
  }
  return it->get<int>();
}

std::optional<std::int64_t> optional_integer(const Json& kwargs, const char* key) {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw ValueError(std::string("Loss argument `") + key + "` must be an integer or null, got " + it->dump());
  return it->get<std::int64_t>();
}

std::optional<std::vector<int>> optional_axes(const Json& kwargs, const char* key) {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return std::vector<int>{it->get<int>()};
  if (it->is_array()) {
    std::vector<int> axes;
    for (const auto& a : *it) {
      if (!a.is_number_integer()) throw ValueError(std::string("Loss argument `") + key + "` must hold integers");
      axes.push_back(a.get<int>());
    }
    return axes;
  }
  throw ValueError(std::string("Loss argument `") + key + "` must be an int, a list of ints or null, got " +
                   it->dump());
}

LossValues plain(Var v) { return {std::move(v), {}}; }

// ------------------------------------------------------------ functions

const std::map<std::string, LossFunction>& function_table() {
  static const std::map<std::string, LossFunction> table = {
      {"mean_squared_error", [](const Var& t, const Var& p, const Json&) { return plain(mean_squared_error(t, p)); }},
      {"mean_absolute_error", [](const Var& t, const Var& p, const Json&) { return plain(mean_absolute_error(t, p)); }},
      {"mean_absolute_percentage_error",
       [](const Var& t, const Var& p, const Json&) { return plain(mean_absolute_percentage_error(t, p)); }},
      {"mean_squared_logarithmic_error",
       [](const Var& t, const Var& p, const Json&) { return plain(mean_squared_logarithmic_error(t, p)); }},
      {"cosine_similarity", [](const Var& t, const Var& p,
                               const Json& kw) { return plain(cosine_similarity(t, p, integer(kw, "axis", -1))); }},
      {"huber",
       [](const Var& t, const Var& p, const Json& kw) { return plain(huber(t, p, number(kw, "delta", 1.0))); }},
      {"log_cosh", [](const Var& t, const Var& p, const Json&) { return plain(log_cosh(t, p)); }},
      {"hinge", [](const Var& t, const Var& p, const Json&) { return plain(hinge(t, p)); }},
      {"squared_hinge", [](const Var& t, const Var& p, const Json&) { return plain(squared_hinge(t, p)); }},
      {"categorical_hinge", [](const Var& t, const Var& p, const Json&) { return plain(categorical_hinge(t, p)); }},
      {"kl_divergence", [](const Var& t, const Var& p, const Json&) { return plain(kl_divergence(t, p)); }},
      {"poisson", [](const Var& t, const Var& p, const Json&) { return plain(poisson(t, p)); }},
      {"binary_crossentropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(binary_crossentropy(t, p, flag(kw, "from_logits", false), number(kw, "label_smoothing", 0.0),
                                          integer(kw, "axis", -1)));
       }},
      {"binary_focal_crossentropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(binary_focal_crossentropy(
             t, p, flag(kw, "apply_class_balancing", false), number(kw, "alpha", 0.25), number(kw, "gamma", 2.0),
             flag(kw, "from_logits", false), number(kw, "label_smoothing", 0.0), integer(kw, "axis", -1)));
       }},
      {"categorical_crossentropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(categorical_crossentropy(t, p, flag(kw, "from_logits", false), number(kw, "label_smoothing", 0.0),
                                               integer(kw, "axis", -1)));
       }},
      {"categorical_focal_crossentropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(categorical_focal_crossentropy(t, p, number(kw, "alpha", 0.25), number(kw, "gamma", 2.0),
                                                     flag(kw, "from_logits", false), number(kw, "label_smoothing", 0.0),
                                                     integer(kw, "axis", -1)));
       }},
      {"sparse_categorical_crossentropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return sparse_categorical_crossentropy(t, p, flag(kw, "from_logits", false),
                                                optional_integer(kw, "ignore_class"), integer(kw, "axis", -1));
       }},
      {"dice", [](const Var& t, const Var& p, const Json& kw) { return plain(dice(t, p, optional_axes(kw, "axis"))); }},
      {"tversky",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(tversky(t, p, number(kw, "alpha", 0.5), number(kw, "beta", 0.5), optional_axes(kw, "axis")));
       }},
      {"circle",
       [](const Var& t, const Var& p, const Json& kw) {
         return circle(t, p, number(kw, "gamma", 80.0), number(kw, "margin", 0.4), flag(kw, "remove_diagonal", true));
       }},
      {"categorical_generalized_cross_entropy",
       [](const Var& t, const Var& p, const Json& kw) {
         return plain(categorical_generalized_cross_entropy(t, p, number(kw, "q", 0.5)));
       }},
  };
  return table;
}

const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> table = {
      {"bce", "binary_crossentropy"},
      {"BCE", "binary_crossentropy"},
      {"kld", "kl_divergence"},
      {"KLD", "kl_divergence"},
      {"mae", "mean_absolute_error"},
      {"MAE", "mean_absolute_error"},
      {"mse", "mean_squared_error"},
      {"MSE", "mean_squared_error"},
      {"mape", "mean_absolute_percentage_error"},
      {"MAPE", "mean_absolute_percentage_error"},
      {"msle", "mean_squared_logarithmic_error"},
      {"MSLE", "mean_squared_logarithmic_error"},
  };
  return table;
}

// ------------------------------------------------------------ classes

// A LossFunctionWrapper subclass: the class name, the function and the
// constructor arguments with Keras' defaults, in the order get_config lists them.
struct LossClass {
  std::string class_name;
  std::string default_name;
  std::string function;
  std::vector<std::pair<std::string, Json>> keys;
};

const std::vector<LossClass>& class_table() {
  static const std::vector<LossClass> table = {
      {"MeanSquaredError", "mean_squared_error", "mean_squared_error", {}},
      {"MeanAbsoluteError", "mean_absolute_error", "mean_absolute_error", {}},
      {"MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mean_absolute_percentage_error", {}},
      {"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "mean_squared_logarithmic_error", {}},
      {"CosineSimilarity", "cosine_similarity", "cosine_similarity", {{"axis", -1}}},
      {"Huber", "huber_loss", "huber", {{"delta", 1.0}}},
      {"LogCosh", "log_cosh", "log_cosh", {}},
      {"Hinge", "hinge", "hinge", {}},
      {"SquaredHinge", "squared_hinge", "squared_hinge", {}},
      {"CategoricalHinge", "categorical_hinge", "categorical_hinge", {}},
      {"KLDivergence", "kl_divergence", "kl_divergence", {}},
      {"Poisson", "poisson", "poisson", {}},
      {"BinaryCrossentropy",
       "binary_crossentropy",
       "binary_crossentropy",
       {{"from_logits", false}, {"label_smoothing", 0.0}, {"axis", -1}}},
      {"BinaryFocalCrossentropy",
       "binary_focal_crossentropy",
       "binary_focal_crossentropy",
       {{"from_logits", false},
        {"label_smoothing", 0.0},
        {"axis", -1},
        {"apply_class_balancing", false},
        {"alpha", 0.25},
        {"gamma", 2.0}}},
      {"CategoricalCrossentropy",
       "categorical_crossentropy",
       "categorical_crossentropy",
       {{"from_logits", false}, {"label_smoothing", 0.0}, {"axis", -1}}},
      {"CategoricalFocalCrossentropy",
       "categorical_focal_crossentropy",
       "categorical_focal_crossentropy",
       {{"from_logits", false}, {"label_smoothing", 0.0}, {"axis", -1}, {"alpha", 0.25}, {"gamma", 2.0}}},
      {"SparseCategoricalCrossentropy",
       "sparse_categorical_crossentropy",
       "sparse_categorical_crossentropy",
       {{"from_logits", false}, {"ignore_class", nullptr}, {"axis", -1}}},
      {"Dice", "dice", "dice", {{"axis", nullptr}}},
      {"Tversky", "tversky", "tversky", {{"alpha", 0.5}, {"beta", 0.5}, {"axis", nullptr}}},
      {"Circle", "circle", "circle", {{"gamma", 80.0}, {"margin", 0.4}, {"remove_diagonal", true}}},
      {"CategoricalGeneralizedCrossEntropy",
       "categorical_generalized_cross_entropy",
       "categorical_generalized_cross_entropy",
       {{"q", 0.5}}},
  };
  return table;
}

const LossClass* find_class(const std::string& class_name) {
  for (const auto& c : class_table())
    if (c.class_name == class_name) return &c;
  return nullptr;
}

class WrapperLoss final : public Loss {
 public:
  WrapperLoss(std::string class_name, LossFunction fn, Json fn_envelope, std::string name, Reduction reduction,
              Json kwargs)
      : Loss(std::move(name), std::move(reduction)),
        class_name_(std::move(class_name)),
        fn_(std::move(fn)),
        fn_envelope_(std::move(fn_envelope)),
        kwargs_(std::move(kwargs)) {}

  std::string class_name() const override { return class_name_; }

  Json get_config() const override {
    Json config = Loss::get_config();
    if (class_name_ == "LossFunctionWrapper") config["fn"] = fn_envelope_;
    for (const auto& [key, value] : kwargs_.items()) config[key] = value;
    return config;
  }

  LossValues call(const Var& y_true, const Var& y_pred) const override {
    auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
    return fn_(t, p, kwargs_);
  }

 private:
  std::string class_name_;
  LossFunction fn_;
  Json fn_envelope_;
  Json kwargs_;
};

Json function_envelope(const std::string& fn_name) {
  return Json{
      {"module", "keras.losses"}, {"class_name", "function"}, {"config", fn_name}, {"registered_name", fn_name}};
}

Reduction reduction_from(const Json& config) {
  auto it = config.find("reduction");
  if (it == config.end()) return kSumOverBatchSize;
  if (it->is_null()) return std::nullopt;
  if (!it->is_string()) throw ValueError("Loss argument `reduction` must be a string or null, got " + it->dump());
  return it->get<std::string>();
}

LossPtr make_class(const LossClass& cls, std::string name, Reduction reduction, Json kwargs) {
  const LossFunction& fn = function_table().at(cls.function);
  return std::make_shared<WrapperLoss>(cls.class_name, fn, Json(nullptr), std::move(name), std::move(reduction),
                                       std::move(kwargs));
}

// A custom loss registered (or in a CustomObjectScope) under `name`, or nullptr.
LossPtr custom_loss(const std::string& name, const Json& config) {
  saving::AnyFactory custom = saving::find_custom_object(name);
  if (custom.empty() || custom.kind() != saving::ObjectKind::loss) return nullptr;
  return custom.as<LossPtr>()(config);
}

}  // namespace

namespace detail {

LossPtr builtin_loss(const std::string& class_name, const std::string& name, const Reduction& reduction, Json kwargs) {
  const LossClass* cls = find_class(class_name);
  if (cls == nullptr) throw UnknownObjectError("Unknown loss class '" + class_name + "'");
  Json ordered = Json::object();
  for (const auto& [key, fallback] : cls->keys) ordered[key] = kwargs.contains(key) ? kwargs.at(key) : fallback;
  return make_class(*cls, name.empty() ? cls->default_name : name, reduction, std::move(ordered));
}

LossPtr loss_from_config(const std::string& class_name, const Json& config) {
  if (!config.is_object()) throw FormatError("The config of loss " + class_name + " must be an object");
  if (class_name == "LossFunctionWrapper") {
    const Json fn = config.value("fn", Json(nullptr));
    std::string fn_name;
    if (fn.is_string()) fn_name = fn.get<std::string>();
    if (fn.is_object() && fn.value("config", Json(nullptr)).is_string()) fn_name = fn.at("config").get<std::string>();
    Json kwargs = Json::object();
    for (const auto& [key, value] : config.items())
      if (key != "fn" && key != "name" && key != "reduction" && key != "dtype") kwargs[key] = value;
    const std::string name =
        config.value("name", Json(nullptr)).is_string() ? config.at("name").get<std::string>() : "";
    return LossFunctionWrapper(fn_name, reduction_from(config), name, kwargs);
  }
  const LossClass* cls = find_class(class_name);
  if (cls == nullptr) throw UnknownObjectError("Could not locate class '" + class_name + "' in keras.losses");
  Json kwargs = Json::object();
  for (const auto& [key, value] : config.items()) {
    if (key == "name" || key == "reduction" || key == "dtype") continue;
    bool known = false;
    for (const auto& [k, fallback] : cls->keys) known = known || k == key;
    if (!known) throw ValueError(class_name + ".__init__() got an unexpected keyword argument '" + key + "'");
    kwargs[key] = value;
  }
  std::string name = cls->default_name;
  if (auto it = config.find("name"); it != config.end() && it->is_string()) name = it->get<std::string>();
  return builtin_loss(class_name, name, reduction_from(config), std::move(kwargs));
}

bool is_loss_class(const std::string& class_name) {
  return class_name == "LossFunctionWrapper" || find_class(class_name) != nullptr;
}

}  // namespace detail

std::optional<LossFunction> find_function(const std::string& name) {
  auto it = function_table().find(canonical_function_name(name));
  if (it == function_table().end()) return std::nullopt;
  return it->second;
}

std::string canonical_function_name(const std::string& name) {
  auto it = aliases().find(name);
  return it == aliases().end() ? name : it->second;
}

LossPtr LossFunctionWrapper(const std::string& fn_name, Reduction reduction, const std::string& name, Json kwargs) {
  auto fn = find_function(fn_name);
  if (!fn) throw ValueError("Could not interpret loss identifier: " + fn_name);
  return LossFunctionWrapper(*fn, canonical_function_name(fn_name), std::move(reduction), name, std::move(kwargs));
}

LossPtr LossFunctionWrapper(LossFunction fn, const std::string& fn_name, Reduction reduction, const std::string& name,
                            Json kwargs) {
  return std::make_shared<WrapperLoss>("LossFunctionWrapper", std::move(fn), function_envelope(fn_name),
                                       name.empty() ? fn_name : name, std::move(reduction), std::move(kwargs));
}

LossPtr deserialize(const Json& envelope) {
  keras::detail::register_training_builtins();
  if (!envelope.is_object() || !envelope.contains("class_name"))
    throw ValueError("Could not interpret loss identifier: " + envelope.dump());
  const Json& cls = envelope.at("class_name");
  if (!cls.is_string()) throw ValueError("Could not interpret loss identifier: " + envelope.dump());
  const Json config = envelope.value("config", Json::object());
  if (cls.get<std::string>() == "function") {
    // A plain function: Keras' own by name, or a custom one registered as a loss.
    if (!config.is_string()) throw ValueError("A loss function envelope needs a string config: " + envelope.dump());
    const std::string fn = config.get<std::string>();
    if (LossPtr custom = custom_loss(fn, Json::object())) return custom;
    if (!find_function(fn)) throw UnknownObjectError("Could not locate function '" + fn + "' (a loss)");
    return LossFunctionWrapper(fn, kSumOverBatchSize, fn);
  }
  return keras::detail::instantiate<LossPtr>({saving::ObjectKind::loss}, envelope);
}

LossPtr get(const Json& identifier) {
  keras::detail::register_training_builtins();
  if (identifier.is_null()) return nullptr;
  if (identifier.is_object()) return deserialize(identifier);
  if (!identifier.is_string()) throw ValueError("Could not interpret loss identifier: " + identifier.dump());
  const std::string name = identifier.get<std::string>();
  if (const LossClass* cls = find_class(name)) return detail::builtin_loss(cls->class_name, "", kSumOverBatchSize, {});
  if (LossPtr custom = custom_loss(name, Json::object())) return custom;
  if (find_function(name)) return LossFunctionWrapper(name, kSumOverBatchSize, name);
  throw ValueError("Could not interpret loss identifier: " + name);
}

void register_loss(const std::string& registered_name, std::function<LossPtr(const Json& config)> from_config) {
  saving::register_custom_object(registered_name,
                                 saving::AnyFactory(saving::ObjectKind::loss, saving::Factory<LossPtr>(from_config)));
}

// ------------------------------------------------------------ typed factories

namespace {

Json axes_json(const std::optional<std::vector<int>>& axis) {
  if (!axis) return nullptr;
  if (axis->size() == 1) return (*axis)[0];
  return Json(*axis);
}

}  // namespace

#define KERAS_SIMPLE_LOSS(Class)                                              \
  LossPtr Class(const Class##Options& options) {                              \
    return detail::builtin_loss(#Class, options.name, options.reduction, {}); \
  }
KERAS_SIMPLE_LOSS(MeanSquaredError)
KERAS_SIMPLE_LOSS(MeanAbsoluteError)
KERAS_SIMPLE_LOSS(MeanAbsolutePercentageError)
KERAS_SIMPLE_LOSS(MeanSquaredLogarithmicError)
KERAS_SIMPLE_LOSS(LogCosh)
KERAS_SIMPLE_LOSS(Hinge)
KERAS_SIMPLE_LOSS(SquaredHinge)
KERAS_SIMPLE_LOSS(CategoricalHinge)
KERAS_SIMPLE_LOSS(KLDivergence)
KERAS_SIMPLE_LOSS(Poisson)
#undef KERAS_SIMPLE_LOSS

LossPtr CosineSimilarity(const CosineSimilarityOptions& o) {
  return detail::builtin_loss("CosineSimilarity", o.name, o.reduction, {{"axis", o.axis}});
}
LossPtr Huber(const HuberOptions& o) {
  return detail::builtin_loss("Huber", o.name, o.reduction, {{"delta", o.delta}});
}
LossPtr BinaryCrossentropy(const BinaryCrossentropyOptions& o) {
  return detail::builtin_loss(
      "BinaryCrossentropy", o.name, o.reduction,
      {{"from_logits", o.from_logits}, {"label_smoothing", o.label_smoothing}, {"axis", o.axis}});
}
LossPtr BinaryFocalCrossentropy(const BinaryFocalCrossentropyOptions& o) {
  return detail::builtin_loss("BinaryFocalCrossentropy", o.name, o.reduction,
                              {{"from_logits", o.from_logits},
                               {"label_smoothing", o.label_smoothing},
                               {"axis", o.axis},
                               {"apply_class_balancing", o.apply_class_balancing},
                               {"alpha", o.alpha},
                               {"gamma", o.gamma}});
}
LossPtr CategoricalCrossentropy(const CategoricalCrossentropyOptions& o) {
  return detail::builtin_loss(
      "CategoricalCrossentropy", o.name, o.reduction,
      {{"from_logits", o.from_logits}, {"label_smoothing", o.label_smoothing}, {"axis", o.axis}});
}
LossPtr CategoricalFocalCrossentropy(const CategoricalFocalCrossentropyOptions& o) {
  return detail::builtin_loss("CategoricalFocalCrossentropy", o.name, o.reduction,
                              {{"from_logits", o.from_logits},
                               {"label_smoothing", o.label_smoothing},
                               {"axis", o.axis},
                               {"alpha", o.alpha},
                               {"gamma", o.gamma}});
}
LossPtr SparseCategoricalCrossentropy(const SparseCategoricalCrossentropyOptions& o) {
  return detail::builtin_loss("SparseCategoricalCrossentropy", o.name, o.reduction,
                              {{"from_logits", o.from_logits},
                               {"ignore_class", o.ignore_class ? Json(*o.ignore_class) : Json(nullptr)},
                               {"axis", o.axis}});
}
LossPtr Dice(const DiceOptions& o) {
  return detail::builtin_loss("Dice", o.name, o.reduction, {{"axis", axes_json(o.axis)}});
}
LossPtr Tversky(const TverskyOptions& o) {
  return detail::builtin_loss("Tversky", o.name, o.reduction,
                              {{"alpha", o.alpha}, {"beta", o.beta}, {"axis", axes_json(o.axis)}});
}
LossPtr Circle(const CircleOptions& o) {
  return detail::builtin_loss("Circle", o.name, o.reduction,
                              {{"gamma", o.gamma}, {"margin", o.margin}, {"remove_diagonal", o.remove_diagonal}});
}
LossPtr CategoricalGeneralizedCrossEntropy(const CategoricalGeneralizedCrossEntropyOptions& o) {
  if (!(o.q > 0.0 && o.q < 1.0)) throw ValueError("q must be in the interval (0, 1)");
  return detail::builtin_loss("CategoricalGeneralizedCrossEntropy", o.name, o.reduction, {{"q", o.q}});
}

}  // namespace keras::losses

namespace keras::detail {

// Every keras.losses class, under the literal name of its row in class_table().
void register_losses() {
  const Registrar<LossPtr> r(saving::ObjectKind::loss, "keras.losses");
  for (const auto& cls : losses::class_table()) {
    const std::string name = cls.class_name;
    r.add(name, [name](const Json& config) { return losses::detail::loss_from_config(name, config); });
  }
  r.add("LossFunctionWrapper",
        [](const Json& config) { return losses::detail::loss_from_config("LossFunctionWrapper", config); });
}

}  // namespace keras::detail
