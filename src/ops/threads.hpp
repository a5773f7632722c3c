// The one thread pool: oneDNN (Debian's build) runs on OpenMP (libgomp), so keras-cpp sizes
// OpenMP's team and never starts a pool of its own. OpenMP's team size is a per-calling-thread
// setting, so every predict applies it on the thread that calls.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

namespace keras::kernels {

// Threads a call may use: set_num_threads(), else KERAS_CPP_NUM_THREADS, else OpenMP's default.
int num_threads();
void set_num_threads(int threads);
// OpenMP's current team size on this thread (what oneDNN primitives are created for).
int current_threads();

// Sets this thread's OpenMP team size for a scope and restores it after.
class ThreadScope {
 public:
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_;
};

// The team size for a call on `batch` samples. Small batches run on one thread: below that,
// waking a second thread for each of a model's many small primitives costs more than it saves
// (MobileNetV2 at batch 1 was 2.4-5x slower on two threads than on one).
int threads_for_batch(std::int64_t batch);

// Whether OpenMP's idle threads go to sleep at once (OMP_WAIT_POLICY=passive or
// GOMP_SPINCOUNT=0): then every parallel region pays a wake-up, and splitting one small product
// over threads costs more than it saves.
bool idle_threads_sleep_at_once();

// Runs task(0) .. task(tasks - 1) on up to `threads` threads of OpenMP's team (libgomp's pool,
// the one oneDNN runs on), each task on a thread whose own team size is 1, so that the primitives
// it calls run single-threaded with no barrier between them. Tasks are dealt round-robin, so a
// nested call (team of one) still runs them all. The first exception a task throws is rethrown.
// Inside run_with_team on the thread that called it, the tasks go to the team's waiting threads
// instead (all of them, unless `threads` is 1: then they run inline).
void parallel_tasks(std::int64_t tasks, int threads, const std::function<void(std::int64_t)>& task);

// Runs body() on this thread while `threads - 1` more threads of OpenMP's pool wait for the tasks
// that body's parallel_tasks calls hand out, spinning rather than sleeping: a small batch's many
// short steps then cost a shared cache line per hand-over, not a fork and a wake-up (mlp_1024 at
// batch 1 woke a sleeping thread five times per predict). Every thread runs with a team size of
// 1, so the primitives it calls run single-threaded. A task runs on whichever thread claims it
// first; tasks must not depend on which one. With threads <= 1, or where idle threads are asked
// to sleep (idle_threads_sleep_at_once), body() just runs.
void run_with_team(int threads, const std::function<void()>& body);

// run_with_team for repeated calls of one computation (`key`: a model and its batch size): once
// a call handed its team no task, later calls with that key run without one, since keeping a
// thread spinning for nothing slowed such models by ~4 %. Only speed depends on the choice:
// how the work is split never does. A key is remembered for a bounded number of keys.
void run_with_team(int threads, std::pair<const void*, std::int64_t> key, const std::function<void()>& body);

}  // namespace keras::kernels
