// The normalization kernels are the differentiable normalizations of
// keras::ad evaluated on constants: one definition, in Keras' order.
#include "ops/normalization.hpp"

#include <cmath>

#include "keras/autodiff.hpp"
#include "ops/common.hpp"
#include "ops/row_clones.hpp"

namespace keras::kernels {

namespace {

ad::Var optional(const Tensor& t) { return t.defined() ? ad::Var(t) : ad::Var(); }

// A parameter the row kernel can read as `row` contiguous floats, or null when absent.
bool row_parameter(const Tensor& p, std::int64_t row, const float** data) {
  if (!p.defined()) {
    *data = nullptr;
    return true;
  }
  if (p.dtype() != DType::float32 || p.size() != row) return false;
  *data = p.data<float>();
  return true;
}

// LayerNormalization over the trailing `row` elements of each of `rows` rows, one pass per
// statistic over each row instead of whole-tensor temporaries: the same steps as
// ad::layer_norm (mean summed in double, the variance of the centred row, then
// x * inv + (beta - mean * inv) with inv = rsqrt(var + eps) * gamma), summed in four
// interleaved double accumulators. Cloned: at the baseline ISA the conversions to double and
// the four accumulators ran two lanes at a time (7 % of the transformer block's batch-1
// predict); the same operations in the same order either way.
KERAS_ROW_CLONES void layer_norm_rows(const float* x, float* out, std::int64_t rows, std::int64_t row,
                                      const float* gamma, const float* beta, float epsilon, bool rms_scaling) {
  auto row_mean = [row](auto&& value) {
    double acc[4] = {0, 0, 0, 0};
    std::int64_t j = 0;
    for (; j + 4 <= row; j += 4)
      for (int l = 0; l < 4; ++l) acc[l] += value(j + l);
    for (; j < row; ++j) acc[0] += value(j);
    return static_cast<float>((acc[0] + acc[1] + acc[2] + acc[3]) / static_cast<double>(row));
  };
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * row;
    float* yr = out + r * row;
    const float mean = row_mean([xr](std::int64_t j) { return xr[j]; });
    const float variance = row_mean([xr, mean](std::int64_t j) {
      const float centred = xr[j] - mean;
      return centred * centred;
    });
    const float inv = 1.0F / std::sqrt(variance + epsilon);
    if (rms_scaling) {
      for (std::int64_t j = 0; j < row; ++j) yr[j] = gamma ? xr[j] * inv * gamma[j] : xr[j] * inv;
      continue;
    }
    for (std::int64_t j = 0; j < row; ++j) {
      const float scale = gamma ? inv * gamma[j] : inv;
      float shift = -(mean * scale);
      if (beta) shift = shift + beta[j];
      yr[j] = xr[j] * scale + shift;
    }
  }
}

}  // namespace

Tensor batch_norm_inference(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                            const Tensor& beta, float epsilon, int axis) {
  return ad::batch_norm(ad::Var(x), ad::Var(mean), ad::Var(variance), optional(gamma), optional(beta), epsilon, axis)
      .value();
}

Tensor layer_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& gamma, const Tensor& beta, float epsilon,
                  bool rms_scaling) {
  // The common case (float32, trailing axes) row by row; the rest through the tape's ops.
  if (x.defined() && x.dtype() == DType::float32 && x.rank() > 0 && x.size() > 0) {
    const int rank = x.rank();
    const std::vector<int> sorted =
        detail::normalize_axes(axes.empty() ? std::vector<int>{-1} : axes, rank, "layer_norm");
    // normalize_axes sorts and de-duplicates: the axes are the trailing ones when they start
    // as many axes before the end as there are of them.
    const bool trailing = sorted.front() == rank - static_cast<int>(sorted.size());
    std::int64_t row = 1;
    for (int a : sorted) row *= x.dim(a);
    const float* g = nullptr;
    const float* b = nullptr;
    if (trailing && row_parameter(gamma, row, &g) && row_parameter(beta, row, &b)) {
      Tensor out = Tensor::uninitialized(x.shape());
      layer_norm_rows(x.data<float>(), out.data<float>(), x.size() / row, row, g, rms_scaling ? nullptr : b, epsilon,
                      rms_scaling);
      return out;
    }
  }
  return ad::layer_norm(ad::Var(x), axes, optional(gamma), optional(beta), epsilon, rms_scaling).value();
}

Tensor rms_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& scale, float epsilon) {
  return ad::rms_norm(ad::Var(x), axes, optional(scale), epsilon).value();
}

Tensor group_norm(const Tensor& x, std::int64_t groups, const Tensor& gamma, const Tensor& beta, float epsilon,
                  int axis) {
  return ad::group_norm(ad::Var(x), groups, optional(gamma), optional(beta), epsilon, axis).value();
}

}  // namespace keras::kernels
