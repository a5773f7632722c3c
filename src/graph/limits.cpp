// The load limits and the thread's current ones.
#include "keras/limits.hpp"

#include <unistd.h>

namespace keras {

namespace {
const LoadLimits kDefaultLimits{};
thread_local const LoadLimits* current_limits = nullptr;
}  // namespace

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::uint64_t{1} << 63;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

std::uint64_t LoadLimits::weights_bytes_limit() const {
  return max_weights_bytes != 0 ? max_weights_bytes : physical_memory_bytes();
}

namespace detail {

const LoadLimits& current_load_limits() { return current_limits != nullptr ? *current_limits : kDefaultLimits; }

LoadLimitsScope::LoadLimitsScope(const LoadLimits& limits) : previous_(current_limits) { current_limits = &limits; }
LoadLimitsScope::~LoadLimitsScope() { current_limits = previous_; }

}  // namespace detail

}  // namespace keras
