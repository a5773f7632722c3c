#include "ops/pooling_grad.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "ops/common.hpp"

namespace keras::kernels {

namespace {

// The windows of a pooling over a [N, D, H, W, C] view (missing leading
// spatial dims have length 1): for output index o along dim i, the input range
// [begin(i, o), end(i, o)).
struct Windows {
  std::int64_t batch = 0, channels = 0;
  std::int64_t in[3] = {1, 1, 1};
  std::int64_t out[3] = {1, 1, 1};
  std::function<std::int64_t(int, std::int64_t)> begin, end;
};

Windows strided_windows(const Shape& x_shape, const Shape& dy_shape, const std::vector<std::int64_t>& pool_in,
                        const std::vector<std::int64_t>& strides_in, Padding padding) {
  const int n_sp = static_cast<int>(x_shape.size()) - 2;
  if (n_sp < 1 || n_sp > 3 || dy_shape.size() != x_shape.size())
    throw ShapeMismatchError("pool backward: input " + shape_to_string(x_shape) + " and gradient " +
                             shape_to_string(dy_shape) + " do not fit a pooling");
  const auto pool = detail::spatial_param(pool_in, n_sp, 1, "pool_size");
  const auto strides = strides_in.empty() ? pool : detail::spatial_param(strides_in, n_sp, 1, "pool strides");
  Windows w;
  w.batch = x_shape.front();
  w.channels = x_shape.back();
  std::vector<std::int64_t> before(3, 0), size(3, 1), step(3, 1);
  for (int i = 0; i < n_sp; ++i) {
    const auto u = static_cast<std::size_t>(i);
    const int d = 3 - n_sp + i;
    w.in[d] = x_shape[u + 1];
    w.out[d] = dy_shape[u + 1];
    before[static_cast<std::size_t>(d)] = conv_padding(x_shape[u + 1], pool[u], strides[u], padding).first;
    size[static_cast<std::size_t>(d)] = pool[u];
    step[static_cast<std::size_t>(d)] = strides[u];
  }
  w.begin = [=](int d, std::int64_t o) {
    return std::max<std::int64_t>(o * step[static_cast<std::size_t>(d)] - before[static_cast<std::size_t>(d)], 0);
  };
  const std::int64_t in_copy[3] = {w.in[0], w.in[1], w.in[2]};
  w.end = [=](int d, std::int64_t o) {
    return std::min<std::int64_t>(
        o * step[static_cast<std::size_t>(d)] - before[static_cast<std::size_t>(d)] + size[static_cast<std::size_t>(d)],
        in_copy[d]);
  };
  return w;
}

Windows adaptive_windows(const Shape& x_shape, const std::vector<std::int64_t>& output_size_in) {
  const int n_sp = static_cast<int>(x_shape.size()) - 2;
  if (n_sp < 1 || n_sp > 3)
    throw ShapeMismatchError("adaptive pool backward: bad input shape " + shape_to_string(x_shape));
  const auto output_size = detail::spatial_param(output_size_in, n_sp, 1, "output_size");
  Windows w;
  w.batch = x_shape.front();
  w.channels = x_shape.back();
  for (int i = 0; i < n_sp; ++i) {
    w.in[3 - n_sp + i] = x_shape[static_cast<std::size_t>(i) + 1];
    w.out[3 - n_sp + i] = output_size[static_cast<std::size_t>(i)];
  }
  const std::int64_t in[3] = {w.in[0], w.in[1], w.in[2]};
  const std::int64_t out[3] = {w.out[0], w.out[1], w.out[2]};
  w.begin = [=](int d, std::int64_t o) { return (o * in[d]) / out[d]; };
  w.end = [=](int d, std::int64_t o) { return ((o + 1) * in[d] + out[d] - 1) / out[d]; };
  return w;
}

// For every output position and channel: calls fn(dy value, window bounds,
// output offset) with the window as [d0, d1) x [h0, h1) x [w0, w1).
template <typename Fn>
void for_each_window(const Windows& w, Fn fn) {
  for (std::int64_t b = 0; b < w.batch; ++b)
    for (std::int64_t od = 0; od < w.out[0]; ++od)
      for (std::int64_t oh = 0; oh < w.out[1]; ++oh)
        for (std::int64_t ow = 0; ow < w.out[2]; ++ow) {
          const std::int64_t out_offset = (((b * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow) * w.channels;
          fn(b, w.begin(0, od), w.end(0, od), w.begin(1, oh), w.end(1, oh), w.begin(2, ow), w.end(2, ow), out_offset);
        }
}

std::int64_t in_offset(const Windows& w, std::int64_t b, std::int64_t d, std::int64_t h, std::int64_t x) {
  return (((b * w.in[0] + d) * w.in[1] + h) * w.in[2] + x) * w.channels;
}

Tensor max_backward(const Windows& w, const Tensor& x_in, const Tensor& dy_in) {
  Tensor x = detail::to_float(x_in);
  Tensor dy = detail::to_float(dy_in);
  Tensor dx(x.shape());
  const float* xs = x.data<float>();
  const float* g = dy.data<float>();
  float* o = dx.data<float>();
  for_each_window(w, [&](std::int64_t b, std::int64_t d0, std::int64_t d1, std::int64_t h0, std::int64_t h1,
                         std::int64_t w0, std::int64_t w1, std::int64_t out_offset) {
    for (std::int64_t c = 0; c < w.channels; ++c) {
      std::int64_t best = -1;
      float best_value = -INFINITY;
      for (std::int64_t d = d0; d < d1; ++d)
        for (std::int64_t h = h0; h < h1; ++h)
          for (std::int64_t x2 = w0; x2 < w1; ++x2) {
            const std::int64_t at = in_offset(w, b, d, h, x2) + c;
            if (best < 0 || xs[at] > best_value) {
              best = at;
              best_value = xs[at];
            }
          }
      if (best >= 0) o[best] += g[out_offset + c];
    }
  });
  return dx;
}

Tensor avg_backward(const Windows& w, const Shape& x_shape, const Tensor& dy_in) {
  Tensor dy = detail::to_float(dy_in);
  Tensor dx(x_shape);
  const float* g = dy.data<float>();
  float* o = dx.data<float>();
  for_each_window(w, [&](std::int64_t b, std::int64_t d0, std::int64_t d1, std::int64_t h0, std::int64_t h1,
                         std::int64_t w0, std::int64_t w1, std::int64_t out_offset) {
    const std::int64_t count = (d1 - d0) * (h1 - h0) * (w1 - w0);
    if (count <= 0) return;
    const float scale = 1.0F / static_cast<float>(count);
    for (std::int64_t d = d0; d < d1; ++d)
      for (std::int64_t h = h0; h < h1; ++h)
        for (std::int64_t x2 = w0; x2 < w1; ++x2) {
          float* p = o + in_offset(w, b, d, h, x2);
          for (std::int64_t c = 0; c < w.channels; ++c) p[c] += g[out_offset + c] * scale;
        }
  });
  return dx;
}

}  // namespace

Tensor max_pool_backward(const Tensor& x, const Tensor& dy, const std::vector<std::int64_t>& pool_size,
                         const std::vector<std::int64_t>& strides, Padding padding) {
  return max_backward(strided_windows(x.shape(), dy.shape(), pool_size, strides, padding), x, dy);
}

Tensor avg_pool_backward(const Shape& x_shape, const Tensor& dy, const std::vector<std::int64_t>& pool_size,
                         const std::vector<std::int64_t>& strides, Padding padding) {
  return avg_backward(strided_windows(x_shape, dy.shape(), pool_size, strides, padding), x_shape, dy);
}

Tensor adaptive_max_pool_backward(const Tensor& x, const Tensor& dy, const std::vector<std::int64_t>& output_size) {
  return max_backward(adaptive_windows(x.shape(), output_size), x, dy);
}

Tensor adaptive_avg_pool_backward(const Shape& x_shape, const Tensor& dy,
                                  const std::vector<std::int64_t>& output_size) {
  return avg_backward(adaptive_windows(x_shape, output_size), x_shape, dy);
}

}  // namespace keras::kernels
