// keras.utils: drawing a model (plot_model, model_to_dot), NumPy .npz
// archives, and looking into model files without running them (what the
// keras-cpp command line's info and check print).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/json.hpp"
#include "keras/models.hpp"
#include "keras/tensor.hpp"

namespace keras::utils {

// keras.utils.plot_model's arguments, with Keras' defaults.
struct PlotModelOptions {
  bool show_shapes = false;  // input and output shapes of every layer
  bool show_dtype = false;   // output dtypes
  bool show_layer_names = false;
  std::string rankdir = "TB";  // "TB" top to bottom, "LR" left to right (also "BT", "RL")
  bool expand_nested = false;  // nested Functional / Sequential models drawn as clusters
  int dpi = 200;
  bool show_layer_activations = false;
  bool show_trainable = false;
  std::string splines = "ortho";  // "ortho", "curved", "polyline", "spline", "line"
};

// keras.utils.model_to_dot: the model's graph in Graphviz's DOT language,
// one HTML-labelled node per layer, edges along the graph's connections.
// ValueError for an unbuilt model or a bad rankdir / splines value.
std::string model_to_dot(const Model& model, const PlotModelOptions& options = {});

// keras.utils.plot_model: draws the graph into `to_file`, whose extension
// picks the format (.png when there is none; .svg, .pdf, .dot, ... any
// Graphviz output format). Laid out by Graphviz's `dot` program (Debian
// package graphviz; $KERAS_DOT overrides where it is): NotImplementedError
// naming the package when it is missing, ValueError for a format it does not
// know. The file is replaced atomically: a failed plot leaves no file behind.
void plot_model(const Model& model, const std::filesystem::path& to_file = "model.png",
                const PlotModelOptions& options = {});

// NumPy .npz archives (numpy.savez): one .npy member per array, named
// "<name>.npy". Arrays keep the archive's order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// FileNotFoundError / FormatError naming the file and the member at fault.
NamedTensors load_npz(const std::filesystem::path& path);
// Written atomically; replaces an existing file.
void save_npz(const std::filesystem::path& path, const NamedTensors& arrays);

// What a model file holds, read without building the model.
struct ArchiveMember {
  std::string name;
  std::uint64_t size = 0;             // bytes
  std::uint64_t compressed_size = 0;  // bytes stored (== size for STORED members and directory files)
};
struct ModelFileInfo {
  // "keras" (a .keras zip), "directory" (an unzipped model), "h5" (legacy
  // HDF5), "config" (a config JSON without weights).
  std::string format;
  std::uint64_t file_size = 0;  // the file, or the directory's files together
  std::vector<ArchiveMember> members;
  Json metadata = Json::object();  // metadata.json (keras_version, date_saved), legacy root attributes
  Json config = nullptr;           // config.json as written (null when absent or unreadable)
};
// FileNotFoundError, FormatError, UnsafeContentError as the loaders raise them.
ModelFileInfo inspect_model_file(const std::filesystem::path& path);

// Validates a model file against every guard of the loaders and the format
// spec without running it: the archive, its member names and sizes,
// metadata.json, config.json (every class known, every config valid) and the
// weights (every variable present with the declared shape, no links out of
// the file). `weights` (optional) are loaded on top, as keras-cpp predict
// --weights does. Empty when the file is fine; else one entry per problem,
// its first line naming the file and the part at fault (details, such as
// the list of objects that failed, follow on indented lines).
std::vector<std::string> check_model_file(const std::filesystem::path& path,
                                          const std::optional<std::filesystem::path>& weights = std::nullopt);

}  // namespace keras::utils
