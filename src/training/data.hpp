// Arrays as fit / evaluate consume them (keras/src/trainers/data_adapters):
// batches of rows, seeded shuffles, the validation split and class weights.
// Internal to src/training.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "keras/models.hpp"

namespace keras::training {

// Rows [start, end) of x along the first axis (any dtype; a copy).
Tensor take_rows(const Tensor& x, std::int64_t start, std::int64_t end);
// Rows `rows` of x, in that order.
Tensor gather_rows(const Tensor& x, const std::vector<std::int64_t>& rows);

// The number of samples shared by every array; ValueError naming the
// arrays when they disagree ("Data cardinality is ambiguous").
std::int64_t num_samples(const TrainingData& data);

// array_slicing.train_validation_split: the last `validation_split` of the
// samples become the validation data.
std::pair<TrainingData, TrainingData> train_validation_split(const TrainingData& data, double validation_split);

// data_adapter_utils.class_weight_to_sample_weights: one weight per sample
// from its class (argmax of one-hot rows, the value of sparse ones; 1 for
// classes not listed).
Tensor class_weight_to_sample_weights(const Tensor& y, const std::map<std::int64_t, double>& class_weight);

// The batches of one epoch: sample indices of each batch (the last one may
// be partial). `shuffle` permutes them with the generator of `seed` for
// epoch `epoch`.
std::vector<std::vector<std::int64_t>> epoch_batches(std::int64_t samples, std::int64_t batch_size, bool shuffle,
                                                     std::optional<std::uint64_t> seed, std::int64_t epoch);

// The batch `rows` of every array (none when `rows` covers all samples in order).
TrainingData batch_of(const TrainingData& data, const std::vector<std::int64_t>& rows);

}  // namespace keras::training
