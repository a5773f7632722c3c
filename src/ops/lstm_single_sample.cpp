#include "ops/lstm_single_sample.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "keras/error.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_ps(), which its
// -Wuninitialized reports where they are inlined (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#define KERAS_HAVE_AVX512_KERNEL 1
// Only these functions use AVX-512; the library itself targets the baseline ISA, so the
// kernel runs after a run-time check of the CPU.
#define KERAS_AVX512 __attribute__((target("avx512f")))
#endif

namespace keras::kernels::detail {

namespace {

constexpr std::int64_t kLanes = 16;          // floats in one AVX-512 register
constexpr std::int64_t kGates = 4;           // i, f, c, o
constexpr std::int64_t kGroupsPerBlock = 4;  // 4 groups x 4 gates = 16 accumulators, half the registers

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

// Units are taken 16 at a time (a group; the last one padded with zero weights, whose state
// stays 0) and groups 4 at a time (a block). A block's weights are [C + U rows][its groups x 4
// gates x 16 lanes]: row k holds input k's (then state k - C's) weight for each of the block's
// gate columns, so one pass over the rows accumulates all of the block's gates.
struct SingleSampleLstm::Packed {
  std::int64_t input_dim = 0, units = 0, padded_units = 0, rows = 0;
  std::unique_ptr<float, AlignedFree> weights;  // the blocks one after the other
  std::vector<float> bias;                      // padded_units * 4, in the blocks' column order
};

#ifdef KERAS_HAVE_AVX512_KERNEL

namespace {

// exp on [-87, 87]: x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to r^7
// (relative error under 1e-8 there), times 2^n.
KERAS_AVX512 inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0F)), _mm512_set1_ps(87.0F));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341F)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln 2 in two parts, so that n * ln2_high is exact.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125F), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06F), r);
  __m512 p = _mm512_set1_ps(1.0F / 5040.0F);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F / 720.0F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F / 120.0F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F / 24.0F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F / 6.0F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F));
  return _mm512_scalef_ps(p, n);
}

KERAS_AVX512 inline __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0F);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// tanh(x) = 2 sigmoid(2x) - 1: absolute error about 1e-7, which is what the state needs.
KERAS_AVX512 inline __m512 tanh_ps(__m512 x) {
  const __m512 s = sigmoid_ps(_mm512_add_ps(x, x));
  return _mm512_sub_ps(_mm512_add_ps(s, s), _mm512_set1_ps(1.0F));
}

// One step of one block: gates = bias + [x_t, h] . weights, then Keras' LSTM update of the
// block's c and the new h, without the gates leaving the registers.
template <int Groups>
KERAS_AVX512 void block_step(const float* weights, std::int64_t rows, const float* bias, const float* input, float* c,
                             float* h_next) {
  constexpr int kAccumulators = static_cast<int>(kGates) * Groups;
  constexpr std::int64_t kWidth = kAccumulators * kLanes;
  __m512 acc[kAccumulators];
  for (int j = 0; j < kAccumulators; ++j) acc[j] = _mm512_loadu_ps(bias + j * kLanes);
  for (std::int64_t k = 0; k < rows; ++k) {
    const __m512 v = _mm512_set1_ps(input[k]);
    const float* row = weights + k * kWidth;
    for (int j = 0; j < kAccumulators; ++j) acc[j] = _mm512_fmadd_ps(v, _mm512_load_ps(row + j * kLanes), acc[j]);
  }
  for (int q = 0; q < Groups; ++q) {
    const __m512 i = sigmoid_ps(acc[kGates * q]);
    const __m512 f = sigmoid_ps(acc[kGates * q + 1]);
    const __m512 g = tanh_ps(acc[kGates * q + 2]);
    const __m512 o = sigmoid_ps(acc[kGates * q + 3]);
    const __m512 cell = _mm512_fmadd_ps(f, _mm512_loadu_ps(c + q * kLanes), _mm512_mul_ps(i, g));
    _mm512_storeu_ps(c + q * kLanes, cell);
    _mm512_storeu_ps(h_next + q * kLanes, _mm512_mul_ps(o, tanh_ps(cell)));
  }
}

using BlockStep = void (*)(const float*, std::int64_t, const float*, const float*, float*, float*);
constexpr BlockStep kBlockSteps[] = {nullptr, block_step<1>, block_step<2>, block_step<3>, block_step<4>};

}  // namespace

bool single_sample_lstm_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f") != 0;
  return supported;
}

#else

bool single_sample_lstm_supported() { return false; }

#endif

SingleSampleLstm::SingleSampleLstm(std::int64_t input_dim, std::int64_t units, const float* kernel,
                                   const float* recurrent_kernel, const float* bias) {
  if (!single_sample_lstm_supported()) throw ValueError("single-sample LSTM kernel: this CPU lacks AVX-512");
  auto p = std::make_shared<Packed>();
  p->input_dim = input_dim;
  p->units = units;
  p->padded_units = (units + kLanes - 1) / kLanes * kLanes;
  p->rows = input_dim + units;
  const std::int64_t columns = p->padded_units * kGates;
  const std::size_t bytes = static_cast<std::size_t>(p->rows * columns) * sizeof(float);
  p->weights.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!p->weights) throw std::bad_alloc();
  std::memset(p->weights.get(), 0, bytes);
  p->bias.assign(static_cast<std::size_t>(columns), 0.0F);
  // Keras' column q * U + u (gate q of unit u) goes to its block, group, gate and lane.
  const std::int64_t source_columns = kGates * units;
  for (std::int64_t u = 0; u < units; ++u) {
    const std::int64_t group = u / kLanes, block = group / kGroupsPerBlock;
    const std::int64_t first_group = block * kGroupsPerBlock;
    const std::int64_t block_groups = std::min(kGroupsPerBlock, p->padded_units / kLanes - first_group);
    const std::int64_t width = block_groups * kGates * kLanes;
    float* block_weights = p->weights.get() + p->rows * first_group * kGates * kLanes;
    for (std::int64_t q = 0; q < kGates; ++q) {
      const std::int64_t column = ((group - first_group) * kGates + q) * kLanes + u % kLanes;
      const std::int64_t source = q * units + u;
      for (std::int64_t k = 0; k < input_dim; ++k)
        block_weights[k * width + column] = kernel[k * source_columns + source];
      for (std::int64_t k = 0; k < units; ++k)
        block_weights[(input_dim + k) * width + column] = recurrent_kernel[k * source_columns + source];
      if (bias != nullptr) p->bias[first_group * kGates * kLanes + column] = bias[source];
    }
  }
  packed_ = std::move(p);
}

void SingleSampleLstm::run(const float* x, std::int64_t steps, bool reverse, float* h, float* c,
                           float* sequence) const {
#ifdef KERAS_HAVE_AVX512_KERNEL
  const Packed& p = *packed_;
  const std::int64_t c_dim = p.input_dim, u_dim = p.units;
  const std::size_t state_bytes = static_cast<std::size_t>(u_dim) * sizeof(float);
  // [x_t, h]: the rows' multipliers; the padded states are the blocks' outputs.
  std::vector<float> input(static_cast<std::size_t>(p.rows));
  std::vector<float> cell(static_cast<std::size_t>(p.padded_units), 0.0F);
  std::vector<float> h_next(static_cast<std::size_t>(p.padded_units));
  std::memcpy(input.data() + c_dim, h, state_bytes);
  std::memcpy(cell.data(), c, state_bytes);
  const std::int64_t groups = p.padded_units / kLanes;
  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = reverse ? steps - 1 - k : k;
    std::memcpy(input.data(), x + t * c_dim, static_cast<std::size_t>(c_dim) * sizeof(float));
    for (std::int64_t first = 0; first < groups; first += kGroupsPerBlock) {
      const std::int64_t block_groups = std::min(kGroupsPerBlock, groups - first);
      const std::int64_t offset = first * kGates * kLanes;
      kBlockSteps[block_groups](p.weights.get() + p.rows * offset, p.rows, p.bias.data() + offset, input.data(),
                                cell.data() + first * kLanes, h_next.data() + first * kLanes);
    }
    std::memcpy(input.data() + c_dim, h_next.data(), state_bytes);
    if (sequence != nullptr) std::memcpy(sequence + t * u_dim, h_next.data(), state_bytes);
  }
  std::memcpy(h, input.data() + c_dim, state_bytes);
  std::memcpy(c, cell.data(), state_bytes);
#else
  (void)x, (void)steps, (void)reverse, (void)h, (void)c, (void)sequence;  // never constructed here
#endif
}

}  // namespace keras::kernels::detail
