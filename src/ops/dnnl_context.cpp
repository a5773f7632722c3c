#include "ops/dnnl_context.hpp"

#include <array>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "ops/conv.hpp"
#include "ops/threads.hpp"

namespace keras::kernels::detail {

namespace {

constexpr std::size_t kCacheCapacity = 512;

struct PrimitiveCache {
  std::mutex mutex;
  // Most recently used first; the map points into the list.
  std::list<std::pair<std::string, std::shared_ptr<const DnnlPrimitive>>> entries;
  std::unordered_map<std::string, decltype(entries)::iterator> index;
};

PrimitiveCache& primitive_cache() {
  static PrimitiveCache cache;
  return cache;
}

dnnl::stream& thread_stream() {
  // Streams are not meant to be shared between threads; one per thread.
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

// A primitive's scratch memory, grown to the largest one this thread ran, never zero-filled:
// a primitive touches what it uses (a std::vector would write every byte first).
struct Scratchpad {
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::unique_ptr<unsigned char, Free> data;
  std::size_t size = 0;

  unsigned char* reserve(std::size_t bytes) {
    if (bytes > size) {
      constexpr std::size_t kAlignment = 64;  // a cache line, what oneDNN asks of its buffers
      const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
      data.reset(static_cast<unsigned char*>(std::aligned_alloc(kAlignment, rounded)));
      if (!data) {
        size = 0;
        throw std::bad_alloc();
      }
      size = rounded;
    }
    return data.get();
  }
};

Scratchpad& thread_scratchpad() {
  thread_local Scratchpad buffer;
  return buffer;
}

}  // namespace

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::primitive_attr default_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

namespace {

void append_post_op(dnnl::post_ops& ops, PostOp op) {
  using dnnl::algorithm;
  // oneDNN 2.x: dst = scale * eltwise(dst; alpha, beta).
  auto eltwise = [&](algorithm alg, float alpha = 0.0F, float beta = 0.0F, float scale = 1.0F) {
    ops.append_eltwise(scale, alg, alpha, beta);
  };
  switch (op) {
    case PostOp::relu:
      return eltwise(algorithm::eltwise_relu);
    case PostOp::relu6:
      return eltwise(algorithm::eltwise_clip, 0.0F, 6.0F);
    case PostOp::sigmoid:
      return eltwise(algorithm::eltwise_logistic);
    case PostOp::tanh:
      return eltwise(algorithm::eltwise_tanh);
    case PostOp::silu:
      return eltwise(algorithm::eltwise_swish, 1.0F);
    case PostOp::hard_silu:
      return eltwise(algorithm::eltwise_hardswish);
    case PostOp::gelu_erf:
      return eltwise(algorithm::eltwise_gelu_erf);
    case PostOp::gelu_tanh:
      return eltwise(algorithm::eltwise_gelu_tanh);
    case PostOp::leaky_relu:
      return eltwise(algorithm::eltwise_relu, 0.2F);
    case PostOp::elu:
      return eltwise(algorithm::eltwise_elu, 1.0F);
    case PostOp::selu:
      return eltwise(algorithm::eltwise_elu, 1.6732632423543772848170429916717F, 0.0F,
                     1.0507009873554804934193349852946F);
    case PostOp::exponential:
      return eltwise(algorithm::eltwise_exp);
    case PostOp::hard_sigmoid:
      // oneDNN 2.6 has no hard sigmoid: x / 6 + 0.5 (linear), then clip to [0, 1].
      eltwise(algorithm::eltwise_linear, 1.0F / 6.0F, 0.5F);
      return eltwise(algorithm::eltwise_clip, 0.0F, 1.0F);
    case PostOp::hard_tanh:
      return eltwise(algorithm::eltwise_clip, -1.0F, 1.0F);
    case PostOp::mish:
      return eltwise(algorithm::eltwise_mish);
    case PostOp::log_sigmoid:
      return eltwise(algorithm::eltwise_logsigmoid);
  }
}

}  // namespace

dnnl::primitive_attr attr_with_post_ops(const std::vector<PostOp>& post_ops) {
  dnnl::primitive_attr attr = default_attr();
  if (post_ops.empty()) return attr;
  dnnl::post_ops ops;
  for (PostOp op : post_ops) append_post_op(ops, op);
  attr.set_post_ops(ops);
  return attr;
}

std::shared_ptr<const DnnlPrimitive> cached_primitive(const std::string& key_in,
                                                      const std::function<DnnlPrimitive()>& make) {
  // A primitive is partitioned for the OpenMP team size it was created under.
  const std::string key = key_in + "|threads=" + std::to_string(current_threads());
  PrimitiveCache& cache = primitive_cache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto found = cache.index.find(key);
    if (found != cache.index.end()) {
      cache.entries.splice(cache.entries.begin(), cache.entries, found->second);
      return found->second->second;
    }
  }
  // Create outside the lock: primitive creation can take a while. Two threads
  // racing on the same key both create one; the second insert wins harmlessly.
  std::shared_ptr<const DnnlPrimitive> created;
  try {
    created = std::make_shared<const DnnlPrimitive>(make());
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN cannot create a primitive for ") + key + ": " + e.what());
  }
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto found = cache.index.find(key);
  if (found != cache.index.end()) {
    cache.entries.erase(found->second);
    cache.index.erase(found);
  }
  cache.entries.emplace_front(key, created);
  cache.index[key] = cache.entries.begin();
  while (cache.entries.size() > kCacheCapacity) {
    cache.index.erase(cache.entries.back().first);
    cache.entries.pop_back();
  }
  return created;
}

void execute(const DnnlPrimitive& primitive, std::unordered_map<int, dnnl::memory> args) {
  const std::size_t scratch_bytes = primitive.scratchpad_desc.get_size();
  if (scratch_bytes > 0) {
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 dnnl::memory(primitive.scratchpad_desc, cpu_engine(), thread_scratchpad().reserve(scratch_bytes)));
  }
  try {
    primitive.primitive.execute(thread_stream(), args);
    thread_stream().wait();
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN execution failed: ") + e.what());
  }
}

namespace {

// A small index per live thread, given back when the thread ends, so that per-thread state kept
// in fixed arrays stays bounded however many threads come and go. -1 past the array.
constexpr int kThreadSlots = 64;

struct ThreadIndices {
  std::mutex mutex;
  std::vector<int> free;
  int next = 0;
};

ThreadIndices& thread_indices() {
  static ThreadIndices* indices = new ThreadIndices;  // outlives threads ending at exit
  return *indices;
}

struct ThreadIndex {
  int value = -1;
  ThreadIndex() {
    auto& all = thread_indices();
    const std::lock_guard<std::mutex> lock(all.mutex);
    if (!all.free.empty()) {
      value = all.free.back();
      all.free.pop_back();
    } else if (all.next < kThreadSlots) {
      value = all.next++;
    }
  }
  ~ThreadIndex() {
    if (value < 0) return;
    auto& all = thread_indices();
    const std::lock_guard<std::mutex> lock(all.mutex);
    all.free.push_back(value);
  }
  ThreadIndex(const ThreadIndex&) = delete;
  ThreadIndex& operator=(const ThreadIndex&) = delete;
};

int thread_index() {
  thread_local ThreadIndex index;
  return index.value;
}

void execute_args(const DnnlPrimitive& primitive, std::span<const dnnl_exec_arg_t> args) {
  const dnnl_status_t status = dnnl_primitive_execute(primitive.primitive.get(), thread_stream().get(),
                                                      static_cast<int>(args.size()), args.data());
  if (status != dnnl_success)
    throw ValueError("oneDNN execution failed: status " + std::to_string(static_cast<int>(status)));
  if (dnnl_stream_wait(thread_stream().get()) != dnnl_success) throw ValueError("oneDNN stream wait failed");
}

}  // namespace

struct BoundArguments::Slot {
  std::vector<dnnl::memory> memories;  // one per argument, created with the first call's data
  std::vector<const void*> bound;      // where each points now
  dnnl::memory scratchpad;
  const void* scratchpad_bound = nullptr;
  std::size_t scratchpad_bytes = 0;
};

BoundArguments::BoundArguments(std::vector<std::pair<int, dnnl::memory::desc>> args,
                               std::vector<std::pair<int, dnnl::memory>> fixed)
    : args_(std::move(args)), fixed_(std::move(fixed)), slots_(new std::atomic<Slot*>[kThreadSlots]) {
  constexpr std::size_t kMaxArgs = 16;  // execute()'s array, with the scratchpad
  if (args_.size() + fixed_.size() + 1 > kMaxArgs) throw ValueError("BoundArguments: too many arguments");
  for (int i = 0; i < kThreadSlots; ++i) slots_[static_cast<std::size_t>(i)].store(nullptr);
}

BoundArguments::~BoundArguments() {
  for (int i = 0; i < kThreadSlots; ++i) delete slots_[static_cast<std::size_t>(i)].load();
}

void BoundArguments::execute(const DnnlPrimitive& primitive, std::span<const void* const> data) const {
  if (data.size() != args_.size()) throw ValueError("BoundArguments: wrong number of arguments");
  const int index = thread_index();
  Slot* slot = index >= 0 ? slots_[static_cast<std::size_t>(index)].load(std::memory_order_acquire) : nullptr;
  std::unique_ptr<Slot> transient;  // a thread past the slots makes its own each call
  const bool fresh = slot == nullptr;
  if (fresh) {
    auto made = std::make_unique<Slot>();
    for (std::size_t i = 0; i < args_.size(); ++i) made->memories.push_back(wrap_memory(args_[i].second, data[i]));
    made->bound.assign(data.begin(), data.end());
    made->scratchpad_bytes = primitive.scratchpad_desc.get_size();
    if (made->scratchpad_bytes > 0) {
      void* scratch = thread_scratchpad().reserve(made->scratchpad_bytes);
      made->scratchpad = dnnl::memory(primitive.scratchpad_desc, cpu_engine(), scratch);
      made->scratchpad_bound = scratch;
    }
    if (index >= 0) {
      slot = made.release();
      slots_[static_cast<std::size_t>(index)].store(slot, std::memory_order_release);
    } else {
      transient = std::move(made);
      slot = transient.get();
    }
  } else {
    // A steady-state predict replays its arena: the buffers are mostly where they were.
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (slot->bound[i] == data[i]) continue;
      slot->memories[i].set_data_handle(const_cast<void*>(data[i]));
      slot->bound[i] = data[i];
    }
  }
  std::array<dnnl_exec_arg_t, 16> exec{};  // sized as the constructor checks
  std::size_t n = 0;
  for (std::size_t i = 0; i < args_.size(); ++i) exec[n++] = {args_[i].first, slot->memories[i].get()};
  for (const auto& [id, memory] : fixed_) exec[n++] = {id, memory.get()};
  if (slot->scratchpad_bytes > 0) {
    void* scratch = thread_scratchpad().reserve(slot->scratchpad_bytes);  // moves when it grows
    if (scratch != slot->scratchpad_bound) {
      slot->scratchpad.set_data_handle(scratch);
      slot->scratchpad_bound = scratch;
    }
    exec[n++] = {DNNL_ARG_SCRATCHPAD, slot->scratchpad.get()};
  }
  execute_args(primitive, std::span<const dnnl_exec_arg_t>(exec.data(), n));
}

dnnl::memory wrap_memory(const dnnl::memory::desc& desc, const void* data) {
  // oneDNN takes non-const handles; inputs are only read.
  return dnnl::memory(desc, cpu_engine(), const_cast<void*>(data));
}

void run_reorder(dnnl::memory& from, dnnl::memory& to) {
  try {
    dnnl::reorder(from, to).execute(thread_stream(), from, to);
    thread_stream().wait();
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN reorder failed: ") + e.what());
  }
}

dnnl::memory reorder_if_needed(const dnnl::memory::desc& from, const void* data, const dnnl::memory::desc& to) {
  dnnl::memory source = wrap_memory(from, data);
  if (from == to) return source;
  dnnl::memory target(to, cpu_engine());
  try {
    dnnl::reorder(source, target).execute(thread_stream(), source, target);
    thread_stream().wait();
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN reorder failed: ") + e.what());
  }
  return target;
}

}  // namespace keras::kernels::detail
