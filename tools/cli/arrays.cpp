#include "arrays.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "image.hpp"
#include "keras/utils.hpp"

namespace keras_cli {

GatheredArrays gather_arrays(const ArraySlots& slots_of, const std::vector<std::string>& specs,
                             const ImageLoader& load_image) {
  const auto& names = slots_of.names;
  std::vector<std::vector<keras::Tensor>> slots(names.size());
  std::vector<std::string> sources(names.size());
  std::vector<bool> from_image(names.size(), false);
  auto slot_of = [&](const std::string& name) -> std::ptrdiff_t {
    auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : it - names.begin();
  };
  auto next_free = [&](const std::string& what) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].empty()) return i;
    }
    // A single-input image model takes several images as a batch.
    if (names.size() == 1 && from_image[0]) return std::size_t{0};
    throw keras::ValueError("too many " + slots_of.kind + "s: " + what + " is one more than the model's " +
                            std::to_string(names.size()) + " " + slots_of.kind + "(s)");
  };
  auto given_twice = [&](std::size_t slot, const std::string& where) {
    throw keras::ValueError(slots_of.kind + " '" + names[slot] + "' given twice (" + sources[slot] + " and " + where +
                            ")");
  };
  auto load_file = [&](const std::string& file, std::size_t slot) {
    if (load_image && is_image_file(file)) {
      slots[slot].push_back(load_image(file, slot));
      from_image[slot] = true;
      sources[slot] = sources[slot].empty() ? file : sources[slot] + ", " + file;
      return;
    }
    if (!slots[slot].empty()) given_twice(slot, file);
    slots[slot].push_back(keras::load_npy(file));
    sources[slot] = file;
  };
  std::vector<std::string> plain;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    std::error_code ec;
    if (eq != std::string::npos && !std::filesystem::exists(spec, ec)) {
      const std::string name = spec.substr(0, eq);
      const auto slot = slot_of(name);
      if (slot < 0) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        throw keras::ValueError(slots_of.option + " " + spec + ": the model has no " + slots_of.kind + " named '" +
                                name + "' (its " + slots_of.kind + "s are: " + known + ")");
      }
      load_file(spec.substr(eq + 1), static_cast<std::size_t>(slot));
      continue;
    }
    plain.push_back(spec);
  }
  for (const auto& file : plain) {
    if (file.ends_with(".npz")) {
      auto arrays = keras::utils::load_npz(file);
      std::vector<std::pair<std::string, keras::Tensor>> unnamed;
      for (auto& [name, tensor] : arrays) {
        const auto slot = slot_of(name);
        if (slot < 0) {
          unnamed.emplace_back(name, tensor);
          continue;
        }
        const auto s = static_cast<std::size_t>(slot);
        if (!slots[s].empty()) given_twice(s, file + "/" + name + ".npy");
        slots[s].push_back(tensor);
        sources[s] = file + "/" + name + ".npy";
      }
      for (auto& [name, tensor] : unnamed) {
        const std::string where = file + "/" + name + ".npy";
        const std::size_t s = next_free(where);
        slots[s].push_back(tensor);
        sources[s] = where;
      }
      continue;
    }
    load_file(file, next_free(file));
  }
  GatheredArrays out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (slots[i].empty())
      throw keras::ValueError("missing " + slots_of.option + " for model " + slots_of.kind + " '" + names[i] + "'");
    out.sources.push_back(sources[i]);
    if (slots[i].size() == 1) {
      out.tensors.push_back(slots[i].front());
      continue;
    }
    // Images of one input stacked into a batch.
    keras::Shape shape = slots[i].front().shape();
    shape[0] = static_cast<std::int64_t>(slots[i].size());
    keras::Tensor batch(shape, keras::DType::float32);
    std::size_t offset = 0;
    for (const auto& t : slots[i]) {
      std::memcpy(static_cast<std::byte*>(batch.raw_data()) + offset, t.raw_data(), t.nbytes());
      offset += t.nbytes();
    }
    out.tensors.push_back(batch);
  }
  return out;
}

}  // namespace keras_cli
