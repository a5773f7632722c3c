#include "ops/threads.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

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

// The state run_with_team's threads share. Thread 0 (the caller) publishes a job by bumping
// `generation`; each thread claims task indices with a compare-and-swap on `claim`, which holds
// the job's number beside the next index, so that a thread still holding an old job's number
// can never claim a task of a newer one.
struct Team {
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<std::uint32_t> generation{0};
  std::atomic<std::uint64_t> claim{0};  // (job << 32) | next task index
  std::atomic<std::int64_t> tasks{0};
  std::atomic<const std::function<void(std::int64_t)>*> task{nullptr};
  std::atomic<std::int64_t> unfinished{0};
  std::atomic<bool> stop{false};
  bool dispatching = false;  // thread 0 only: a task's own parallel_tasks runs inline
  std::mutex error_mutex;
  std::exception_ptr error;
  const std::function<void()>* body = nullptr;
  std::exception_ptr body_error;
};

thread_local Team* active_team = nullptr;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Claims and runs job `job`'s tasks until none is left or a newer job replaced it.
void claim_tasks(Team& team, std::uint32_t job) {
  // Read before the claim: a successful claim on `job` proves these are job's (a newer job
  // moves `claim` on before it writes them).
  const auto* task = team.task.load();
  const std::int64_t tasks = team.tasks.load();
  std::uint64_t word = team.claim.load();
  for (;;) {
    if (static_cast<std::uint32_t>(word >> 32) != job) return;
    const auto i = static_cast<std::int64_t>(word & 0xffffffffU);
    if (i >= tasks) return;
    if (!team.claim.compare_exchange_weak(word, word + 1)) continue;
    try {
      (*task)(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(team.error_mutex);
      if (!team.error) team.error = std::current_exception();
    }
    team.unfinished.fetch_sub(1, std::memory_order_release);
    word = team.claim.load();
  }
}

std::uint32_t wait_for_job(const Team& team, std::uint32_t seen) {
  // Spin a while (a predict's steps follow each other within microseconds), then yield, so
  // that a long step on thread 0 does not keep a core from other processes.
  constexpr int kSpins = 1 << 16;
  for (int spins = 0;; ++spins) {
    const std::uint32_t now = team.generation.load();
    if (now != seen || team.stop.load()) return now;
    if (spins < kSpins)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

void run_team_thread(void* data) {
  auto& team = *static_cast<Team*>(data);
  (void)team.started.load(std::memory_order_acquire);
  const ThreadScope single(1);
  if (omp_get_thread_num() == 0) {
    // A nested region (run_with_team inside an OpenMP team) has this thread alone: it then
    // claims every task itself.
    active_team = &team;
    try {
      (*team.body)();
    } catch (...) {
      team.body_error = std::current_exception();
    }
    active_team = nullptr;
    team.stop.store(true);
    return;
  }
  std::uint32_t seen = 0;
  while (!team.stop.load()) {
    seen = wait_for_job(team, seen);
    claim_tasks(team, seen);
  }
  team.finished.fetch_add(1, std::memory_order_release);
}

void run_on_team(Team& team, std::int64_t tasks, const std::function<void(std::int64_t)>& task) {
  if (tasks > 0xffffffffLL) throw ValueError("parallel_tasks: too many tasks for one job");
  const std::uint32_t job = team.generation.load() + 1;
  team.claim.store(static_cast<std::uint64_t>(job) << 32);  // first: older claims now fail
  team.task.store(&task);
  team.tasks.store(tasks);
  team.unfinished.store(tasks);
  team.error = nullptr;
  team.dispatching = true;
  team.generation.store(job);
  claim_tasks(team, job);
  while (team.unfinished.load(std::memory_order_acquire) > 0) cpu_relax();
  team.dispatching = false;
  if (team.error) std::rethrow_exception(team.error);
}

// Runs body with a team; returns how many jobs (parallel_tasks calls) it handed out.
std::uint32_t run_on_new_team(int threads, const std::function<void()>& body) {
  Team team;
  team.body = &body;
  team.started.store(1, std::memory_order_release);
  GOMP_parallel(run_team_thread, &team, static_cast<unsigned>(threads), 0);
  (void)team.finished.load(std::memory_order_acquire);
  if (team.body_error) std::rethrow_exception(team.body_error);
  return team.generation.load();
}

bool team_can_start(int threads) { return threads > 1 && !idle_threads_sleep_at_once() && active_team == nullptr; }

struct KeyHash {
  std::size_t operator()(const std::pair<const void*, std::int64_t>& key) const {
    return std::hash<const void*>()(key.first) ^ (std::hash<std::int64_t>()(key.second) * 0x9e3779b97f4a7c15ULL);
  }
};

struct TeamlessKeys {
  std::mutex mutex;
  std::unordered_set<std::pair<const void*, std::int64_t>, KeyHash> keys;
};

TeamlessKeys& teamless_keys() {
  static TeamlessKeys keys;
  return keys;
}

}  // namespace

void run_with_team(int threads, const std::function<void()>& body) {
  if (!team_can_start(threads)) {
    body();
    return;
  }
  (void)run_on_new_team(threads, body);
}

void run_with_team(int threads, std::pair<const void*, std::int64_t> key, const std::function<void()>& body) {
  if (!team_can_start(threads)) {
    body();
    return;
  }
  auto& teamless = teamless_keys();
  {
    const std::lock_guard<std::mutex> lock(teamless.mutex);
    if (teamless.keys.count(key) != 0) {
      body();
      return;
    }
  }
  if (run_on_new_team(threads, body) == 0) {
    const std::lock_guard<std::mutex> lock(teamless.mutex);
    constexpr std::size_t kMaxKeys = 4096;  // a key whose model is gone is only forgotten
    if (teamless.keys.size() >= kMaxKeys) teamless.keys.clear();
    teamless.keys.insert(key);
  }
}

void parallel_tasks(std::int64_t tasks, int threads, const std::function<void(std::int64_t)>& task) {
  if (tasks <= 0) return;
  if (Team* team = active_team; team != nullptr) {
    if (!team->dispatching && threads > 1 && tasks > 1) {
      run_on_team(*team, tasks, task);
    } else {
      for (std::int64_t i = 0; i < tasks; ++i) task(i);
    }
    return;
  }
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
