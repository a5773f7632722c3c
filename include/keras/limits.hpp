// Limits on what a file may make keras-cpp read, allocate or build. Every
// loader checks them before it allocates, and refuses a file that exceeds one
// with an error naming the limit, so a caller that trusts its files can raise
// it. The defaults are stricter than Keras' own guards (docs/limits.md lists
// each with its reason).
#pragma once

#include <cstdint>

namespace keras {

struct LoadLimits {
  // config.json (also a model directory's, a legacy .h5's model_config and a
  // config file given to load_model_config).
  std::uint64_t max_config_bytes = std::uint64_t{64} << 20;
  // metadata.json.
  std::uint64_t max_metadata_bytes = std::uint64_t{1} << 20;
  // Nesting of JSON arrays and objects (Python stops near 1000).
  int max_json_depth = 256;
  // A zip member larger than inflate_ratio_floor may inflate to at most this
  // many times its stored size (Keras: 100 above 4 GiB).
  std::uint64_t max_inflate_ratio = 100;
  std::uint64_t inflate_ratio_floor = std::uint64_t{16} << 20;
  // The bytes of all of a model's variables, and of its weights file (plus
  // 64 MiB of HDF5 structure). 0: this machine's physical memory.
  std::uint64_t max_weights_bytes = 0;
  // An HDF5 dataset larger than storage_ratio_floor may declare at most this
  // many times the bytes it has in the file (Keras: 1000 above 4 GiB).
  std::uint64_t max_storage_ratio = 1000;
  std::uint64_t storage_ratio_floor = std::uint64_t{16} << 20;
  // Config sizes: units, filters, heads, key_dim, vocabulary sizes, output
  // sizes, repeats (each must also be positive).
  std::int64_t max_units = std::int64_t{1} << 24;
  // Kernel sizes, strides, dilation rates, pool sizes (each must be positive).
  std::int64_t max_window = std::int64_t{1} << 16;
  // Any known dimension of a shape in a config (Input batch_shape, build_config).
  std::int64_t max_dimension = (std::int64_t{1} << 31) - 1;

  // max_weights_bytes with 0 resolved to the physical memory.
  std::uint64_t weights_bytes_limit() const;
};

// This machine's physical memory in bytes (sysconf), or 2^63 when unknown.
std::uint64_t physical_memory_bytes();

namespace detail {

// The limits of the load running on this thread (the defaults outside one).
const LoadLimits& current_load_limits();

// Makes `limits` the current ones on this thread while it lives.
class LoadLimitsScope {
 public:
  explicit LoadLimitsScope(const LoadLimits& limits);
  ~LoadLimitsScope();
  LoadLimitsScope(const LoadLimitsScope&) = delete;
  LoadLimitsScope& operator=(const LoadLimitsScope&) = delete;

 private:
  const LoadLimits* previous_;
};

}  // namespace detail

}  // namespace keras
