#include "ops/threads.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include "keras/error.hpp"

// libgomp's API, declared here so that no OpenMP compiler flag (and no second OpenMP runtime
// under clang) is needed: the library links the libgomp that oneDNN itself uses.
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}

namespace keras::kernels {

namespace {

std::atomic<int> configured{0};  // 0: not set

int default_threads() {
  static const int threads = [] {
    if (const char* env = std::getenv("KERAS_CPP_NUM_THREADS"); env != nullptr && *env != '\0') {
      char* end = nullptr;
      const long value = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && value >= 1 && value <= 4096) return static_cast<int>(value);
    }
    return omp_get_max_threads();
  }();
  return threads;
}

constexpr std::int64_t kSmallBatch = 4;

}  // namespace

int num_threads() {
  const int n = configured.load(std::memory_order_relaxed);
  return n > 0 ? n : default_threads();
}

void set_num_threads(int threads) {
  if (threads < 1)
    throw ValueError("set_num_threads: the number of threads must be at least 1, got " + std::to_string(threads));
  configured.store(threads, std::memory_order_relaxed);
}

int current_threads() { return omp_get_max_threads(); }

ThreadScope::ThreadScope(int threads) : previous_(omp_get_max_threads()) {
  if (threads != previous_) omp_set_num_threads(threads);
}

ThreadScope::~ThreadScope() {
  if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
}

int threads_for_batch(std::int64_t batch) { return batch < kSmallBatch ? 1 : num_threads(); }

}  // namespace keras::kernels
