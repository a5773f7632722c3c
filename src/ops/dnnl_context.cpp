#include "ops/dnnl_context.hpp"

#include <list>
#include <mutex>
#include <utility>
#include <vector>

#include "keras/error.hpp"
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

std::vector<unsigned char>& thread_scratchpad() {
  thread_local std::vector<unsigned char> buffer;
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
    auto& buffer = thread_scratchpad();
    if (buffer.size() < scratch_bytes) buffer.resize(scratch_bytes);
    args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(primitive.scratchpad_desc, cpu_engine(), buffer.data()));
  }
  try {
    primitive.primitive.execute(thread_stream(), args);
    thread_stream().wait();
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN execution failed: ") + e.what());
  }
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
