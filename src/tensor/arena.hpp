// Replays the buffers of a repeated computation (an execution plan run on inputs of one
// signature) from one block of memory, so that a steady-state predict asks the system for none.
//
// Without it every intermediate of a large batch was a fresh allocation, which glibc maps and
// unmaps: the next predict faulted every page back in, zeroed by the kernel (15 % of MobileNetV2's
// batch-64 predict). A scope records the sizes of the allocations made on its thread and when
// each is released; at its end, if they differ from the last record, the buffers released inside
// the call are packed into one block (greedy by size, offsets shared by buffers whose lifetimes do
// not overlap), as inference runtimes plan their arenas. The next call with the same sequence
// gets each buffer at its offset. A call that departs from the record (another size, or a buffer
// still alive where the record had freed the one it would overlap) gets system buffers from
// there on, and is recorded instead; buffers that outlive the call (its outputs, prepared weights)
// always come from the system. The block is reused only when no buffer of an earlier call still
// points into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace keras::detail {

struct ArenaState;

class ArenaCache {
 public:
  ArenaCache();
  ~ArenaCache();
  ArenaCache(const ArenaCache&) = delete;
  ArenaCache& operator=(const ArenaCache&) = delete;

  // While alive, allocations on this thread (of at least kMinArenaBytes) replay or record the
  // arena of `key`. Calls with the same key may run at once; each takes its own arena.
  class Scope {
   public:
    Scope(ArenaCache& cache, std::vector<std::int64_t> key);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ArenaCache& cache_;
    std::vector<std::int64_t> key_;
    std::shared_ptr<ArenaState> state_;
    ArenaState* previous_;
    int uncaught_;
  };

 private:
  struct Idle {
    std::vector<std::int64_t> key;
    std::vector<std::shared_ptr<ArenaState>> states;
  };
  std::mutex mutex_;
  std::vector<Idle> idle_;  // most recently used key last
};

constexpr std::size_t kMinArenaBytes = 4096;

// A buffer of `bytes` from this thread's active arena; null when none is active or the buffer is
// smaller than kMinArenaBytes.
std::shared_ptr<std::byte> arena_allocate(std::size_t bytes);

// A buffer from the system: 64-byte aligned; from 4 MiB 2 MiB aligned with transparent huge pages
// asked for, so that its first touch faults once per 2 MiB instead of once per 4 KiB.
std::shared_ptr<std::byte> system_allocate(std::size_t bytes);

}  // namespace keras::detail
