// Which variable, at which version, a prepared (prepacked) kernel was made from: a preparation
// is current while both still match. The variable is held weakly and compared by owner, so a
// freed variable whose address a new one reuses never matches.
#pragma once

#include <cstdint>
#include <memory>

#include "keras/variable.hpp"

namespace keras::detail {

class VariableStamp {
 public:
  VariableStamp() = default;
  explicit VariableStamp(const VariablePtr& variable)
      : variable_(variable), version_(variable ? variable->version() : 0) {}
  // Whether `variable` (null for none) is the one stamped, unchanged since.
  bool current(const VariablePtr& variable) const {
    const bool same = !variable_.owner_before(variable) && !variable.owner_before(variable_);
    return same && (variable ? variable->version() : 0) == version_;
  }

 private:
  std::weak_ptr<Variable> variable_;
  std::uint64_t version_ = 0;
};

}  // namespace keras::detail
