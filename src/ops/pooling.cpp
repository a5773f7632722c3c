#include "ops/pooling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ops/common.hpp"
#include "ops/dnnl_context.hpp"
#include "ops/reduce.hpp"

namespace keras::kernels {

namespace {

using dnnl::memory;

int pooled_rank(const Tensor& x, const char* what) {
  const int spatial = x.rank() - 2;
  if (spatial < 1 || spatial > 3)
    throw ShapeMismatchError(std::string(what) +
                             ": input must have rank 3, 4 or 5 (batch, spatial..., channels), got " +
                             shape_to_string(x.shape()));
  return spatial;
}

Tensor window_pool(const Tensor& x_in, const std::vector<std::int64_t>& pool_in,
                   const std::vector<std::int64_t>& strides_in, Padding padding, bool is_max) {
  const char* what = is_max ? "max_pool" : "avg_pool";
  Tensor x = detail::to_float(x_in);
  const int n_sp = pooled_rank(x, what);
  if (padding == Padding::causal) throw ValueError(std::string(what) + ": padding must be 'valid' or 'same'");
  const auto pool = detail::spatial_param(pool_in, n_sp, 1, "pool_size");
  const auto strides = strides_in.empty() ? pool : detail::spatial_param(strides_in, n_sp, 1, "pool strides");
  for (int i = 0; i < n_sp; ++i)
    if (pool[static_cast<std::size_t>(i)] < 1 || strides[static_cast<std::size_t>(i)] < 1)
      throw ValueError(std::string(what) + ": pool_size and strides must be positive");

  std::vector<std::int64_t> pad_l, pad_r;
  Shape out_shape{x.dim(0)};
  bool empty = x.dim(0) == 0 || x.dim(-1) == 0;
  for (int i = 0; i < n_sp; ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t in = x.shape()[u + 1];
    std::int64_t out = std::max<std::int64_t>(conv_output_length(in, pool[u], strides[u], padding), 0);
    if (in == 0) out = 0;
    const auto [before, after] = conv_padding(in, pool[u], strides[u], padding);
    pad_l.push_back(before);
    pad_r.push_back(padding == Padding::same ? after : 0);
    out_shape.push_back(out);
    empty = empty || out == 0;
  }
  out_shape.push_back(x.dim(-1));
  Tensor out(out_shape);
  if (empty) return out;

  memory::format_tag tag =
      n_sp == 1 ? memory::format_tag::nwc : (n_sp == 2 ? memory::format_tag::nhwc : memory::format_tag::ndhwc);
  auto ncx = [](const Shape& s) {
    memory::dims d{s.front(), s.back()};
    d.insert(d.end(), s.begin() + 1, s.end() - 1);
    return d;
  };
  memory::desc src_md(ncx(x.shape()), memory::data_type::f32, tag);
  memory::desc dst_md(ncx(out_shape), memory::data_type::f32, tag);
  const auto algorithm = is_max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  const std::string key = std::string(what) + "|" + detail::join(x.shape()) + "|" + detail::join(pool) + "|" +
                          detail::join(strides) + "|" + detail::join(pad_l) + "|" + detail::join(pad_r);
  auto prim = detail::cached_primitive(key, [&] {
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src_md, dst_md, strides, pool,
                                     pad_l, pad_r);
    dnnl::pooling_forward::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine());
    return detail::make_primitive<dnnl::pooling_forward::primitive_desc, dnnl::pooling_forward>(pd);
  });
  detail::execute(*prim, {{DNNL_ARG_SRC, detail::wrap_memory(src_md, x.data<float>())},
                          {DNNL_ARG_DST, detail::wrap_memory(dst_md, out.data<float>())}});
  return out;
}

std::vector<int> spatial_axes(const Tensor& x, const char* what) {
  if (x.rank() < 3)
    throw ShapeMismatchError(std::string(what) + ": input must have rank >= 3 (batch, spatial..., channels), got " +
                             shape_to_string(x.shape()));
  std::vector<int> axes;
  for (int i = 1; i < x.rank() - 1; ++i) axes.push_back(i);
  return axes;
}

Tensor adaptive_pool(const Tensor& x_in, const std::vector<std::int64_t>& output_size_in, bool is_max) {
  const char* what = is_max ? "adaptive_max_pool" : "adaptive_avg_pool";
  Tensor x = detail::to_float(x_in);
  const int n_sp = pooled_rank(x, what);
  const auto output_size = detail::spatial_param(output_size_in, n_sp, 1, "output_size");
  // Work on a 3-D view [N, D, H, W, C] (missing leading spatial dims = 1).
  std::int64_t in_dims[3] = {1, 1, 1};
  std::int64_t out_dims[3] = {1, 1, 1};
  Shape out_shape{x.dim(0)};
  for (int i = 0; i < n_sp; ++i) {
    const std::int64_t o = output_size[static_cast<std::size_t>(i)];
    const std::int64_t in = x.shape()[static_cast<std::size_t>(i) + 1];
    if (o < 1) throw ValueError(std::string(what) + ": output_size must be positive");
    if (in < 1) throw ValueError(std::string(what) + ": input spatial dims must be positive");
    in_dims[3 - n_sp + i] = in;
    out_dims[3 - n_sp + i] = o;
    out_shape.push_back(o);
  }
  const std::int64_t channels = x.dim(-1);
  out_shape.push_back(channels);
  Tensor out(out_shape);
  const float* in = x.data<float>();
  float* o = out.data<float>();
  auto bin_start = [](std::int64_t i, std::int64_t len, std::int64_t n) { return (i * len) / n; };
  auto bin_end = [](std::int64_t i, std::int64_t len, std::int64_t n) { return ((i + 1) * len + n - 1) / n; };
  std::vector<double> acc(static_cast<std::size_t>(channels));
  std::vector<float> best(static_cast<std::size_t>(channels));
  for (std::int64_t b = 0; b < x.dim(0); ++b)
    for (std::int64_t od = 0; od < out_dims[0]; ++od)
      for (std::int64_t oh = 0; oh < out_dims[1]; ++oh)
        for (std::int64_t ow = 0; ow < out_dims[2]; ++ow) {
          const std::int64_t d0 = bin_start(od, in_dims[0], out_dims[0]), d1 = bin_end(od, in_dims[0], out_dims[0]);
          const std::int64_t h0 = bin_start(oh, in_dims[1], out_dims[1]), h1 = bin_end(oh, in_dims[1], out_dims[1]);
          const std::int64_t w0 = bin_start(ow, in_dims[2], out_dims[2]), w1 = bin_end(ow, in_dims[2], out_dims[2]);
          std::fill(acc.begin(), acc.end(), 0.0);
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          for (std::int64_t d = d0; d < d1; ++d)
            for (std::int64_t h = h0; h < h1; ++h)
              for (std::int64_t w = w0; w < w1; ++w) {
                const float* p = in + (((b * in_dims[0] + d) * in_dims[1] + h) * in_dims[2] + w) * channels;
                for (std::int64_t c = 0; c < channels; ++c) {
                  auto u = static_cast<std::size_t>(c);
                  acc[u] += p[c];
                  if (p[c] > best[u] || std::isnan(p[c])) best[u] = std::isnan(best[u]) ? best[u] : p[c];
                }
              }
          const double count = static_cast<double>((d1 - d0) * (h1 - h0) * (w1 - w0));
          float* q = o + (((b * out_dims[0] + od) * out_dims[1] + oh) * out_dims[2] + ow) * channels;
          for (std::int64_t c = 0; c < channels; ++c)
            q[c] = is_max ? best[static_cast<std::size_t>(c)]
                          : static_cast<float>(acc[static_cast<std::size_t>(c)] / count);
        }
  return out;
}

}  // namespace

Tensor max_pool(const Tensor& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
                Padding padding) {
  return window_pool(x, pool_size, strides, padding, true);
}

Tensor avg_pool(const Tensor& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
                Padding padding) {
  return window_pool(x, pool_size, strides, padding, false);
}

Tensor global_avg_pool(const Tensor& x, bool keepdims) { return mean(x, spatial_axes(x, "global_avg_pool"), keepdims); }
Tensor global_max_pool(const Tensor& x, bool keepdims) { return max(x, spatial_axes(x, "global_max_pool"), keepdims); }

Tensor adaptive_avg_pool(const Tensor& x, const std::vector<std::int64_t>& output_size) {
  return adaptive_pool(x, output_size, false);
}

Tensor adaptive_max_pool(const Tensor& x, const std::vector<std::int64_t>& output_size) {
  return adaptive_pool(x, output_size, true);
}

}  // namespace keras::kernels
