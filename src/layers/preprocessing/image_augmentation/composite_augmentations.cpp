// keras.layers.AugMix and keras.layers.RandAugment: chains of the other
// augmentation layers, held as attributes (their groups in the weights file
// are named by attribute). At inference both cast to the compute dtype.
#include <algorithm>
#include <map>

#include "layers/preprocessing/image_augmentation/augmentation_layers.hpp"

namespace keras::detail {

namespace {

// Options of a sub-layer with the settings Keras passes to all of them.
template <typename Options>
Options shared_options(const CompositeAugmentationImpl::Shared& s, Options o = {}) {
  o.data_format = s.data_format;
  o.name = s.base.name;
  o.dtype = s.base.dtype;
  o.trainable = s.base.trainable;
  return o;
}

std::shared_ptr<ImagePreprocessingLayer> make_augmentation(const std::string& attribute,
                                                           const CompositeAugmentationImpl::Shared& s) {
  auto color = shared_options<layers::ColorOptions>(s);
  color.value_range = s.value_range;
  color.seed = s.seed;
  auto affine = shared_options<layers::AffineOptions>(s);
  affine.interpolation = s.interpolation;
  affine.seed = s.seed;
  if (attribute == "random_shear") {
    auto o = shared_options<layers::RandomShearOptions>(s);
    o.x_factor = s.factor;
    o.y_factor = s.factor;
    o.interpolation = s.interpolation;
    o.seed = s.seed;
    return std::make_shared<RandomShearImpl>(o);
  }
  if (attribute == "random_translation") return std::make_shared<RandomTranslationImpl>(s.factor, s.factor, affine);
  if (attribute == "random_rotation") return std::make_shared<RandomRotationImpl>(s.factor, affine);
  if (attribute == "random_brightness") return std::make_shared<RandomBrightnessImpl>(s.factor, color);
  if (attribute == "random_color_degeneration") return std::make_shared<RandomColorDegenerationImpl>(s.factor, color);
  if (attribute == "random_contrast") return std::make_shared<RandomContrastImpl>(s.factor, color);
  if (attribute == "random_sharpness") return std::make_shared<RandomSharpnessImpl>(s.factor, color);
  if (attribute == "random_posterization") {
    // factor = max(1, int(8 * upper))
    const auto bits = std::max<std::int64_t>(1, static_cast<std::int64_t>(8.0 * py::value(s.factor[1])));
    return std::make_shared<RandomPosterizationImpl>(Json(bits), color);
  }
  if (attribute == "solarization") {
    auto o = shared_options<layers::SolarizationOptions>(s);
    o.addition_factor = s.factor;
    o.threshold_factor = s.factor;
    o.value_range = s.value_range;
    o.seed = s.seed;
    return std::make_shared<SolarizationImpl>(o);
  }
  if (attribute == "auto_contrast") {
    auto o = shared_options<layers::AutoContrastOptions>(s);
    o.value_range = s.value_range;
    return std::make_shared<AutoContrastImpl>(o);
  }
  if (attribute == "equalization") {
    auto o = shared_options<layers::EqualizationOptions>(s);
    o.value_range = s.value_range;
    return std::make_shared<EqualizationImpl>(o);
  }
  throw ValueError("Unknown augmentation layer '" + attribute + "'");
}

// Reads the options both layers share.
template <typename Options>
void read_composite_options(const Json& config, Options& o, const std::string& layer) {
  read_image_layer_base(config, o);
  o.value_range = config_value(config, "value_range", o.value_range);
  o.factor = config_value(config, "factor", o.factor);
  o.interpolation = config_value(config, "interpolation", o.interpolation);
  o.seed = config_seed(config, layer);
}

}  // namespace

void CompositeAugmentationImpl::add_augmentations(const Shared& shared, const std::vector<std::string>& created,
                                                  const std::vector<std::string>& order) {
  std::map<std::string, std::shared_ptr<ImagePreprocessingLayer>> by_attribute;
  for (const auto& attribute : created) {
    auto layer = make_augmentation(attribute, shared);
    track(attribute, layer);
    by_attribute[attribute] = layer;
  }
  for (const auto& attribute : order) augmentations_.push_back(by_attribute.at(attribute));
}

void CompositeAugmentationImpl::build(const std::vector<Shape>& input_shapes) {
  for (const auto& layer : augmentations_) layer->build_for(input_shapes);
}

// -------------------------------------------------------------------- AugMix

AugMixImpl::AugMixImpl(const layers::AugMixOptions& o)
    : CompositeAugmentationImpl(base_of(o), "aug_mix", o.data_format, o.seed),
      options_(o),
      factor_(image_factor(o.factor, 0, 1, "factor", "AugMix")) {
  if (!py::is_number(o.alpha)) throw ValueError("AugMix: `alpha` must be a number, got " + o.alpha.dump());
  if (o.num_chains < 1 || o.chain_depth < 0)
    throw ValueError("AugMix: `num_chains` must be positive and `chain_depth` non-negative");
  (void)value_range_arg(o.value_range, false, "AugMix");
  const Shared shared{factor_, o.value_range, o.interpolation, o.seed, o.data_format, base_of(o)};
  std::vector<std::string> created = {"random_shear",         "random_translation", "random_rotation", "solarization",
                                      "random_posterization", "auto_contrast",      "equalization"};
  std::vector<std::string> order = {"random_shear", "random_translation", "random_rotation", "random_posterization",
                                    "solarization", "auto_contrast",      "equalization"};
  if (o.all_ops) {
    for (const char* extra :
         {"random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"}) {
      created.emplace_back(extra);
      order.emplace_back(extra);
    }
  }
  add_augmentations(shared, created, order);
}

LayerPtr AugMixImpl::from_config(const Json& config) {
  layers::AugMixOptions o;
  read_composite_options(config, o, "AugMix");
  o.num_chains = config_value(config, "num_chains", o.num_chains);
  o.chain_depth = config_value(config, "chain_depth", o.chain_depth);
  o.alpha = config_value(config, "alpha", o.alpha);
  o.all_ops = config_value(config, "all_ops", o.all_ops);
  return with_config_extras(std::make_shared<AugMixImpl>(o), config);
}

Json AugMixImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = options_.value_range;
  config["num_chains"] = options_.num_chains;
  config["chain_depth"] = options_.chain_depth;
  config["factor"] = factor_;
  config["alpha"] = options_.alpha;
  config["all_ops"] = options_.all_ops;
  config["interpolation"] = options_.interpolation;
  config["seed"] = seed_to_json(seed_);
  return config;
}

Tensor AugMixImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  AugmentationRng& stream = rng();
  const double alpha = py::value(options_.alpha);
  // Chain weights ~ Dirichlet(alpha), the mix with the original ~ Beta(alpha, alpha).
  std::vector<double> chain_weights;
  double total = 0.0;
  for (std::int64_t i = 0; i < options_.num_chains; ++i) total += chain_weights.emplace_back(stream.gamma(alpha));
  for (auto& w : chain_weights) w /= total;
  const double mix = stream.beta(alpha, alpha);
  Tensor mixed(images.shape(), DType::float32);
  const auto choices = static_cast<std::int64_t>(augmentations_.size()) + 1;  // "None" is a choice too
  for (std::int64_t chain = 0; chain < options_.num_chains; ++chain) {
    Tensor x = images;
    for (std::int64_t depth = 0; depth < options_.chain_depth; ++depth) {
      const std::int64_t pick = stream.randint(0, choices);
      if (pick == choices - 1) continue;
      const auto& layer = augmentations_[static_cast<std::size_t>(pick)];
      x = layer->transform_images(x, layer->random_transformation(x.shape(), stream));
    }
    const auto w = static_cast<float>(chain_weights[static_cast<std::size_t>(chain)]);
    for (std::int64_t i = 0; i < x.size(); ++i) mixed.data<float>()[i] += x.data<float>()[i] * w;
  }
  Tensor out(images.shape(), DType::float32);
  const auto m = static_cast<float>(mix);
  for (std::int64_t i = 0; i < out.size(); ++i)
    out.data<float>()[i] = m * images.data<float>()[i] + (1.0F - m) * mixed.data<float>()[i];
  return clip_to_range(out, options_.value_range);
}

// --------------------------------------------------------------- RandAugment

RandAugmentImpl::RandAugmentImpl(const layers::RandAugmentOptions& o)
    : CompositeAugmentationImpl(base_of(o), "rand_augment", o.data_format, o.seed),
      options_(o),
      factor_(image_factor(o.factor, 0, 1, "factor", "RandAugment")) {
  if (o.num_ops < 0) throw ValueError("RandAugment: `num_ops` must be non-negative");
  (void)value_range_arg(o.value_range, false, "RandAugment");
  const Shared shared{factor_, o.value_range, o.interpolation, o.seed, o.data_format, base_of(o)};
  add_augmentations(
      shared,
      {"random_shear", "random_translation", "random_rotation", "random_brightness", "random_color_degeneration",
       "random_contrast", "random_sharpness", "solarization", "random_posterization", "auto_contrast", "equalization"},
      {"random_shear", "random_translation", "random_rotation", "random_brightness", "random_color_degeneration",
       "random_contrast", "random_sharpness", "random_posterization", "solarization", "auto_contrast", "equalization"});
}

LayerPtr RandAugmentImpl::from_config(const Json& config) {
  layers::RandAugmentOptions o;
  read_composite_options(config, o, "RandAugment");
  o.num_ops = config_value(config, "num_ops", o.num_ops);
  return with_config_extras(std::make_shared<RandAugmentImpl>(o), config);
}

Json RandAugmentImpl::get_config() const {
  Json config = ImagePreprocessingLayer::get_config();
  config["value_range"] = options_.value_range;
  config["num_ops"] = options_.num_ops;
  config["factor"] = factor_;
  config["interpolation"] = options_.interpolation;
  config["seed"] = seed_to_json(seed_);
  return config;
}

Tensor RandAugmentImpl::transform_images(const Tensor& images, const std::any& /*transformation*/) {
  AugmentationRng& stream = rng();
  const auto n = static_cast<std::int64_t>(augmentations_.size());
  std::vector<std::int64_t> picks;
  for (std::int64_t i = 0; i < options_.num_ops; ++i) picks.push_back(stream.randint(0, n));
  // Keras draws every layer's transformation once per call; an op picked
  // twice applies the same draw twice.
  std::vector<std::any> draws;
  for (const auto& layer : augmentations_) draws.push_back(layer->random_transformation(images.shape(), stream));
  Tensor x = images;
  for (auto pick : picks) {
    const auto i = static_cast<std::size_t>(pick);
    x = augmentations_[i]->transform_images(x, draws[i]);
  }
  return x;
}

}  // namespace keras::detail

namespace keras::layers {
AugMix::AugMix(const AugMixOptions& options) : LayerRef(std::make_shared<detail::AugMixImpl>(options)) {}
RandAugment::RandAugment(const RandAugmentOptions& options)
    : LayerRef(std::make_shared<detail::RandAugmentImpl>(options)) {}
}  // namespace keras::layers
