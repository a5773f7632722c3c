// The GEMM peak that keras-cpp's matrix products are held against (issue 11): oneDNN's
// dnnl_sgemm, with as many threads as OMP_NUM_THREADS gives it.
//   dnnl_sgemm/2048            one 2048 x 2048 x 2048 product
//   dnnl_sgemm/mlp_1024_b64    the products of mlp_1024's Dense layers at batch 64, in order
//                              (shapes read from the bench model's kernels)
// Each reports GFLOP/s and its FLOPs per iteration (flops) as counters, so that
// scripts/bench-results can compare a model's predict time on the same FLOPs.
#include <benchmark/benchmark.h>
#include <dnnl.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace {

namespace fs = std::filesystem;

// One row-major product C[m, n] = A[m, k] B[k, n].
struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
};

fs::path bench_dir() {
  if (const char* dir = std::getenv("KERAS_BENCH_DIR"); dir != nullptr && *dir != '\0') return dir;
  return fs::path(KERAS_SOURCE_DIR) / ".." / "shared" / "fixtures" / "bench";
}

void run_gemms(benchmark::State& state, const std::vector<GemmShape>& shapes) {
  std::vector<std::vector<float>> a;
  std::vector<std::vector<float>> b;
  std::vector<std::vector<float>> c;
  double flops = 0;
  for (const GemmShape& s : shapes) {
    // Values that keep the products finite; their size does not change the speed.
    a.emplace_back(static_cast<std::size_t>(s.m * s.k), 0.5F);
    b.emplace_back(static_cast<std::size_t>(s.k * s.n), 0.25F);
    c.emplace_back(static_cast<std::size_t>(s.m * s.n), 0.0F);
    flops += 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const GemmShape& s = shapes[i];
      const dnnl_status_t status =
          dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.0F, a[i].data(), s.k, b[i].data(), s.n, 0.0F, c[i].data(), s.n);
      if (status != dnnl_success) {
        state.SkipWithError(("dnnl_sgemm failed with status " + std::to_string(status)).c_str());
        return;
      }
    }
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flops"] = flops;  // per iteration; a counter, so that aggregates keep it
}

void bench_sgemm_square(benchmark::State& state) { run_gemms(state, {{2048, 2048, 2048}}); }

// The MLP's products at batch 64: one per rank-2 kernel, (64, in) x (in, out).
void bench_sgemm_mlp(benchmark::State& state) {
  const fs::path path = bench_dir() / "mlp_1024" / "model.keras";
  std::vector<GemmShape> shapes;
  try {
    const keras::Model model = keras::load_model(path);
    for (const auto& layer : model.layers()) {
      for (const auto& variable : layer->weights()) {
        if (variable->shape().size() == 2 && variable->path().ends_with("kernel"))
          shapes.push_back({64, variable->shape()[1], variable->shape()[0]});
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(("skipped: cannot load " + path.string() + ": " + e.what()).c_str());
    return;
  }
  if (shapes.empty()) {
    state.SkipWithError(("skipped: no Dense kernel in " + path.string()).c_str());
    return;
  }
  run_gemms(state, shapes);
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("dnnl_sgemm/2048", bench_sgemm_square)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("dnnl_sgemm/mlp_1024_b64", bench_sgemm_mlp)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}();

}  // namespace
