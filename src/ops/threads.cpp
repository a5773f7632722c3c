#include "ops/threads.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "keras/error.hpp"

// libgomp's API, declared here so that no OpenMP compiler flag (and no second OpenMP runtime
// under clang) is needed: the library links the libgomp that oneDNN itself uses.
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
// What `#pragma omp parallel num_threads(n)` compiles to (GCC >= 4.9): runs fn(data) on a team.
void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags);
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

bool idle_threads_sleep_at_once() {
  // libgomp reads both once, when it starts; so do we.
  static const bool sleeps = [] {
    if (const char* spin = std::getenv("GOMP_SPINCOUNT"); spin != nullptr && std::string(spin) == "0") return true;
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    if (policy == nullptr) return false;
    std::string value(policy);
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return value == "passive";
  }();
  return sleeps;
}

namespace {

struct ParallelTasks {
  std::int64_t tasks;
  const std::function<void(std::int64_t)>* task;
  // Release/acquire pairs around the region: libgomp's own barriers are invisible to
  // ThreadSanitizer, these make the hand-over of inputs and results visible to it.
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::mutex error_mutex;
  std::exception_ptr error;
};

void run_parallel_tasks(void* data) {
  auto& p = *static_cast<ParallelTasks*>(data);
  (void)p.started.load(std::memory_order_acquire);
  const ThreadScope single(1);
  const std::int64_t team = omp_get_num_threads();
  for (std::int64_t i = omp_get_thread_num(); i < p.tasks; i += team) {
    try {
      (*p.task)(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(p.error_mutex);
      if (!p.error) p.error = std::current_exception();
    }
  }
  p.finished.fetch_add(1, std::memory_order_release);
}

}  // namespace

void parallel_tasks(std::int64_t tasks, int threads, const std::function<void(std::int64_t)>& task) {
  if (tasks <= 0) return;
  if (threads <= 1 || tasks == 1) {
    const ThreadScope single(1);
    for (std::int64_t i = 0; i < tasks; ++i) task(i);
    return;
  }
  ParallelTasks p{tasks, &task};
  p.started.store(1, std::memory_order_release);
  GOMP_parallel(run_parallel_tasks, &p, static_cast<unsigned>(std::min<std::int64_t>(threads, tasks)), 0);
  (void)p.finished.load(std::memory_order_acquire);
  if (p.error) std::rethrow_exception(p.error);
}

}  // namespace keras::kernels
