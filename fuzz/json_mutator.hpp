// Structure-aware mutations of config.json-shaped JSON for libFuzzer's custom mutators
// (fuzz_config, and fuzz_archive's JSON members). Byte flips rarely keep a config parseable, so
// these work on the parsed tree and write valid JSON again: numbers become extremes, strings
// become other class names (or names used elsewhere in the document, which is how functional
// configs refer to layers), arrays are resized, keys dropped, copied or renamed, subtrees copied
// over each other or replaced by another type. Text that does not parse goes to libFuzzer's byte
// mutator.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "keras/json.hpp"
#include "keras/registry.hpp"
#include "keras/saving.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace keras_fuzz {

using Json = keras::Json;
using Rng = std::minstd_rand;

inline std::size_t pick(Rng& rng, std::size_t n) {
  return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

// Every class name the registry knows, plus names keras-cpp refuses: a string mutated into one
// of them turns a layer into another class with the wrong config.
inline const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = [] {
    keras::saving::register_builtins();
    std::vector<std::string> out;
    for (const auto& c : keras::saving::registered_classes()) out.push_back(c.class_name);
    for (const auto& c : keras::saving::refused_classes()) out.push_back(c.class_name);
    return out;
  }();
  return names;
}

// Strings with a meaning somewhere in a config.
inline const std::vector<std::string>& keyword_strings() {
  static const std::vector<std::string> words = {
      "",
      "float32",
      "float16",
      "bfloat16",
      "float64",
      "int32",
      "int64",
      "int8",
      "uint8",
      "bool",
      "string",
      "mixed_float16",
      "mixed_bfloat16",
      "relu",
      "softmax",
      "linear",
      "gelu",
      "tanh",
      "sigmoid",
      "same",
      "valid",
      "causal",
      "full",
      "channels_first",
      "channels_last",
      "keras.layers",
      "keras.src.ops.numpy",
      "keras.models",
      "keras",
      "keras.optimizers",
      "keras.losses",
      "keras.metrics",
      "builtins",
      "Functional",
      "Sequential",
      "Model",
      "__tensor__",
      "__keras_tensor__",
      "__numpy__",
      "__lambda__",
      "keras_tensor",
      "function",
      "DTypePolicy",
      "QuantizedDTypePolicy",
      "int8_from_float32",
      "None",
      "NaN",
      "-1",
      "0",
      "../x",
      "a/b",
      "\xff\xfe",
      std::string(300, 'x'),
      "concat",
      "sum",
      "ave",
      "mul",
      "glorot_uniform",
      "zeros",
      "ones",
  };
  return words;
}

inline Json extreme_number(Rng& rng, const Json& current) {
  static const std::int64_t ints[] = {0,
                                      1,
                                      -1,
                                      2,
                                      3,
                                      -2,
                                      7,
                                      255,
                                      256,
                                      65535,
                                      65536,
                                      (std::int64_t{1} << 16) + 1,
                                      (std::int64_t{1} << 24) + 1,
                                      (std::int64_t{1} << 31) - 1,
                                      std::int64_t{1} << 31,
                                      -(std::int64_t{1} << 31),
                                      std::int64_t{1} << 32,
                                      (std::int64_t{1} << 53) + 1,
                                      std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::min()};
  static const double doubles[] = {0.0,          -0.0,   0.5,     -0.5,  1e-300,
                                   1e300,        -1e300, 1.5e308, 1e-45, std::numeric_limits<double>::denorm_min(),
                                   2147483648.5, 9.3e18};
  switch (pick(rng, 6)) {
    case 0:
      return ints[pick(rng, std::size(ints))];
    case 1:
      return doubles[pick(rng, std::size(doubles))];
    case 2:
      return std::numeric_limits<std::uint64_t>::max() - pick(rng, 3);
    case 3:  // near the current value
      if (current.is_number_integer())  // wraps at the int64 limits (in unsigned arithmetic, so defined)
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(current.get<std::int64_t>()) + pick(rng, 5) - 2);
      return current.is_number() ? Json(current.get<double>() * 2) : Json(0);
    case 4:
      return current.is_number() ? Json(-current.get<double>()) : Json(-1);
    default:
      return static_cast<std::int64_t>(pick(rng, 10));
  }
}

inline Json other_type(Rng& rng) {
  switch (pick(rng, 8)) {
    case 0:
      return nullptr;
    case 1:
      return true;
    case 2:
      return false;
    case 3:
      return 0;
    case 4:
      return "";
    case 5:
      return Json::array();
    case 6:
      return Json::object();
    default:
      return Json::array({nullptr});
  }
}

// The nodes of a document, in pre-order, with the strings it holds (keys and values).
struct Walk {
  std::vector<Json*> nodes;
  std::vector<std::string> strings;
  void visit(Json& node, int depth) {
    nodes.push_back(&node);
    if (depth > 200) return;
    if (node.is_string()) strings.push_back(node.get<std::string>());
    if (node.is_object()) {
      for (auto& [key, value] : node.items()) {
        strings.push_back(key);
        visit(value, depth + 1);
      }
    } else if (node.is_array()) {
      for (auto& value : node) visit(value, depth + 1);
    }
  }
};

// One structural mutation of `doc` in place.
inline void mutate_once(Json& doc, Rng& rng) {
  Walk walk;
  walk.visit(doc, 0);
  Json& node = *walk.nodes[pick(rng, walk.nodes.size())];
  const Json& donor = *walk.nodes[pick(rng, walk.nodes.size())];
  const std::size_t choice = pick(rng, 16);
  if (choice < 4 && node.is_number()) {
    node = extreme_number(rng, node);
  } else if (choice < 4 && node.is_string()) {
    switch (pick(rng, 3)) {
      case 0:
        node = class_names()[pick(rng, class_names().size())];
        break;
      case 1:
        node = keyword_strings()[pick(rng, keyword_strings().size())];
        break;
      default:
        node = walk.strings.empty() ? "" : walk.strings[pick(rng, walk.strings.size())];
        break;
    }
  } else if (choice < 8 && node.is_array()) {
    switch (pick(rng, 5)) {
      case 0:
        if (!node.empty()) node.erase(pick(rng, node.size()));
        break;
      case 1:
        if (!node.empty())
          node.insert(node.begin() + static_cast<std::ptrdiff_t>(pick(rng, node.size())), node[pick(rng, node.size())]);
        break;
      case 2:
        node = Json::array();
        break;
      case 3:
        node.push_back(donor);
        break;
      default:
        node = Json::array({node});
        break;
    }
  } else if (choice < 12 && node.is_object()) {
    switch (pick(rng, 4)) {
      case 0:
        if (!node.empty()) {
          auto it = node.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(rng, node.size())));
          node.erase(it);
        }
        break;
      case 1:
        // A key of another object with that object's value: configs share most key names.
        if (donor.is_object() && !donor.empty()) {
          auto it = donor.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(rng, donor.size())));
          const std::string key = it.key();
          Json value = it.value();
          node[key] = std::move(value);
        }
        break;
      case 2:
        if (!node.empty() && !walk.strings.empty()) {
          auto it = node.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(rng, node.size())));
          Json value = it.value();
          node.erase(it);
          node[walk.strings[pick(rng, walk.strings.size())]] = std::move(value);
        }
        break;
      default:
        node = Json::object();
        break;
    }
  } else if (choice < 14) {
    Json copy = donor;  // may be an ancestor of node: copy first
    node = std::move(copy);
  } else {
    node = other_type(rng);
  }
}

// Returns false when `text` is not JSON this mutator can work on.
inline bool mutate_json_text(std::string& text, Rng& rng) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return false;
  const std::size_t rounds = 1 + pick(rng, 3);
  for (std::size_t i = 0; i < rounds; ++i) mutate_once(doc, rng);
  // Python-style floats (1.0, NaN) as keras-cpp and Keras write them.
  try {
    text = keras::dump_json_like_python(doc);
  } catch (const std::exception&) {
    text = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return true;
}

// A libFuzzer custom mutator body for JSON inputs.
inline std::size_t mutate_json_input(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed) {
  Rng rng(seed);
  std::string text(reinterpret_cast<const char*>(data), size);
  // Now and then bytes as well: structure alone never makes a number "1e" or a key "clas_name".
  if (pick(rng, 8) != 0 && mutate_json_text(text, rng) && text.size() <= max_size) {
    std::memcpy(data, text.data(), text.size());
    return text.size();
  }
  return LLVMFuzzerMutate(data, size, max_size);
}

// A libFuzzer custom crossover for JSON: a subtree of the second document replaces one of the first.
inline std::size_t cross_over_json(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                   std::size_t size2, std::uint8_t* out, std::size_t max_out, unsigned seed) {
  Rng rng(seed);
  Json a = Json::parse(std::string_view(reinterpret_cast<const char*>(data1), size1), nullptr, false);
  Json b = Json::parse(std::string_view(reinterpret_cast<const char*>(data2), size2), nullptr, false);
  if (a.is_discarded() || b.is_discarded()) return 0;
  Walk wa, wb;
  wa.visit(a, 0);
  wb.visit(b, 0);
  Json copy = *wb.nodes[pick(rng, wb.nodes.size())];
  *wa.nodes[pick(rng, wa.nodes.size())] = std::move(copy);
  std::string text;
  try {
    text = keras::dump_json_like_python(a);
  } catch (const std::exception&) {
    return 0;
  }
  if (text.size() > max_out) return 0;
  std::memcpy(out, text.data(), text.size());
  return text.size();
}

}  // namespace keras_fuzz
