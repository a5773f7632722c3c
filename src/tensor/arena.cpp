#include "tensor/arena.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <limits>
#include <new>
#include <utility>

namespace keras::detail {

namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::uint32_t kLive = std::numeric_limits<std::uint32_t>::max();  // not released in the call
constexpr std::size_t kMaxKeys = 8;                                         // input signatures kept per cache
constexpr std::size_t kMaxIdlePerKey = 4;  // arenas of concurrent calls kept per signature

std::size_t aligned(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

thread_local ArenaState* t_active = nullptr;

}  // namespace

std::shared_ptr<std::byte> system_allocate(std::size_t bytes) {
  std::size_t padded = aligned(bytes);
  if (padded == 0) padded = kAlignment;
  const bool huge = padded >= 2 * kHugePage;
  // posix_memalign: aligned_alloc wants the size a multiple of the alignment, which a buffer
  // of 4 MiB and more aligned to a huge page seldom is (ASan refuses it).
  void* memory = nullptr;
  if (::posix_memalign(&memory, huge ? kHugePage : kAlignment, padded) != 0 || memory == nullptr)
    throw std::bad_alloc();
  if (huge) ::madvise(memory, padded, MADV_HUGEPAGE);
  return {static_cast<std::byte*>(memory), [](std::byte* p) { std::free(p); }};
}

struct ArenaState : std::enable_shared_from_this<ArenaState> {
  struct Event {
    std::size_t size;
    std::uint32_t allocated;
    std::uint32_t released = kLive;
    bool operator==(const Event&) const = default;
  };
  struct Placement {
    bool in_block = false;
    std::size_t offset = 0;
    std::vector<std::uint32_t> overlapped;  // earlier buffers sharing its bytes: released first in the record
  };

  std::mutex mutex;  // a buffer may be released on another thread than the one that allocated it
  bool active = false;
  std::uint64_t generation = 0;  // one per call; releases of earlier calls' buffers are not events
  std::uint32_t clock = 0;

  std::vector<Event> record;  // the last call that departed from the one before
  std::vector<Placement> placement;
  std::size_t block_bytes = 0;
  std::shared_ptr<std::byte> block;
  std::size_t block_capacity = 0;

  std::vector<Event> current;
  bool replaying = false;

  void begin() {
    std::lock_guard lock(mutex);
    ++generation;
    active = true;
    clock = 0;
    current.clear();
    replaying = !record.empty();
    // An earlier call's buffer still in the block (an output kept by the caller): a new block.
    if (replaying && block_bytes > 0 && (!block || block.use_count() > 1 || block_capacity < block_bytes)) {
      block = system_allocate(block_bytes);
      block_capacity = block_bytes;
    }
  }

  void end(bool failed) {
    std::lock_guard lock(mutex);
    active = false;
    if (failed) {
      record.clear();
      placement.clear();
    } else if (current != record) {
      record = std::move(current);
      plan();
    }
    current.clear();
  }

  // Offsets for the buffers released inside the recorded call, largest first, each at the
  // lowest offset free of the buffers placed before it whose lifetimes overlap its own.
  void plan() {
    const std::size_t n = record.size();
    placement.assign(n, {});
    std::vector<std::uint32_t> order;
    for (std::uint32_t i = 0; i < n; ++i)
      if (record[i].released != kLive) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return record[a].size > record[b].size; });
    std::vector<std::uint32_t> placed;
    std::vector<std::pair<std::size_t, std::size_t>> busy;  // [offset, end) of overlapping lifetimes
    block_bytes = 0;
    auto lifetimes_overlap = [&](std::uint32_t a, std::uint32_t b) {
      return record[a].allocated < record[b].released && record[b].allocated < record[a].released;
    };
    for (std::uint32_t i : order) {
      const std::size_t size = aligned(record[i].size);
      busy.clear();
      for (std::uint32_t p : placed)
        if (lifetimes_overlap(i, p))
          busy.emplace_back(placement[p].offset, placement[p].offset + aligned(record[p].size));
      std::sort(busy.begin(), busy.end());
      std::size_t offset = 0;
      for (const auto& [from, to] : busy) {
        if (from >= offset + size) break;
        offset = std::max(offset, to);
      }
      placement[i].in_block = true;
      placement[i].offset = offset;
      block_bytes = std::max(block_bytes, offset + size);
      placed.push_back(i);
    }
    // What a replay checks before handing out a buffer: every earlier one sharing its bytes is free.
    for (std::uint32_t j = 0; j < n; ++j) {
      if (!placement[j].in_block) continue;
      const std::size_t j_end = placement[j].offset + aligned(record[j].size);
      for (std::uint32_t k = 0; k < j; ++k) {
        if (!placement[k].in_block) continue;
        const std::size_t k_end = placement[k].offset + aligned(record[k].size);
        if (placement[k].offset < j_end && placement[j].offset < k_end) placement[j].overlapped.push_back(k);
      }
    }
  }
};

namespace {

struct ArenaRelease {
  std::shared_ptr<ArenaState> state;
  std::uint64_t generation;
  std::uint32_t index;
  std::shared_ptr<std::byte> backing;  // the block, or the buffer's own system allocation

  void operator()(std::byte* /*unused*/) {
    {
      std::lock_guard lock(state->mutex);
      if (state->active && state->generation == generation) state->current[index].released = state->clock++;
    }
    backing.reset();
  }
};

}  // namespace

std::shared_ptr<std::byte> arena_allocate(std::size_t bytes) {
  ArenaState* s = t_active;
  if (s == nullptr || bytes < kMinArenaBytes) return nullptr;
  std::unique_lock lock(s->mutex);
  const auto index = static_cast<std::uint32_t>(s->current.size());
  s->current.push_back({bytes, s->clock++});
  std::byte* where = nullptr;
  if (s->replaying) {
    const bool same = index < s->record.size() && s->record[index].size == bytes;
    if (!same) {
      s->replaying = false;
    } else if (s->placement[index].in_block) {
      const auto& overlapped = s->placement[index].overlapped;
      const bool free = std::all_of(overlapped.begin(), overlapped.end(),
                                    [&](std::uint32_t k) { return s->current[k].released != kLive; });
      if (free) {
        where = s->block.get() + s->placement[index].offset;
      } else {
        s->replaying = false;
      }
    }
  }
  ArenaRelease release{std::shared_ptr<ArenaState>(), s->generation, index, nullptr};
  if (where != nullptr) release.backing = s->block;
  lock.unlock();
  if (where == nullptr) {
    release.backing = system_allocate(bytes);
    where = release.backing.get();
  }
  release.state = s->shared_from_this();  // outlives the cache while any of its buffers does
  return {where, std::move(release)};
}

ArenaCache::ArenaCache() = default;
ArenaCache::~ArenaCache() = default;

ArenaCache::Scope::Scope(ArenaCache& cache, std::vector<std::int64_t> key)
    : cache_(cache), key_(std::move(key)), previous_(t_active), uncaught_(std::uncaught_exceptions()) {
  {
    std::lock_guard lock(cache_.mutex_);
    auto it = std::find_if(cache_.idle_.begin(), cache_.idle_.end(), [&](const Idle& e) { return e.key == key_; });
    if (it != cache_.idle_.end() && !it->states.empty()) {
      state_ = std::move(it->states.back());
      it->states.pop_back();
    }
  }
  if (!state_) state_ = std::make_shared<ArenaState>();
  state_->begin();
  t_active = state_.get();
}

ArenaCache::Scope::~Scope() {
  t_active = previous_;
  state_->end(std::uncaught_exceptions() > uncaught_);
  std::lock_guard lock(cache_.mutex_);
  auto it = std::find_if(cache_.idle_.begin(), cache_.idle_.end(), [&](const Idle& e) { return e.key == key_; });
  if (it == cache_.idle_.end()) {
    if (cache_.idle_.size() >= kMaxKeys) cache_.idle_.erase(cache_.idle_.begin());
    cache_.idle_.push_back({key_, {}});
    it = std::prev(cache_.idle_.end());
  } else if (std::next(it) != cache_.idle_.end()) {
    std::rotate(it, std::next(it), cache_.idle_.end());  // most recently used last
    it = std::prev(cache_.idle_.end());
  }
  if (it->states.size() < kMaxIdlePerKey) it->states.push_back(std::move(state_));
}

}  // namespace keras::detail
