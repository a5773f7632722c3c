// save_model / load_model for the native .keras format (spec §1-§5).
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "keras/saving.hpp"
#include "saving/atomic_write.hpp"
#include "saving/bytes.hpp"
#include "saving/dialects.hpp"
#include "saving/h5_file.hpp"
#include "saving/legacy_h5.hpp"
#include "saving/mapped_file.hpp"
#include "saving/optimizer_state.hpp"
#include "saving/weights_walk.hpp"
#include "saving/zip_archive.hpp"
#include "training/compile.hpp"

namespace keras {

namespace {

using saving::to_bytes;
using saving::to_text;

using saving::kKerasVersion;
// The HDF5 structure (groups, attributes, B-trees) of a weights file beyond its variables' bytes.
constexpr std::uint64_t kWeightsFileSlack = std::uint64_t{64} << 20;

std::string metadata_json() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d@%H:%M:%S", &local);
  return dump_json_like_python(Json{{"keras_version", kKerasVersion}, {"date_saved", date}});
}

std::string config_json(const Model& model) { return dump_json_like_python(saving::serialize_operation(model.impl())); }

std::vector<std::byte> weights_h5(const Model& model) {
  auto file = saving::H5File::create_in_memory("model.weights.h5");
  saving::save_weights_to(model.impl(), file.root());
  return file.image();
}

// A .keras file written once, in place: libzip writes the small members, and when the weights
// member's turn comes, HDF5 writes model.weights.h5 with pwrite() right where its bytes belong in
// the target's unnamed temporary file, which replaces the target once complete. The weights are
// neither held in memory a second time nor copied between files (libzip reads them back for
// their CRC-32), and nothing has a name a killed process could leave behind.
void save_archive_to_file(const Model& model, const std::filesystem::path& filepath) {
  const std::string metadata = metadata_json();
  const std::string config = config_json(model);
  const std::string shown = filepath.string() + " (model.weights.h5)";
  saving::stream_file_atomically(filepath, [&](int fd, const std::filesystem::path&) {
    saving::ZipWriter zip(fd);
    zip.add("metadata.json", to_bytes(metadata));
    zip.add("config.json", to_bytes(config));
    zip.add_in_place("model.weights.h5", saving::weights_file_size_bound(model.impl()), std::time(nullptr),
                     [&](int out, std::uint64_t offset) {
                       auto file = saving::H5File::create_on_descriptor(out, shown, offset);
                       saving::save_weights_to(model.impl(), file.root());
                       return file.close_on_descriptor();
                     });
    zip.finish(filepath.string());
  });
}

}  // namespace

// The terminal prompt Keras shows (io_utils.ask_to_proceed_with_overwrite).
bool saving::ask_to_proceed_with_overwrite(const std::filesystem::path& path) {
  if (isatty(STDIN_FILENO) == 0 || isatty(STDERR_FILENO) == 0) return false;
  std::cerr << "[WARNING] " << path.string() << " already exists - overwrite? [y/n]" << std::flush;
  std::string answer;
  while (std::getline(std::cin, answer)) {
    for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto first = answer.find_first_not_of(" \t\r");
    auto last = answer.find_last_not_of(" \t\r");
    answer = first == std::string::npos ? "" : answer.substr(first, last - first + 1);
    if (answer == "y") {
      std::cerr << "[TIP] Next time specify overwrite=True!\n";
      return true;
    }
    if (answer == "n") return false;
    std::cerr << "Enter \"y\" (overwrite) or \"n\" (cancel)." << std::flush;
  }
  return false;
}

namespace {

void check_overwrite(const std::filesystem::path& path, const SaveModelOptions& options) {
  std::error_code ec;
  if (options.overwrite || !std::filesystem::exists(path, ec)) return;
  bool proceed =
      options.confirm_overwrite ? options.confirm_overwrite(path) : saving::ask_to_proceed_with_overwrite(path);
  if (!proceed)
    throw FileExistsError("File " + path.string() +
                          " already exists and overwrite is false: nothing was written. "
                          "Pass overwrite = true to replace it.");
}

Model model_from_config_json(const std::string& text, const std::string& origin, bool compile) {
  const std::string source = origin + " config.json";
  Json config = parse_json(text, source);
  return with_context(ErrorContext::source(source), [&] {
    LayerPtr layer;
    try {
      layer = saving::deserialize_layer(saving::normalize_config_dialect(config));  // older Keras versions too
    } catch (const Json::exception& e) {
      throw FormatError(std::string("config.json does not describe a valid model: ") + e.what());
    }
    auto model = std::dynamic_pointer_cast<ModelImpl>(layer);
    if (!model) throw FormatError("config.json describes a " + layer->class_name() + ", not a model");
    // compile=false stands for Keras replacing the top-level compile_config by null (spec §3.11).
    if (compile && config.contains("compile_config") && !config.at("compile_config").is_null())
      detail::compile_from_config(*model, config.at("compile_config"));
    return Model(model);
  });
}

// A file or member of `size` bytes against a limit, refused naming the limit.
void check_size(std::uint64_t size, std::uint64_t limit, const std::string& what, const char* limit_name) {
  if (size > limit)
    throw UnsafeContentError("Not allowed: " + what + " has " + std::to_string(size) + " bytes, more than " +
                             std::to_string(limit) + " (LoadLimits::" + limit_name + "; raise it to load this file)");
}

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// All variables of the model, counted with overflow-checked arithmetic before
// any of them is allocated (they are allocated when the weights are read).
void check_variable_bytes(const Model& model, const std::string& origin) {
  const LoadLimits& limits = detail::current_load_limits();
  const std::uint64_t limit = limits.weights_bytes_limit();
  std::set<const Variable*> seen;
  std::uint64_t total = 0;
  for (const auto& variable : model.impl().weights()) {
    if (!seen.insert(variable.get()).second) continue;
    std::uint64_t bytes = dtype_size(variable->dtype());
    bool overflow = false;
    for (std::int64_t d : variable->shape())
      overflow = overflow || __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes);
    overflow = overflow || __builtin_add_overflow(total, bytes, &total);
    if (overflow || total > limit)
      throw UnsafeContentError("Not allowed: the variables of " + origin + " need more than " + std::to_string(limit) +
                               " bytes (at variable '" + variable->path() + "' of shape " +
                               shape_to_string(variable->shape()) +
                               "; LoadLimits::max_weights_bytes, default the physical memory)");
  }
}

Model load_from_zip(const saving::ZipReader& zip, const std::string& origin, bool compile, bool verify_crc) {
  const LoadLimits& limits = detail::current_load_limits();
  if (!zip.has("config.json")) throw FormatError(origin + ": the archive has no config.json member");
  check_size(zip.info("config.json").size, limits.max_config_bytes, origin + " config.json", "max_config_bytes");
  if (zip.has("metadata.json"))
    check_size(zip.info("metadata.json").size, limits.max_metadata_bytes, origin + " metadata.json",
               "max_metadata_bytes");
  if (zip.has("model.weights.h5")) {
    const std::uint64_t limit = limits.weights_bytes_limit();
    check_size(zip.info("model.weights.h5").size,
               limit > UINT64_MAX - kWeightsFileSlack ? limit : limit + kWeightsFileSlack, origin + " model.weights.h5",
               "max_weights_bytes");
  }
  Model model = model_from_config_json(to_text(zip.read("config.json")), origin, compile);
  if (zip.has("model.weights.h5")) {
    check_variable_bytes(model, origin);
    const std::string member_name = origin + "/model.weights.h5";
    auto file = saving::open_zip_member(zip, "model.weights.h5", member_name, verify_crc, saving::CrcCheck::deferred);
    try {
      saving::prepare_optimizer_for_file(model.impl(), file.root());
      saving::load_weights_from(model.impl(), file.root(), member_name);
    } catch (const Error&) {
      file.finish_crc_check();  // damaged bytes explain the failure better than what they broke
      throw;
    }
    file.finish_crc_check();
  } else if (zip.has("model.weights.npz")) {
    throw NotImplementedError(origin +
                              ": npz weights (model.weights.npz) hold pickled Python objects; keras-cpp never "
                              "unpickles. Re-save the model with weights_format='h5'.");
  } else {
    throw FormatError(origin + ": Expected a model.weights.h5 or model.weights.npz file.");
  }
  return model;
}

}  // namespace

std::vector<std::byte> save_model(const Model& model) {
  saving::ZipWriter zip;
  zip.add("metadata.json", to_bytes(metadata_json()));
  zip.add("config.json", to_bytes(config_json(model)));
  zip.add("model.weights.h5", weights_h5(model), std::time(nullptr));
  return zip.finish_to_memory();
}

void save_model(const Model& model, const std::filesystem::path& filepath, const SaveModelOptions& options) {
  const std::string path = filepath.string();
  if (path.find("://") != std::string::npos)
    throw NotImplementedError("Remote paths are not supported by keras-cpp. Received: filepath=" + path);
  const bool zipped = options.zipped.value_or(true);
  if (zipped && !path.ends_with(".keras")) {
    if (path.ends_with(".h5") || path.ends_with(".hdf5"))
      throw ValueError(
          "Writing the legacy HDF5 format is not supported by keras-cpp; use a `.keras` extension. "
          "Received: filepath=" +
          path);
    throw ValueError(
        "Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
        "Keras format (recommended) or a `.h5` extension. Use `model.export(filepath)` if you want to "
        "export a SavedModel for use with TFLite/TFServing/etc. Received: filepath=" +
        path + ".");
  }
  if (!zipped && path.ends_with(".keras"))
    throw ValueError(
        "When using `zipped=False`, the `filepath` argument should not end in `.keras`. Received: filepath=" + path);
  check_overwrite(filepath, options);
  if (zipped) {
    save_archive_to_file(model, filepath);
    return;
  }
  saving::AtomicDirectory dir(filepath, true);
  auto write = [&](const std::string& name, const std::vector<std::byte>& bytes) {
    std::ofstream out(dir.path() / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw IOError("Failed writing " + (filepath / name).string());
  };
  write("metadata.json", to_bytes(metadata_json()));
  write("config.json", to_bytes(config_json(model)));
  write("model.weights.h5", weights_h5(model));
  std::filesystem::create_directory(dir.path() / "assets");
  dir.commit();
}

Model load_model(const std::filesystem::path& filepath, const LoadModelOptions& options) {
  const std::string path = filepath.string();
  std::error_code ec;
  if (path.find("://") != std::string::npos)
    throw NotImplementedError("Remote paths (hf://, gs://, ...) are not supported by keras-cpp. Received: filepath=" +
                              path);
  if (std::filesystem::is_directory(filepath, ec)) {
    if (!std::filesystem::is_regular_file(filepath / "config.json", ec))
      throw FormatError("Directory " + path + " is not a Keras model directory (no config.json)");
    const LoadLimits& limits = options.limits;
    const detail::LoadLimitsScope limits_scope(limits);
    check_size(file_size_or_zero(filepath / "config.json"), limits.max_config_bytes,
               (filepath / "config.json").string(), "max_config_bytes");
    check_size(file_size_or_zero(filepath / "metadata.json"), limits.max_metadata_bytes,
               (filepath / "metadata.json").string(), "max_metadata_bytes");
    const std::uint64_t weights_limit = limits.weights_bytes_limit();
    check_size(file_size_or_zero(filepath / "model.weights.h5"),
               weights_limit > UINT64_MAX - kWeightsFileSlack ? weights_limit : weights_limit + kWeightsFileSlack,
               (filepath / "model.weights.h5").string(), "max_weights_bytes");
    std::ifstream in(filepath / "config.json", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Model model = model_from_config_json(text, path, options.compile);
    if (std::filesystem::is_regular_file(filepath / "model.weights.h5", ec)) {
      check_variable_bytes(model, path);
      auto file = saving::H5File::open_read(filepath / "model.weights.h5");
      saving::prepare_optimizer_for_file(model.impl(), file.root());
      saving::load_weights_from(model.impl(), file.root(), (filepath / "model.weights.h5").string());
    } else if (std::filesystem::exists(filepath / "model.weights.npz", ec)) {
      throw NotImplementedError(path + ": npz weights are not supported (keras-cpp never unpickles)");
    } else {
      throw FormatError(path + ": Expected a model.weights.h5 or model.weights.npz file.");
    }
    return model;
  }
  if (path.ends_with(".keras")) {
    if (!std::filesystem::is_regular_file(filepath, ec))
      throw FileNotFoundError("File not found: filepath=" + path +
                              ". Please ensure the file is an accessible `.keras` zip file.");
    const detail::LoadLimitsScope limits_scope(options.limits);
    auto zip = saving::ZipReader::open(filepath);
    return load_from_zip(zip, path, options.compile, options.verify_crc);
  }
  if (path.ends_with(".h5") || path.ends_with(".hdf5")) {
    const detail::LoadLimitsScope limits_scope(options.limits);
    return saving::load_legacy_h5_model(filepath, options);
  }
  if (!std::filesystem::exists(filepath, ec)) throw FileNotFoundError("File not found: filepath=" + path + ".");
  throw ValueError("File format not supported: filepath=" + path +
                   ". Keras 3 only supports V3 `.keras` files, legacy H5 format files (`.h5` extension).");
}

Model load_model(std::span<const std::byte> archive, const LoadModelOptions& options) {
  const detail::LoadLimitsScope limits_scope(options.limits);
  // The caller's bytes outlive the load: read them in place.
  auto zip = saving::ZipReader::view(archive, "<memory>");
  return load_from_zip(zip, "<memory>", options.compile, options.verify_crc);
}

std::vector<std::string> saving::archive_members(const std::filesystem::path& filepath) {
  return ZipReader::open(filepath).members();
}

}  // namespace keras
