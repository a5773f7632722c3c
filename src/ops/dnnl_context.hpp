// One process-wide oneDNN CPU engine and a cache of created primitives, so that
// repeated calls with the same shapes reuse the same primitive. Internal to src/ops.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include <dnnl.hpp>

#include <vector>

namespace keras::kernels {
enum class PostOp;  // ops/conv.hpp
}  // namespace keras::kernels

namespace keras::kernels::detail {

// A ready primitive with the memory layouts its primitive descriptor chose.
struct DnnlPrimitive {
  dnnl::primitive primitive;
  dnnl::memory::desc src_desc;
  dnnl::memory::desc weights_desc;
  dnnl::memory::desc dst_desc;
  dnnl::memory::desc scratchpad_desc;
};

dnnl::engine& cpu_engine();

// Attributes every primitive is created with: user-managed scratchpad, so that
// primitives can run on any thread (each thread brings its own scratchpad).
dnnl::primitive_attr default_attr();
// default_attr() with `post_ops` applied in order to the primitive's output.
dnnl::primitive_attr attr_with_post_ops(const std::vector<PostOp>& post_ops);

// Returns the cached primitive for `key`, creating it with `make` on a miss.
// Thread-safe; the cache keeps the most recently used entries.
std::shared_ptr<const DnnlPrimitive> cached_primitive(const std::string& key,
                                                      const std::function<DnnlPrimitive()>& make);

// Builds a DnnlPrimitive from a primitive descriptor (any oneDNN *_forward / matmul pd).
template <typename PrimitiveDesc, typename Primitive>
DnnlPrimitive make_primitive(const PrimitiveDesc& pd) {
  DnnlPrimitive out;
  out.primitive = Primitive(pd);
  out.src_desc = pd.src_desc();
  out.dst_desc = pd.dst_desc();
  out.scratchpad_desc = pd.scratchpad_desc();
  return out;
}

// Runs the primitive on this thread's stream with a thread-local scratchpad and waits.
void execute(const DnnlPrimitive& primitive, std::unordered_map<int, dnnl::memory> args);

// The memory objects of one primitive's arguments, one set per calling thread, pointed at each
// call's buffers (set_data_handle). Creating a dnnl::memory costs a few heap allocations, and a
// hash map of arguments a few more: at batch 1 that was a fifth of MobileNetV2's predict when
// every call made its own. Thread-safe: a thread only touches its own set.
class BoundArguments {
 public:
  // args: each per-call argument's id (DNNL_ARG_*) and layout; fixed: memories bound once
  // (prepared weights, a bias), passed as they are on every call.
  BoundArguments(std::vector<std::pair<int, dnnl::memory::desc>> args, std::vector<std::pair<int, dnnl::memory>> fixed);
  ~BoundArguments();
  BoundArguments(const BoundArguments&) = delete;
  BoundArguments& operator=(const BoundArguments&) = delete;

  // Runs `primitive` (always the same one for one BoundArguments) on this thread's stream with
  // its scratchpad and waits: per-call argument i at data[i], and the fixed ones.
  void execute(const DnnlPrimitive& primitive, std::span<const void* const> data) const;

 private:
  struct Slot;
  std::vector<std::pair<int, dnnl::memory::desc>> args_;
  std::vector<std::pair<int, dnnl::memory>> fixed_;
  std::unique_ptr<std::atomic<Slot*>[]> slots_;
};

// Memory object over caller-owned data (no copy).
dnnl::memory wrap_memory(const dnnl::memory::desc& desc, const void* data);

// Copies `from` into `to` (any layouts of the same dims) on this thread's stream.
void run_reorder(dnnl::memory& from, dnnl::memory& to);

// Converts data laid out as `from` into a new buffer laid out as `to`
// (returns `from`'s memory unchanged when the layouts are equal).
dnnl::memory reorder_if_needed(const dnnl::memory::desc& from, const void* data, const dnnl::memory::desc& to);

}  // namespace keras::kernels::detail
