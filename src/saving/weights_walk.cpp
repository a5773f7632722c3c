#include "saving/weights_walk.hpp"

#include <map>
#include <set>
#include <sstream>

#include "saving/dialects.hpp"
#include "saving/optimizer_state.hpp"

namespace keras::saving {

namespace {

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

void walk(Layer* obj, const std::string& path, std::set<const Layer*>& visited, std::vector<WalkEntry>& out,
          bool attribute = false);

void walk_container(const std::vector<std::shared_ptr<Layer>>& items, const std::string& path,
                    std::set<const Layer*>& visited, std::vector<WalkEntry>& out) {
  std::map<std::string, int> used;
  for (const auto& item : items) {
    std::string base = to_snake_case(item->python_class_name());
    auto [it, fresh] = used.emplace(base, 0);
    std::string name = fresh ? base : base + "_" + std::to_string(++it->second);
    walk(item.get(), join(path, name), visited, out);  // the counter advances even for visited objects
  }
}

void walk(Layer* obj, const std::string& path, std::set<const Layer*>& visited, std::vector<WalkEntry>& out,
          bool attribute) {
  if (visited.count(obj) != 0) return;
  out.push_back({path, obj, attribute});
  visited.insert(obj);
  auto layers = obj->layer_list();
  if (!layers.empty() || dynamic_cast<const ModelImpl*>(obj) != nullptr)
    walk_container(layers, join(path, obj->layer_list_attribute()), visited, out);
  for (const auto& child : obj->walk_children())
    walk(child.layer.get(), join(path, child.attribute), visited, out, true);
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

std::vector<WalkEntry> walk_model(const ModelImpl& model) {
  std::vector<WalkEntry> out;
  std::set<const Layer*> visited;
  walk(const_cast<ModelImpl*>(&model), "", visited, out);
  return out;
}

H5Group create_vars_group(const H5Group& root, const std::string& path) {
  auto parts = split_path(path);
  parts.emplace_back("vars");
  H5Group current = root.has_group(parts.front()) ? root.group(parts.front()) : root.create_group(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    current = current.has_group(parts[i]) ? current.group(parts[i]) : current.create_group(parts[i]);
  }
  return current;
}

H5Group open_vars_group(const H5Group& root, const std::string& path) {
  auto parts = split_path(path);
  parts.emplace_back("vars");
  H5Group current = root.group(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) current = current.group(parts[i]);
  return current;
}

void save_weights_to(const ModelImpl& model, const H5Group& root) {
  for (const auto& entry : walk_model(model)) {
    H5Group vars = create_vars_group(root, entry.path);
    vars.set_string_attr("name", entry.layer->name());
    auto variables = entry.layer->variables_to_save();
    for (std::size_t i = 0; i < variables.size(); ++i) vars.write_dataset(std::to_string(i), variables[i]->snapshot());
  }
  save_optimizer_variables(model, root);  // after the model's objects, at "optimizer"
}

std::uint64_t weights_file_size_bound(const ModelImpl& model) {
  // Measured: under 2 KiB of HDF5 structure per dataset or group, and a few KiB per file.
  constexpr std::uint64_t kPerObject = std::uint64_t{16} << 10;
  constexpr std::uint64_t kPerFile = std::uint64_t{64} << 20;
  std::uint64_t bound = kPerFile;
  const auto add = [&](const std::vector<VariablePtr>& variables) {
    bound += kPerObject;
    for (const auto& variable : variables)
      bound += static_cast<std::uint64_t>(shape_size(variable->shape())) * dtype_size(variable->dtype()) + kPerObject;
  };
  // own_variables(), not variables_to_save(): the same sizes without merging LoRA matrices (and
  // re-quantizing) a second time just to count bytes.
  for (const auto& entry : walk_model(model)) add(entry.layer->own_variables());
  for (const auto& [path, optimizer] : walk_optimizers(model)) add(optimizer->variables());
  return bound;
}

bool has_vars_group(const H5Group& root, const std::string& path) {
  auto parts = split_path(path);
  parts.emplace_back("vars");
  if (!root.has_group(parts.front())) return false;
  H5Group current = root.group(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!current.has_group(parts[i])) return false;
    current = current.group(parts[i]);
  }
  return true;
}

namespace {

std::string describe(const Layer& layer) { return "<" + layer.class_name() + " name=" + layer.name() + ">"; }

// The group among `groups` that holds dataset `key`, or nullptr.
const H5Group* group_with(const std::vector<H5Group>& groups, const std::string& key) {
  for (const auto& g : groups) {
    if (g.has_dataset(key)) return &g;
  }
  return nullptr;
}

}  // namespace

void assign_from_vars(const std::vector<VariablePtr>& variables, const std::vector<H5Group>& groups,
                      const std::string& group_path, const std::string& what) {
  // Check every declaration before reading (and allocating) anything.
  std::vector<const H5Group*> sources;
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const std::string key = std::to_string(i);
    const H5Group* g = group_with(groups, key);
    if (g == nullptr)
      throw FormatError("Missing dataset '" + group_path + "/" + key + "' for " + what + " '" + variables[i]->path() +
                        "'");
    auto info = g->dataset_info(key);
    if (info.shape != variables[i]->shape())
      throw ShapeMismatchError(
          "The shape of the target variable and the shape of the target value in "
          "`variable.assign(value)` must match. variable.shape=" +
          shape_to_string(variables[i]->shape()) + ", Received: value.shape=" + shape_to_string(info.shape) +
          ". Target variable: " + variables[i]->path() + " (dataset '" + group_path + "/" + key + "')");
    sources.push_back(g);
  }
  for (std::size_t i = 0; i < variables.size(); ++i) variables[i]->assign(sources[i]->read_dataset(std::to_string(i)));
}

void load_weights_from(const ModelImpl& model, const H5Group& root, const std::string& origin) {
  // vars_group_lookup also finds Keras 2.12-2.14 layouts (dialects.hpp).
  load_weights_with(model, vars_group_lookup(model, root), origin, false);
}

LoadWeightsReport load_weights_with(const ModelImpl& model, const VarsGroupLookup& lookup, const std::string& origin,
                                    bool skip_mismatch) {
  struct Failure {
    std::string object;
    std::string message;
    bool shape_mismatch;
  };
  std::vector<Failure> failures;
  for (const auto& entry : walk_model(model)) {
    auto variables = entry.layer->own_variables();
    const std::string group_path = entry.path.empty() ? "vars" : entry.path + "/vars";
    try {
      auto groups = lookup(entry.path);
      if (groups.empty()) {
        if (!variables.empty())
          throw FormatError("Layer '" + entry.layer->name() + "' expected " + std::to_string(variables.size()) +
                            " variables, but received 0 variables during loading (no group '" + group_path + "')");
        continue;
      }
      std::size_t stored = 0;
      for (const auto& g : groups) stored += g.children().size();
      if (stored != variables.size()) {
        std::string expected;
        for (const auto& v : variables) expected += (expected.empty() ? "'" : ", '") + v->name() + "'";
        throw FormatError("Layer '" + entry.layer->name() + "' expected " + std::to_string(variables.size()) +
                          " variables, but received " + std::to_string(stored) + " variables during loading (group '" +
                          group_path + "'). Expected: [" + expected + "]");
      }
      assign_from_vars(variables, groups, group_path, "variable");
      entry.layer->own_variables_loaded();  // Keras' load_own_variables tail (LoRA: a, b reset)
      // Sublayers held as attributes and absent from the config (AugMix's
      // augmentations, MultiHeadAttention's softmax) were named by Keras'
      // process-wide counters; keeping the name the file records makes a
      // re-save write the same file.
      if (entry.attribute)
        if (auto stored = groups.front().string_attr("name"); stored && !stored->empty())
          entry.layer->set_name(*stored);
    } catch (const UnsafeContentError&) {
      throw;  // never soften a security refusal into an aggregated message
    } catch (const Error& e) {
      failures.push_back({describe(*entry.layer), e.what(), dynamic_cast<const ShapeMismatchError*>(&e) != nullptr});
    }
  }
  for (auto& f : load_optimizer_variables(model, lookup)) failures.push_back({f.object, f.message, f.shape_mismatch});
  LoadWeightsReport report;
  if (failures.empty()) return report;
  std::string list;
  for (const auto& f : failures) list += (list.empty() ? "" : ", ") + f.object;
  std::string message = origin + ": A total of " + std::to_string(failures.size()) +
                        " objects could not be loaded. Example error message for object " + failures.front().object +
                        ":\n\n" + failures.front().message + "\n\nList of objects that could not be loaded:\n[" + list +
                        "]";
  if (skip_mismatch) {
    report.warnings.push_back(message);
    return report;
  }
  if (failures.front().shape_mismatch) throw ShapeMismatchError(message);
  throw FormatError(message);
}

}  // namespace keras::saving
