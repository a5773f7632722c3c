// keras.initializers: the built-in initializers with Keras' configs and
// distributions (keras/src/initializers/).
#include "keras/initializers.hpp"
#include "graph/config_json.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <numbers>

#include <Eigen/Dense>

#include "layers/registrations.hpp"
#include "layers/spectral_window.hpp"
#include "ops/spectral.hpp"

namespace keras::initializers {

namespace {

Json seed_json(const std::optional<std::int64_t>& seed) { return seed ? Json(*seed) : Json(nullptr); }
std::optional<std::uint64_t> seed_value(const std::optional<std::int64_t>& seed) {
  if (!seed) return std::nullopt;
  return static_cast<std::uint64_t>(*seed);
}
std::optional<std::int64_t> seed_from(const Json& config) {
  auto it = config.find("seed");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw FormatError("Initializer seed must be an integer, got " + it->dump());
  return it->get<std::int64_t>();
}
double number_or(const Json& config, const char* key, double fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw FormatError(std::string("Initializer option '") + key + "' must be a number");
  return it->get<double>();
}

class ConstantInit final : public InitializerImpl {
 public:
  ConstantInit(std::string name, double value, bool has_value)
      : name_(std::move(name)), value_(value), has_value_(has_value) {}
  std::string class_name() const override { return name_; }
  Json get_config() const override { return has_value_ ? Json{{"value", value_}} : Json::object(); }
  Tensor generate(const Shape& shape, DType dtype) const override {
    return Tensor::full(shape, static_cast<float>(value_), dtype);
  }

 private:
  std::string name_;
  double value_;
  bool has_value_;
};

class RandomInit final : public InitializerImpl {
 public:
  enum class Kind { uniform, normal, truncated_normal };
  RandomInit(std::string name, Kind kind, double a, double b, std::optional<std::int64_t> seed)
      : name_(std::move(name)), kind_(kind), a_(a), b_(b), seed_(seed) {}
  std::string class_name() const override { return name_; }
  Json get_config() const override {
    if (kind_ == Kind::uniform) return Json{{"seed", seed_json(seed_)}, {"minval", a_}, {"maxval", b_}};
    return Json{{"seed", seed_json(seed_)}, {"mean", a_}, {"stddev", b_}};
  }
  Tensor generate(const Shape& shape, DType dtype) const override {
    Tensor t;
    switch (kind_) {
      case Kind::uniform:
        t = random::uniform(shape, static_cast<float>(a_), static_cast<float>(b_), seed_value(seed_));
        break;
      case Kind::normal:
        t = random::normal(shape, static_cast<float>(a_), static_cast<float>(b_), seed_value(seed_));
        break;
      case Kind::truncated_normal:
        t = random::truncated_normal(shape, static_cast<float>(a_), static_cast<float>(b_), seed_value(seed_));
        break;
    }
    return t.astype(dtype);
  }

 private:
  std::string name_;
  Kind kind_;
  double a_, b_;
  std::optional<std::int64_t> seed_;
};

// VarianceScaling and its named presets (GlorotUniform, HeNormal, ...), which
// serialize only their seed (plus input/output axes since Keras 3.15).
class VarianceScalingInit final : public InitializerImpl {
 public:
  VarianceScalingInit(std::string name, VarianceScalingOptions options, bool preset)
      : name_(std::move(name)), options_(std::move(options)), preset_(preset) {}
  std::string class_name() const override { return name_; }
  Json get_config() const override {
    if (preset_) return Json{{"seed", seed_json(options_.seed)}, {"input_axes", nullptr}, {"output_axes", nullptr}};
    return Json{{"seed", seed_json(options_.seed)},      {"scale", options_.scale}, {"mode", options_.mode},
                {"distribution", options_.distribution}, {"input_axes", nullptr},   {"output_axes", nullptr}};
  }
  Tensor generate(const Shape& shape, DType dtype) const override {
    auto [fan_in, fan_out] = compute_fans(shape);
    double scale = options_.scale;
    if (options_.mode == "fan_in")
      scale /= std::max(1.0, fan_in);
    else if (options_.mode == "fan_out")
      scale /= std::max(1.0, fan_out);
    else
      scale /= std::max(1.0, (fan_in + fan_out) / 2.0);
    Tensor t;
    if (options_.distribution == "truncated_normal") {
      // 0.879... is the stddev of a unit normal truncated to [-2, 2].
      double stddev = std::sqrt(scale) / 0.87962566103423978;
      t = random::truncated_normal(shape, 0.0F, static_cast<float>(stddev), seed_value(options_.seed));
    } else if (options_.distribution == "untruncated_normal") {
      t = random::normal(shape, 0.0F, static_cast<float>(std::sqrt(scale)), seed_value(options_.seed));
    } else {
      auto limit = static_cast<float>(std::sqrt(3.0 * scale));
      t = random::uniform(shape, -limit, limit, seed_value(options_.seed));
    }
    return t.astype(dtype);
  }

 private:
  std::string name_;
  VarianceScalingOptions options_;
  bool preset_;
};

class OrthogonalInit final : public InitializerImpl {
 public:
  OrthogonalInit(double gain, std::optional<std::int64_t> seed) : gain_(gain), seed_(seed) {}
  std::string class_name() const override { return "Orthogonal"; }
  Json get_config() const override { return Json{{"seed", seed_json(seed_)}, {"gain", gain_}}; }
  Tensor generate(const Shape& shape, DType dtype) const override {
    if (shape.size() < 2) throw ValueError("The tensor to initialize must be at least two-dimensional");
    std::int64_t rows = 1;
    for (std::size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
    std::int64_t cols = shape.back();
    std::int64_t big = std::max(rows, cols), small = std::min(rows, cols);
    Tensor draws = random::normal({big, small}, 0.0F, 1.0F, seed_value(seed_));
    Eigen::MatrixXd a(big, small);
    for (std::int64_t i = 0; i < big * small; ++i) a(i / small, i % small) = draws.data<float>()[i];
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(big, small);
    Eigen::MatrixXd r = qr.matrixQR().topRows(small).triangularView<Eigen::Upper>();
    for (std::int64_t j = 0; j < small; ++j) {
      if (r(j, j) < 0) q.col(j) *= -1.0;
    }
    if (rows < cols) q.transposeInPlace();
    Tensor out(shape, DType::float32);
    float* dst = out.data<float>();
    for (std::int64_t i = 0; i < rows * cols; ++i) dst[i] = static_cast<float>(gain_ * q(i / cols, i % cols));
    return out.astype(dtype);
  }

 private:
  double gain_;
  std::optional<std::int64_t> seed_;
};

class IdentityInit final : public InitializerImpl {
 public:
  explicit IdentityInit(double gain) : gain_(gain) {}
  std::string class_name() const override { return "Identity"; }
  Json get_config() const override { return Json{{"gain", gain_}}; }
  Tensor generate(const Shape& shape, DType dtype) const override {
    if (shape.size() != 2) throw ValueError("Identity initializer needs a 2D shape, got " + shape_to_string(shape));
    Tensor out(shape, DType::float32);
    for (std::int64_t i = 0; i < std::min(shape[0], shape[1]); ++i)
      out.data<float>()[i * shape[1] + i] = static_cast<float>(gain_);
    return out.astype(dtype);
  }

 private:
  double gain_;
};

// keras.initializers.STFT: windowed cos (real) or sin (imag) kernels
// [frame_length, channels, bins] for a convolution computing a DFT.
class STFTInit final : public InitializerImpl {
 public:
  STFTInit(std::string side, Json window, Json scaling, bool periodic)
      : side_(std::move(side)), window_(std::move(window)), scaling_(std::move(scaling)), periodic_(periodic) {
    if (side_ != "real" && side_ != "imag") throw ValueError("side should be 'real' or 'imag', not " + side_);
    if (!scaling_.is_null() && scaling_ != "density" && scaling_ != "spectrum")
      throw ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling=" +
                       scaling_.dump());
    if (window_.is_string()) (void)kernels::window_function(window_.get<std::string>(), 1, periodic_);
  }
  std::string class_name() const override { return "STFT"; }
  Json get_config() const override {
    return Json{{"side", side_}, {"window", window_}, {"periodic", periodic_}, {"scaling", scaling_}};
  }
  Tensor generate(const Shape& shape, DType dtype) const override {
    if (shape.size() != 3) throw ValueError("STFT initializer needs a shape (frame_length, channels, bins)");
    const std::int64_t frame_length = shape[0], channels = shape[1], bins = shape[2];
    std::vector<double> win(static_cast<std::size_t>(frame_length), 1.0);
    double scaling = 1.0;
    if (!window_.is_null()) {
      win = detail::window_from_json(window_, frame_length, periodic_, "STFT initializer");
      double squares = 0.0, absolute = 0.0;
      for (double w : win) {
        squares += w * w;
        absolute += std::abs(w);
      }
      if (scaling_ == "density") scaling = std::sqrt(squares);
      if (scaling_ == "spectrum") scaling = absolute;
    }
    const double fft_length = static_cast<double>((bins - 1) * 2);
    Tensor out(shape, DType::float32);
    float* p = out.data<float>();
    for (std::int64_t t = 0; t < frame_length; ++t)
      for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t f = 0; f < bins; ++f) {
          const double arg = -2.0 * static_cast<double>(t) * (static_cast<double>(f) / fft_length) * std::numbers::pi;
          const double k = side_ == "real" ? std::cos(arg) : std::sin(arg);
          *p++ = static_cast<float>(k * win[static_cast<std::size_t>(t)] / scaling);
        }
    return out.astype(dtype);
  }

 private:
  std::string side_;
  Json window_, scaling_;
  bool periodic_;
};

Initializer make(std::shared_ptr<const InitializerImpl> impl) { return Initializer(std::move(impl)); }

Initializer preset(const std::string& name, double scale, const std::string& mode, const std::string& distribution,
                   std::optional<std::int64_t> seed) {
  return make(
      std::make_shared<VarianceScalingInit>(name, VarianceScalingOptions{scale, mode, distribution, seed}, true));
}

}  // namespace

std::pair<double, double> compute_fans(const Shape& shape) {
  if (shape.empty()) return {1.0, 1.0};
  if (shape.size() == 1) return {static_cast<double>(shape[0]), static_cast<double>(shape[0])};
  if (shape.size() == 2) return {static_cast<double>(shape[0]), static_cast<double>(shape[1])};
  double receptive = 1.0;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
  return {static_cast<double>(shape[shape.size() - 2]) * receptive, static_cast<double>(shape.back()) * receptive};
}

Initializer::Initializer(const char* name) : Initializer(get(Json(name))) {}
Initializer::Initializer(const std::string& name) : Initializer(get(Json(name))) {}

Tensor Initializer::operator()(const Shape& shape, DType dtype) const { return impl().generate(shape, dtype); }

const InitializerImpl& Initializer::impl() const {
  if (!impl_) throw ValueError("Empty initializer");
  return *impl_;
}

Json Initializer::serialize() const {
  return Json{{"module", "keras.initializers"},
              {"class_name", impl().class_name()},
              {"config", impl().get_config()},
              {"registered_name", nullptr}};
}

Initializer get(const Json& identifier) {
  keras::detail::register_layer_builtins();
  if (identifier.is_string()) {
    const std::string name = identifier.get<std::string>();
    saving::AnyFactory factory = keras::detail::find_builtin(saving::ObjectKind::initializer, name);
    if (factory.empty()) factory = saving::find_custom_object(name);
    if (factory.empty() || factory.kind() != saving::ObjectKind::initializer)
      throw UnknownObjectError("Could not interpret initializer identifier: " + name);
    return factory.as<Initializer>()(Json::object());
  }
  if (identifier.is_object() && identifier.contains("class_name"))
    return keras::detail::instantiate<Initializer>({saving::ObjectKind::initializer}, identifier);
  throw FormatError("Could not interpret initializer identifier: " + identifier.dump());
}

Initializer Zeros() { return make(std::make_shared<ConstantInit>("Zeros", 0.0, false)); }
Initializer Ones() { return make(std::make_shared<ConstantInit>("Ones", 1.0, false)); }
Initializer Constant(double value) { return make(std::make_shared<ConstantInit>("Constant", value, true)); }
Initializer RandomUniform(double minval, double maxval, std::optional<std::int64_t> seed) {
  return make(std::make_shared<RandomInit>("RandomUniform", RandomInit::Kind::uniform, minval, maxval, seed));
}
Initializer RandomNormal(double mean, double stddev, std::optional<std::int64_t> seed) {
  return make(std::make_shared<RandomInit>("RandomNormal", RandomInit::Kind::normal, mean, stddev, seed));
}
Initializer TruncatedNormal(double mean, double stddev, std::optional<std::int64_t> seed) {
  return make(std::make_shared<RandomInit>("TruncatedNormal", RandomInit::Kind::truncated_normal, mean, stddev, seed));
}
Initializer VarianceScaling(VarianceScalingOptions options) {
  return make(std::make_shared<VarianceScalingInit>("VarianceScaling", std::move(options), false));
}
Initializer GlorotUniform(SeedOption o) { return preset("GlorotUniform", 1.0, "fan_avg", "uniform", o.seed); }
Initializer GlorotNormal(SeedOption o) { return preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal", o.seed); }
Initializer HeUniform(SeedOption o) { return preset("HeUniform", 2.0, "fan_in", "uniform", o.seed); }
Initializer HeNormal(SeedOption o) { return preset("HeNormal", 2.0, "fan_in", "truncated_normal", o.seed); }
Initializer LecunUniform(SeedOption o) { return preset("LecunUniform", 1.0, "fan_in", "uniform", o.seed); }
Initializer LecunNormal(SeedOption o) { return preset("LecunNormal", 1.0, "fan_in", "truncated_normal", o.seed); }
Initializer Orthogonal(double gain, std::optional<std::int64_t> seed) {
  return make(std::make_shared<OrthogonalInit>(gain, seed));
}
Initializer Identity(double gain) { return make(std::make_shared<IdentityInit>(gain)); }
Initializer STFT(const std::string& side, Json window, Json scaling, bool periodic) {
  return make(std::make_shared<STFTInit>(side, std::move(window), std::move(scaling), periodic));
}

}  // namespace keras::initializers

namespace keras::detail {

void register_initializers() {
  using namespace initializers;  // NOLINT(google-build-using-namespace): the classes registered here
  const Registrar<Initializer> r(saving::ObjectKind::initializer, "keras.initializers");
  r.add("Zeros", [](const Json&) { return Zeros(); });
  r.add("Ones", [](const Json&) { return Ones(); });
  r.add("Constant", [](const Json& c) { return Constant(number_or(c, "value", 0.0)); });
  r.add("RandomUniform", [](const Json& c) {
    return RandomUniform(number_or(c, "minval", -0.05), number_or(c, "maxval", 0.05), seed_from(c));
  });
  r.add("RandomNormal", [](const Json& c) {
    return RandomNormal(number_or(c, "mean", 0.0), number_or(c, "stddev", 0.05), seed_from(c));
  });
  r.add("TruncatedNormal", [](const Json& c) {
    return TruncatedNormal(number_or(c, "mean", 0.0), number_or(c, "stddev", 0.05), seed_from(c));
  });
  r.add("VarianceScaling", [](const Json& c) {
    return VarianceScaling({number_or(c, "scale", 1.0), detail::config_value(c, "mode", std::string("fan_in")),
                            detail::config_value(c, "distribution", std::string("truncated_normal")), seed_from(c)});
  });
  r.add("GlorotUniform", [](const Json& c) { return GlorotUniform({seed_from(c)}); });
  r.add("GlorotNormal", [](const Json& c) { return GlorotNormal({seed_from(c)}); });
  r.add("HeUniform", [](const Json& c) { return HeUniform({seed_from(c)}); });
  r.add("HeNormal", [](const Json& c) { return HeNormal({seed_from(c)}); });
  r.add("LecunUniform", [](const Json& c) { return LecunUniform({seed_from(c)}); });
  r.add("LecunNormal", [](const Json& c) { return LecunNormal({seed_from(c)}); });
  r.add("Orthogonal", [](const Json& c) { return Orthogonal(number_or(c, "gain", 1.0), seed_from(c)); });
  r.add("Identity", [](const Json& c) { return Identity(number_or(c, "gain", 1.0)); });
  r.add("STFT", [](const Json& c) {
    return STFT(detail::config_value(c, "side", std::string("real")), detail::config_value(c, "window", Json("hann")),
                detail::config_value(c, "scaling", Json("density")), detail::config_value(c, "periodic", false));
  });
  // The names keras.initializers.get() accepts (ALL_OBJECTS_DICT).
  r.alias("zeros", "Zeros");
  r.alias("ones", "Ones");
  r.alias("constant", "Constant");
  r.alias("random_uniform", "RandomUniform");
  r.alias("uniform", "RandomUniform");
  r.alias("random_normal", "RandomNormal");
  r.alias("normal", "RandomNormal");
  r.alias("truncated_normal", "TruncatedNormal");
  r.alias("variance_scaling", "VarianceScaling");
  r.alias("glorot_uniform", "GlorotUniform");
  r.alias("glorot_normal", "GlorotNormal");
  r.alias("he_uniform", "HeUniform");
  r.alias("he_normal", "HeNormal");
  r.alias("lecun_uniform", "LecunUniform");
  r.alias("lecun_normal", "LecunNormal");
  r.alias("orthogonal", "Orthogonal");
  r.alias("identity", "Identity");
  r.alias("IdentityInitializer", "Identity");
  r.alias("OrthogonalInitializer", "Orthogonal");
  r.alias("stft", "STFT");
  r.alias("STFTInitializer", "STFT");
}

}  // namespace keras::detail
