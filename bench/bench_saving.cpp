// Saving and loading a large model against plain file I/O of the same bytes (issue 11):
//   dense_134M/save         keras::save_model of Input(4096) -> 8 x Dense(4096) (537 MB of float32)
//   dense_134M/plain_write  writing the archive's bytes once from memory (write + fsync, as the
//                           save does)
//   dense_134M/load         keras::load_model of that file (CRC-32 checked)
//   dense_134M/plain_read   reading the file's bytes, touching every page and computing their
//                           CRC-32 with the routine load_model uses (keras::saving::crc32)
// and the same for a 5 GiB stack (Input(8192) -> 20 x Dense(8192), zip64) unless
// KERAS_BENCH_5GIB=0, or the scratch disk or the memory is too small for it (then its rows are
// skipped with the reason). Each row's label carries peak_anon_mib (the peak of anonymous memory
// during the call, above what the process held before it, sampled every millisecond) and
// weight_mib, for scripts/bench-results. Files go to KERAS_BENCH_TMP (default /var/tmp).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keras/keras.hpp"
#include "saving/crc32.hpp"

namespace {

namespace fs = std::filesystem;

struct Stack {
  const char* name;
  std::int64_t width;
  int layers;
};

const Stack kStacks[] = {{"dense_134M", 4096, 8}, {"dense_5GiB", 8192, 20}};

fs::path scratch_dir() {
  const char* dir = std::getenv("KERAS_BENCH_TMP");
  return dir != nullptr && *dir != '\0' ? fs::path(dir) : fs::path("/var/tmp");
}

// Anonymous resident memory (RssAnon) in bytes.
std::int64_t anon_bytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtoll(line.c_str() + 8, nullptr, 10) * 1024;
  }
  return -1;
}

// Samples RssAnon every millisecond while alive; peak() is the highest value above the start.
class AnonPeak {
 public:
  AnonPeak() : start_(anon_bytes()), peak_(start_) {
    sampler_ = std::thread([this] {
      while (!stop_.load()) {
        const std::int64_t now = anon_bytes();
        if (now > peak_.load()) peak_.store(now);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  AnonPeak(const AnonPeak&) = delete;
  AnonPeak& operator=(const AnonPeak&) = delete;
  ~AnonPeak() { stop(); }
  double peak_mib() {
    stop();
    return static_cast<double>(std::max<std::int64_t>(peak_.load() - start_, 0)) / (1024.0 * 1024.0);
  }

 private:
  void stop() {
    stop_.store(true);
    if (sampler_.joinable()) sampler_.join();
  }
  std::int64_t start_;
  std::atomic<std::int64_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread sampler_;
};

// Touches `bytes` of fresh anonymous memory (huge pages where the kernel grants them) and gives
// it back. A virtual machine may back guest memory lazily, or take back what the guest freed:
// the first touch of such a page then costs the host's fault too (up to 10 us per 4 KiB page
// here after a process freed gigabytes). load_model fills fresh memory with the weights and
// the plain read does not, so each stack warms as much as its loaded copy needs, once, before
// the timed calls: the rows compare the library with the plain read, not with the hypervisor.
void warm_memory(std::uint64_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  ::madvise(p, bytes, MADV_HUGEPAGE);
  auto* bytes_of = static_cast<volatile unsigned char*>(p);
  for (std::uint64_t offset = 0; offset < bytes; offset += 4096) bytes_of[offset] = 1;
  ::munmap(p, bytes);
}

// One model per stack, built and saved once (its initializers run at the first save).
struct Built {
  Built() = default;
  Built(const Built&) = delete;
  Built& operator=(const Built&) = delete;
  ~Built() {  // the scratch file goes with the model
    std::error_code ec;
    if (!file.empty()) fs::remove(file, ec);
  }
  keras::Model model;
  fs::path file;
  std::uint64_t weight_bytes = 0;
  std::string error;
};

Built& built(const Stack& stack) {
  static std::map<std::string, Built> cache;
  auto found = cache.find(stack.name);
  if (found != cache.end()) return found->second;
  cache.clear();  // one big model at a time
  Built& out = cache[stack.name];
  try {
    keras::KerasTensor x = keras::Input({stack.width});
    keras::KerasTensor input = x;
    for (int i = 0; i < stack.layers; ++i) x = keras::layers::Dense(stack.width)(x);
    out.model = keras::Model(input, x);
    // All float32; get_weights() would copy them.
    out.weight_bytes = static_cast<std::uint64_t>(out.model.count_params()) * sizeof(float);
    out.file =
        scratch_dir() / (std::string("keras-cpp-bench-") + stack.name + "-" + std::to_string(getpid()) + ".keras");
    keras::save_model(out.model, out.file, {.overwrite = true});
    warm_memory(out.weight_bytes + (std::uint64_t{64} << 20));
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

// MemAvailable in bytes; -1 when unknown.
std::int64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("MemAvailable:", 0) == 0) return std::strtoll(line.c_str() + 13, nullptr, 10) * 1024;
  }
  return -1;
}

// Why a stack cannot run here ("" when it can): the 5 GiB one needs its archive and a plain copy
// on the scratch disk, and the model plus a loaded copy in memory.
std::string unavailable(const Stack& stack) {
  if (stack.width < 8192) return "";
  if (const char* flag = std::getenv("KERAS_BENCH_5GIB"); flag != nullptr && std::string(flag) == "0")
    return "skipped: KERAS_BENCH_5GIB=0";
  const double weights = static_cast<double>(stack.width) * static_cast<double>(stack.width + 1) *
                         static_cast<double>(stack.layers) * sizeof(float);
  std::error_code ec;
  const auto space = fs::space(scratch_dir(), ec);
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (ec || static_cast<double>(space.available) < 2.5 * weights)
    return "skipped: " + scratch_dir().string() + " has " +
           std::to_string(static_cast<double>(space.available) / kGiB) + " GiB free, the 5 GiB stack needs " +
           std::to_string(2.5 * weights / kGiB) + " (set KERAS_BENCH_TMP)";
  const std::int64_t memory = available_memory();
  if (memory >= 0 && static_cast<double>(memory) < 2.5 * weights)
    return "skipped: " + std::to_string(static_cast<double>(memory) / kGiB) +
           " GiB of memory available, the 5 GiB stack needs " + std::to_string(2.5 * weights / kGiB);
  return "";
}

void label(benchmark::State& state, const Built& b, double peak_mib) {
  state.SetLabel("peak_anon_mib=" + std::to_string(peak_mib) +
                 " weight_mib=" + std::to_string(static_cast<double>(b.weight_bytes) / (1024.0 * 1024.0)) +
                 " file_mib=" + std::to_string(static_cast<double>(fs::file_size(b.file)) / (1024.0 * 1024.0)));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * fs::file_size(b.file)));
}

bool usable(benchmark::State& state, const Stack& stack, Built** out) {
  if (const std::string why = unavailable(stack); !why.empty()) {
    state.SkipWithError(why.c_str());
    return false;
  }
  Built& b = built(stack);
  if (!b.error.empty()) {
    state.SkipWithError(b.error.c_str());
    return false;
  }
  *out = &b;
  return true;
}

void bench_save(benchmark::State& state, const Stack& stack) {
  Built* b = nullptr;
  if (!usable(state, stack, &b)) return;
  double peak = 0;
  for (auto _ : state) {
    AnonPeak sampler;
    keras::save_model(b->model, b->file, {.overwrite = true});
    peak = std::max(peak, sampler.peak_mib());
  }
  label(state, *b, peak);
}

void bench_load(benchmark::State& state, const Stack& stack) {
  Built* b = nullptr;
  if (!usable(state, stack, &b)) return;
  double peak = 0;
  for (auto _ : state) {
    AnonPeak sampler;
    keras::Model loaded = keras::load_model(b->file, {.compile = false});
    benchmark::DoNotOptimize(loaded);
    peak = std::max(peak, sampler.peak_mib());
  }
  label(state, *b, peak);
}

constexpr std::size_t kChunk = std::size_t{8} << 20;

// The archive's bytes written once from memory, in 8 MiB chunks, then fsync'd (save_model fsyncs
// too). The bytes are read into memory before the timing, as a model's weights are in memory
// before a save: writing them costs reading them from DRAM, which a small buffer that stays in
// the cache would not.
void bench_plain_write(benchmark::State& state, const Stack& stack) {
  Built* b = nullptr;
  if (!usable(state, stack, &b)) return;
  const std::uint64_t size = fs::file_size(b->file);
  const fs::path target = b->file.string() + ".plain";
  std::vector<char> bytes(static_cast<std::size_t>(size));
  {
    std::ifstream in(b->file, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    if (!in) {
      state.SkipWithError("cannot read the saved archive");
      return;
    }
  }
  double peak = 0;
  for (auto _ : state) {
    AnonPeak sampler;
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    for (std::uint64_t done = 0; fd >= 0 && done < size;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - done));
      const ssize_t wrote = ::write(fd, bytes.data() + done, n);
      if (wrote <= 0) break;
      done += static_cast<std::uint64_t>(wrote);
    }
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    peak = std::max(peak, sampler.peak_mib());
  }
  fs::remove(target);
  label(state, *b, peak);
}

// The file read once into an 8 MiB buffer (every page touched) with its CRC-32.
void bench_plain_read(benchmark::State& state, const Stack& stack) {
  Built* b = nullptr;
  if (!usable(state, stack, &b)) return;
  std::vector<std::byte> chunk(kChunk);
  double peak = 0;
  for (auto _ : state) {
    AnonPeak sampler;
    std::uint32_t crc = 0;
    const int fd = ::open(b->file.c_str(), O_RDONLY | O_CLOEXEC);
    for (ssize_t got = 0; fd >= 0 && (got = ::read(fd, chunk.data(), chunk.size())) > 0;)
      crc = keras::saving::crc32(std::span<const std::byte>(chunk.data(), static_cast<std::size_t>(got)), crc);
    if (fd >= 0) ::close(fd);
    benchmark::DoNotOptimize(crc);
    peak = std::max(peak, sampler.peak_mib());
  }
  label(state, *b, peak);
}

const int kRegistered = [] {
  for (const Stack& stack : kStacks) {
    const std::string name = stack.name;
    for (const auto& entry : {std::pair{"save", &bench_save}, std::pair{"plain_write", &bench_plain_write},
                              std::pair{"load", &bench_load}, std::pair{"plain_read", &bench_plain_read}}) {
      // A copy: clang cannot capture a structured binding.
      auto* const fn = entry.second;
      benchmark::RegisterBenchmark((name + "/" + entry.first).c_str(),
                                   [fn, &stack](benchmark::State& s) { fn(s, stack); })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(3)
          ->UseRealTime();
    }
  }
  return 0;
}();

}  // namespace
