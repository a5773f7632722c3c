#include "training/data.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

#include "ops/reduce.hpp"

namespace keras::training {

Tensor take_rows(const Tensor& x, std::int64_t start, std::int64_t end) {
  if (x.rank() == 0) throw ValueError("Cannot take rows of a scalar");
  Shape shape = x.shape();
  shape[0] = end - start;
  Tensor out(shape, x.dtype());
  const std::size_t row = x.dim(0) == 0 ? 0 : x.nbytes() / static_cast<std::size_t>(x.dim(0));
  if (end > start)
    std::memcpy(out.raw_data(), static_cast<const std::byte*>(x.raw_data()) + static_cast<std::size_t>(start) * row,
                row * static_cast<std::size_t>(end - start));
  return out;
}

Tensor gather_rows(const Tensor& x, const std::vector<std::int64_t>& rows) {
  if (x.rank() == 0) throw ValueError("Cannot take rows of a scalar");
  Shape shape = x.shape();
  shape[0] = static_cast<std::int64_t>(rows.size());
  Tensor out(shape, x.dtype());
  const std::size_t row = x.dim(0) == 0 ? 0 : x.nbytes() / static_cast<std::size_t>(x.dim(0));
  const auto* src = static_cast<const std::byte*>(x.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(dst + i * row, src + static_cast<std::size_t>(rows[i]) * row, row);
  return out;
}

std::int64_t num_samples(const TrainingData& data) {
  std::set<std::int64_t> sizes;
  std::string detail;
  auto add = [&](const std::vector<Tensor>& arrays, const char* what) {
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      if (!arrays[i].defined()) continue;
      if (arrays[i].rank() == 0)
        throw ValueError(std::string("Expected arrays with a batch axis; ") + what + " " + std::to_string(i) +
                         " is a scalar");
      sizes.insert(arrays[i].dim(0));
      detail += std::string("\n'") + what + "' " + std::to_string(i) + " sizes: " + std::to_string(arrays[i].dim(0));
    }
  };
  add(data.x, "x");
  add(data.y, "y");
  add(data.sample_weight, "sample_weight");
  if (sizes.empty()) throw ValueError("No data: x, y and sample_weight are all empty");
  if (sizes.size() > 1)
    throw ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of samples." +
                     detail);
  return *sizes.begin();
}

TrainingData batch_of(const TrainingData& data, const std::vector<std::int64_t>& rows) {
  auto pick = [&](const std::vector<Tensor>& arrays) {
    std::vector<Tensor> out;
    for (const auto& a : arrays) out.push_back(a.defined() ? gather_rows(a, rows) : a);
    return out;
  };
  return {pick(data.x), pick(data.y), pick(data.sample_weight)};
}

std::pair<TrainingData, TrainingData> train_validation_split(const TrainingData& data, double validation_split) {
  const std::int64_t n = num_samples(data);
  const auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * (1.0 - validation_split)));
  if (split_at == 0 || split_at == n)
    throw ValueError("Training data contains " + std::to_string(n) +
                     " samples, which is not sufficient to split it into a validation and training set as specified "
                     "by `validation_split=" +
                     dump_json_like_python(Json(validation_split)) +
                     "`. Either provide more data, or a different value for the `validation_split` argument.");
  auto part = [](const std::vector<Tensor>& arrays, std::int64_t start, std::int64_t end) {
    std::vector<Tensor> out;
    for (const auto& a : arrays) out.push_back(a.defined() ? take_rows(a, start, end) : a);
    return out;
  };
  return {{part(data.x, 0, split_at), part(data.y, 0, split_at), part(data.sample_weight, 0, split_at)},
          {part(data.x, split_at, n), part(data.y, split_at, n), part(data.sample_weight, split_at, n)}};
}

Tensor class_weight_to_sample_weights(const Tensor& y, const std::map<std::int64_t, double>& class_weight) {
  Tensor labels = y;
  if (labels.rank() > 1) labels = labels.dim(-1) != 1 ? kernels::argmax(labels, -1) : labels.reshape({labels.dim(0)});
  const std::vector<float> values = labels.astype(DType::float32).to_vector();
  std::vector<float> weights(values.size(), 1.0F);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto cls = static_cast<std::int64_t>(std::nearbyint(values[i]));  // np.round: half to even
    auto it = class_weight.find(cls);
    if (it != class_weight.end()) weights[i] = static_cast<float>(it->second);
  }
  return Tensor::from_vector({static_cast<std::int64_t>(weights.size())}, weights);
}

std::vector<std::vector<std::int64_t>> epoch_batches(std::int64_t samples, std::int64_t batch_size, bool shuffle,
                                                     std::optional<std::uint64_t> seed, std::int64_t epoch) {
  if (batch_size <= 0) throw ValueError("batch_size must be positive, got " + std::to_string(batch_size));
  std::vector<std::int64_t> order(static_cast<std::size_t>(samples));
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    // A different, reproducible permutation every epoch.
    std::uint64_t s = seed ? *seed * 6364136223846793005ULL + static_cast<std::uint64_t>(epoch) * 1442695040888963407ULL
                           : std::random_device{}();
    std::mt19937_64 rng(s);
    // Fisher-Yates with the generator's raw output: the same order on every platform.
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  }
  std::vector<std::vector<std::int64_t>> batches;
  for (std::int64_t start = 0; start < samples; start += batch_size)
    batches.emplace_back(order.begin() + start, order.begin() + std::min(samples, start + batch_size));
  return batches;
}

}  // namespace keras::training
