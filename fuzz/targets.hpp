// What each fuzz target does with one input, shared by the libFuzzer executables (fuzz_*.cpp)
// and by the replay of fuzz/regressions/ in `make test` (tests/test_fuzz_regressions.cpp), so
// that a reproducer is replayed exactly as the fuzzer ran it.
//
// Each run_* function catches keras::Error (the expected answer to bad input) and returns an
// empty string, or a description of a broken property (a round trip that changed a value, a
// file keras-cpp wrote that it cannot read back). Any other exception escapes: the fuzzer
// reports it as a crash, the replay as a failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras/keras.hpp"
#include "saving/h5_file.hpp"
#include "saving/optimizer_state.hpp"
#include "saving/weights_walk.hpp"
#include "saving/zip_archive.hpp"

#ifndef KERAS_SOURCE_DIR
#error "KERAS_SOURCE_DIR must name the source tree (the fixtures of fuzz_weights_h5 live in tests/data)"
#endif

namespace keras_fuzz {

using Bytes = std::span<const std::uint8_t>;

inline std::span<const std::byte> as_bytes(Bytes input) { return std::as_bytes(input); }

// fuzz_json: text through keras::parse_json, then keras::model_from_json. JSON that parses must
// survive dump_json_like_python -> parse_json with the same value (unless it holds a NaN, which
// never compares equal).
inline std::string run_json(Bytes input) {
  const std::string text(reinterpret_cast<const char*>(input.data()), input.size());
  try {
    const keras::Json parsed = keras::parse_json(text, "<fuzz>");
    const std::string dumped = keras::dump_json_like_python(parsed);
    const keras::Json again = keras::parse_json(dumped, "<fuzz round trip>");
    if (dumped.find("NaN") == std::string::npos && again != parsed)
      return "dump_json_like_python wrote a different value: " + dumped;
  } catch (const keras::Error&) {
    return {};  // not JSON: model_from_json would only repeat the parse error
  }
  try {
    keras::Model model = keras::model_from_json(text);
    static_cast<void>(keras::to_json(model));
  } catch (const keras::Error&) {
  }
  return {};
}

// fuzz_npy: bytes as a .npy file. An array that parses must survive serialize_npy -> parse_npy.
inline std::string run_npy(Bytes input) {
  keras::Tensor parsed;
  try {
    parsed = keras::parse_npy(as_bytes(input), "<fuzz>");
  } catch (const keras::Error&) {
    return {};
  }
  const auto bytes = keras::serialize_npy(parsed);
  const keras::Tensor again = keras::parse_npy(bytes, "<fuzz round trip>");
  if (again.dtype() != parsed.dtype() || again.shape() != parsed.shape() || again.nbytes() != parsed.nbytes() ||
      (parsed.nbytes() > 0 && std::memcmp(again.raw_data(), parsed.raw_data(), parsed.nbytes()) != 0))
    return "serialize_npy wrote something parse_npy reads differently";
  return {};
}

// A model keras-cpp built must describe itself, and what it writes must build again into the
// same description (files keras-cpp writes must load).
inline std::string check_config_round_trip(const keras::Model& model) {
  const std::string first = keras::to_json(model);
  try {
    const keras::Model again = keras::model_from_json(first);
    if (keras::to_json(again) != first) return "to_json changed after model_from_json(to_json(model)): " + first;
  } catch (const keras::Error& e) {
    return std::string("model_from_json refuses what to_json wrote: ") + e.what() + "\n" + first;
  }
  return {};
}

// fuzz_config: config.json-shaped JSON (mutated by tree, fuzz/json_mutator.hpp) through the model
// builder: keras::model_from_json deserializes every layer, rebuilds the functional graph (shape
// inference through every layer) and compiles from compile_config.
inline std::string run_config(Bytes input) {
  const std::string text(reinterpret_cast<const char*>(input.data()), input.size());
  keras::Model model;
  try {
    model = keras::model_from_json(text);
  } catch (const keras::Error&) {
    return {};
  }
  return check_config_round_trip(model);
}

// fuzz_load_model: bytes as a .keras archive held in memory.
inline std::string run_load_model(Bytes input) {
  try {
    keras::Model model = keras::load_model(as_bytes(input));
    static_cast<void>(keras::to_json(model));
  } catch (const keras::Error&) {
  }
  return {};
}

// fuzz_archive: whole archives whose members were mutated with the zip structure and CRCs kept
// valid (fuzz/zip_members.hpp). A model that loads must save, and what it saved must load again
// with the same config.
inline std::string run_archive(Bytes input) {
  keras::Model model;
  try {
    model = keras::load_model(as_bytes(input));
  } catch (const keras::Error&) {
    return {};
  }
  std::vector<std::byte> saved;
  try {
    saved = keras::save_model(model);
  } catch (const keras::Error& e) {
    return std::string("save_model fails on a model load_model accepted: ") + e.what();
  }
  try {
    const keras::Model again = keras::load_model(saved);
    if (keras::to_json(again) != keras::to_json(model)) return "the saved model reloads with another config";
  } catch (const keras::Error& e) {
    return std::string("load_model refuses what save_model wrote: ") + e.what();
  }
  return {};
}

// fuzz_weights_h5: the models whose weights the inputs hold, listed in fuzz/weights_models.txt
// (one .keras fixture of tests/data per line). An input is one byte choosing the model (modulo
// their number) followed by an HDF5 file image, the model's model.weights.h5 once mutated.
struct WeightsModel {
  std::string fixture;
  keras::Model model;
};

inline std::vector<std::string> weights_model_fixtures() {
  std::ifstream in(std::filesystem::path(KERAS_SOURCE_DIR) / "fuzz" / "weights_models.txt");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

inline std::vector<WeightsModel>& weights_models() {
  static std::vector<WeightsModel> models = [] {
    std::vector<WeightsModel> out;
    for (const auto& fixture : weights_model_fixtures())
      out.push_back({fixture, keras::load_model(std::filesystem::path(KERAS_SOURCE_DIR) / "tests" / "data" / fixture)});
    if (out.empty()) throw keras::FormatError("fuzz/weights_models.txt names no model");
    return out;
  }();
  return models;
}

inline std::string run_weights_h5(Bytes input) {
  if (input.empty()) return {};
  auto& models = weights_models();
  const WeightsModel& target = models[input[0] % models.size()];
  try {
    auto file = keras::saving::H5File::open_image(as_bytes(input.subspan(1)), "<fuzz>/model.weights.h5");
    keras::saving::prepare_optimizer_for_file(target.model.impl(), file.root());
    keras::saving::load_weights_from(target.model.impl(), file.root(), "<fuzz>/model.weights.h5");
  } catch (const keras::Error&) {
  }
  return {};
}

}  // namespace keras_fuzz
