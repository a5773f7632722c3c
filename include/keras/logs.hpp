// keras::Logs: what fit / evaluate report and callbacks receive.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keras {

// Metric names and values in the order Keras reports them ("loss" first,
// then the compiled metrics, then "val_..."), like Python's dict.
class Logs {
 public:
  using Entry = std::pair<std::string, double>;
  Logs() = default;
  Logs(std::initializer_list<Entry> entries) : entries_(entries) {}
  // The value of `name`, or nullopt.
  std::optional<double> get(const std::string& name) const;
  double at(const std::string& name) const;  // ValueError when absent
  bool contains(const std::string& name) const { return get(name).has_value(); }
  // Replaces the value, or appends a new entry.
  void set(const std::string& name, double value);
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::vector<std::string> keys() const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace keras
