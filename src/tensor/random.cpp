// Random draws for keras::random and the initializers. One process-wide
// generator serves unseeded draws; a seed gives a reproducible private stream.
#include <cmath>
#include <mutex>
#include <random>

#include "keras/tensor.hpp"

namespace keras::random {

namespace {

std::mutex& generator_mutex() {
  static std::mutex m;
  return m;
}

std::mt19937_64& global_generator() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

template <typename Fill>
Tensor draw(const Shape& shape, std::optional<std::uint64_t> seed, Fill fill) {
  Tensor t(shape, DType::float32);
  float* out = t.data<float>();
  const std::int64_t n = t.size();
  if (seed) {
    std::mt19937_64 gen(*seed);
    for (std::int64_t i = 0; i < n; ++i) out[i] = fill(gen);
  } else {
    std::lock_guard lock(generator_mutex());
    for (std::int64_t i = 0; i < n; ++i) out[i] = fill(global_generator());
  }
  return t;
}

}  // namespace

void set_seed(std::uint64_t seed) {
  std::lock_guard lock(generator_mutex());
  global_generator().seed(seed);
}

std::uint64_t draw_seed() {
  std::lock_guard lock(generator_mutex());
  return global_generator()();
}

Tensor uniform(const Shape& shape, float minval, float maxval, std::optional<std::uint64_t> seed) {
  if (!(maxval >= minval)) throw ValueError("random::uniform needs minval <= maxval");
  std::uniform_real_distribution<float> dist(minval, maxval);
  return draw(shape, seed, [&](std::mt19937_64& g) {
    float v = dist(g);
    return v < maxval ? v : minval;  // keep the half-open interval despite float rounding
  });
}

Tensor normal(const Shape& shape, float mean, float stddev, std::optional<std::uint64_t> seed) {
  std::normal_distribution<float> dist(mean, stddev);
  return draw(shape, seed, [&](std::mt19937_64& g) { return dist(g); });
}

Tensor truncated_normal(const Shape& shape, float mean, float stddev, std::optional<std::uint64_t> seed) {
  std::normal_distribution<float> dist(0.0F, 1.0F);
  return draw(shape, seed, [&](std::mt19937_64& g) {
    float z = dist(g);
    while (std::abs(z) > 2.0F) z = dist(g);
    return mean + stddev * z;
  });
}

}  // namespace keras::random
