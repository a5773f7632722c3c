#include "training/optimizers/float_math.hpp"

namespace keras::detail::optim {

// numpy's pairwise_sum (umath loops_utils): blocks of up to 128 values summed
// with eight interleaved accumulators, larger runs split in halves that are
// multiples of eight.
float pairwise_sum(const float* values, std::int64_t n) {
  if (n < 8) {
    float res = 0.0F;
    for (std::int64_t i = 0; i < n; ++i) res += values[i];
    return res;
  }
  if (n <= 128) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = values[j];
    std::int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += values[i + j];
    }
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += values[i];
    return res;
  }
  std::int64_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(values, half) + pairwise_sum(values + half, n - half);
}

}  // namespace keras::detail::optim
