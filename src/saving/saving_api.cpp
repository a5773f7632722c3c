// The saving API around save_model (spec §4.8, §6): weights-only files,
// sharded weights, and config-only JSON.
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "keras/optimizers.hpp"
#include "keras/saving.hpp"
#include "saving/atomic_write.hpp"
#include "saving/bytes.hpp"
#include "saving/dialects.hpp"
#include "saving/h5_file.hpp"
#include "saving/legacy_h5.hpp"
#include "saving/optimizer_state.hpp"
#include "saving/weights_walk.hpp"
#include "saving/zip_archive.hpp"
#include "training/compile.hpp"

namespace keras {

namespace {

using saving::to_bytes;

std::string read_text(const std::filesystem::path& path, std::uint64_t limit) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw FileNotFoundError("File not found: filepath=" + path.string());
  if (std::filesystem::file_size(path, ec) > limit)
    throw UnsafeContentError(path.string() + " is larger than " + std::to_string(limit) +
                             " bytes; refusing to read it");
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void confirm_overwrite(const std::filesystem::path& path, bool overwrite, const OverwriteCallback& callback) {
  std::error_code ec;
  if (overwrite || !std::filesystem::exists(path, ec)) return;
  if (callback && callback(path)) return;
  throw FileExistsError("File " + path.string() + " already exists and overwrite is false: nothing was written.");
}

// Sharded writing (spec §4.8): shards fill up to max_shard_size bytes.
class ShardWriter {
 public:
  ShardWriter(std::filesystem::path index_path, double max_gb) : index_path_(std::move(index_path)) {
    max_bytes_ = max_gb * 1024.0 * 1024.0 * 1024.0;
    std::string stem = index_path_.filename().string();
    stem = stem.substr(0, stem.size() - std::string(".weights.json").size());
    stem_ = stem;
    open_next();
  }

  void write_object(const Layer& layer, const std::string& path) {
    write_variables(layer.name(), layer.variables_to_save(), path);
  }

  void write_variables(const std::string& name, const std::vector<VariablePtr>& variables, const std::string& path) {
    std::string key = "/" + (path.empty() ? std::string("vars") : path + "/vars");
    saving::H5Group group = saving::create_vars_group(current().root(), path);
    group.set_string_attr("name", name);
    for (std::size_t i = 0; i < variables.size(); ++i) {
      double size = static_cast<double>(shape_size(variables[i]->shape())) *
                    static_cast<double>(dtype_size(variables[i]->dtype()));
      if (size > max_bytes_)
        throw ValueError("The size of " + key + "/" + std::to_string(i) + " is " + std::to_string(size) +
                         " which exceeds the maximum shard size " + std::to_string(max_bytes_) +
                         ". You can increase the `max_shard_size` parameter to accommodate the size.");
      if (running_ + size > max_bytes_) {
        open_next();
        running_ = 0;
      }
      running_ += size;
      total_ += size;
      // A group continued in a later shard carries no name attribute (as Keras writes it).
      saving::H5Group target = saving::has_vars_group(current().root(), path)
                                   ? saving::open_vars_group(current().root(), path)
                                   : saving::create_vars_group(current().root(), path);
      target.write_dataset(std::to_string(i), variables[i]->snapshot());
      auto& files = weight_map_[key];
      if (std::find(files.begin(), files.end(), shard_names_.back()) == files.end()) {
        files.push_back(shard_names_.back());
        if (std::find(order_.begin(), order_.end(), key) == order_.end()) order_.push_back(key);
      }
    }
  }

  void finish() {
    Json map = Json::object();
    for (const auto& key : order_) map[key] = weight_map_[key];
    Json index{{"metadata", {{"total_size", total_}}}, {"weight_map", map}};
    for (std::size_t i = 0; i < shards_.size(); ++i)
      saving::write_file_atomically(index_path_.parent_path() / shard_names_[i], shards_[i].image());
    saving::write_file_atomically(index_path_, to_bytes(index.dump(4)));
  }

 private:
  saving::H5File& current() { return shards_.back(); }
  void open_next() {
    char suffix[32];
    std::snprintf(suffix, sizeof(suffix), "_%05zu.weights.h5", shards_.size());
    shard_names_.push_back(stem_ + suffix);
    shards_.push_back(saving::H5File::create_in_memory(shard_names_.back()));
  }

  std::filesystem::path index_path_;
  std::string stem_;
  double max_bytes_ = 0;
  double running_ = 0;
  double total_ = 0;
  std::vector<saving::H5File> shards_;
  std::vector<std::string> shard_names_;
  std::map<std::string, std::vector<std::string>> weight_map_;
  std::vector<std::string> order_;
};

void load_sharded(const Model& model, const std::filesystem::path& index_path, bool skip_mismatch) {
  Json index = parse_json(read_text(index_path, 64ULL << 20), index_path.string());
  if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object())
    throw FormatError(index_path.string() + ": a sharded weights index needs a 'weight_map' object");
  const auto dir = index_path.parent_path();
  std::map<std::string, saving::H5File> open_shards;
  auto shard = [&](const std::string& name) -> saving::H5File& {
    if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == ".." ||
        name == ".")
      throw UnsafeContentError(index_path.string() + ": invalid shard file name '" + name + "'");
    auto it = open_shards.find(name);
    if (it == open_shards.end()) it = open_shards.emplace(name, saving::H5File::open_read(dir / name)).first;
    return it->second;
  };
  const Json& map = index.at("weight_map");
  auto report = saving::load_weights_with(
      model.impl(),
      [&](const std::string& path) {
        std::vector<saving::H5Group> groups;
        std::string key = "/" + (path.empty() ? std::string("vars") : path + "/vars");
        auto it = map.find(key);
        if (it == map.end()) return groups;
        std::vector<std::string> files;
        if (it->is_string())
          files.push_back(it->get<std::string>());  // Keras 3.10 wrote one name
        else if (it->is_array())
          for (const auto& f : *it) files.push_back(f.get<std::string>());
        for (const auto& f : files) {
          auto& file = shard(f);
          if (saving::has_vars_group(file.root(), path)) groups.push_back(saving::open_vars_group(file.root(), path));
        }
        return groups;
      },
      index_path.string(), skip_mismatch);
  for (const auto& w : report.warnings) std::cerr << "WARNING: " << w << "\n";
}

}  // namespace

void save_weights(const Model& model, const std::filesystem::path& filepath, const SaveWeightsOptions& options) {
  std::string path = filepath.string();
  if (!model.impl().built())
    throw ValueError(
        "You are saving a model that has not yet been built. Try building the model first by calling it "
        "on some data or by using `build()`.");
  if (options.max_shard_size) {
    std::filesystem::path index = filepath;
    if (path.ends_with("weights.h5")) {
      index = path.substr(0, path.size() - 2) + "json";
      std::cerr << "WARNING: Saving sharded weights requires `*.json` as the extension. The original path: " << path
                << " will be renamed to " << index.string() << ".\n";
    } else if (!path.ends_with("weights.json")) {
      throw ValueError(
          "The filename must end in `.weights.json` when `max_shard_size` is specified. Received: filepath=" + path);
    }
    if (!(*options.max_shard_size > 0)) throw ValueError("max_shard_size must be positive");
    confirm_overwrite(index, options.overwrite, options.confirm_overwrite);
    ShardWriter writer(index, *options.max_shard_size);
    for (const auto& entry : saving::walk_model(model.impl())) writer.write_object(*entry.layer, entry.path);
    for (const auto& [path, optimizer] : saving::walk_optimizers(model.impl()))
      writer.write_variables(optimizer->name(), optimizer->variables(), path);
    writer.finish();
    return;
  }
  if (!path.ends_with(".weights.h5"))
    throw ValueError("The filename must end in `.weights.h5`. Received: filepath=" + path);
  confirm_overwrite(filepath, options.overwrite, options.confirm_overwrite);
  // HDF5 writes the file straight into the target's unnamed temporary file (pwrite through the
  // descriptor driver): no image of it is held in memory.
  saving::stream_file_atomically(filepath, [&](int fd, const std::filesystem::path&) {
    auto file = saving::H5File::create_on_descriptor(fd, path);
    saving::save_weights_to(model.impl(), file.root());
    file.close_on_descriptor();
  });
}

void load_weights(const Model& model, const std::filesystem::path& filepath, const LoadWeightsOptions& options) {
  std::string path = filepath.string();
  auto load_root = [&](const saving::H5File& file, const std::string& origin) {
    const saving::H5Group root = file.root();
    auto report = saving::load_weights_with(model.impl(), saving::vars_group_lookup(model.impl(), root), origin,
                                            options.skip_mismatch);
    for (const auto& w : report.warnings) std::cerr << "WARNING: " << w << "\n";
  };
  if (path.ends_with(".keras")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(filepath, ec)) throw FileNotFoundError("File not found: filepath=" + path);
    auto zip = saving::ZipReader::open(filepath);
    if (!zip.has("model.weights.h5")) throw FormatError(path + ": the archive has no model.weights.h5 member");
    auto file =
        saving::open_zip_member(zip, "model.weights.h5", path + "/model.weights.h5", true, saving::CrcCheck::deferred);
    try {
      load_root(file, path + "/model.weights.h5");
    } catch (const Error&) {
      file.finish_crc_check();  // damaged bytes explain the failure better than what they broke
      throw;
    }
    file.finish_crc_check();
    return;
  }
  if (path.ends_with(".weights.h5")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(filepath, ec)) throw FileNotFoundError("File not found: filepath=" + path);
    auto file = saving::H5File::open_read(filepath);
    load_root(file, path);
    return;
  }
  if (path.ends_with(".weights.json")) {
    load_sharded(model, filepath, options.skip_mismatch);
    return;
  }
  if (path.ends_with(".h5") || path.ends_with(".hdf5")) {
    saving::LegacyWeightsOptions legacy;
    legacy.skip_mismatch = options.skip_mismatch;
    saving::load_legacy_h5_weights(model, filepath, legacy);
    return;
  }
  throw ValueError("File format not supported: filepath=" + path +
                   ". Keras 3 only supports V3 `.keras` files, `.weights.h5` files, legacy H5 format files (`.h5` "
                   "extension), or Orbax checkpoints.");
}

std::string to_json(const Model& model) { return dump_json_like_python(saving::serialize_operation(model.impl())); }

namespace {

Model model_from_json_text(const std::string& json, const std::string& origin) {
  Json config = parse_json(json, origin);
  return with_context(ErrorContext::source(origin), [&] {
    LayerPtr layer;
    try {
      layer = saving::deserialize_layer(saving::normalize_config_dialect(config));  // Keras 2 to_json too
    } catch (const Json::exception& e) {
      throw FormatError(std::string("the JSON does not describe a valid model: ") + e.what());
    }
    auto model = std::dynamic_pointer_cast<ModelImpl>(layer);
    if (!model) throw FormatError("the JSON describes a " + layer->class_name() + ", not a model");
    // Despite its docstring, Keras compiles the result when compile_config is set (spec §6.2).
    if (auto it = config.find("compile_config"); it != config.end() && it->is_object() && !it->empty())
      detail::compile_from_config(*model, *it);
    return Model(model);
  });
}

}  // namespace

Model model_from_json(const std::string& json) { return model_from_json_text(json, "model_from_json"); }

void save_model_config(const Model& model, const std::filesystem::path& filepath, bool overwrite) {
  if (filepath.extension() != ".json")
    throw ValueError("The filepath must end in `.json`. Received: filepath=" + filepath.string());
  confirm_overwrite(filepath, overwrite, nullptr);
  saving::write_file_atomically(filepath, to_bytes(to_json(model)));
}

Model load_model_config(const std::filesystem::path& filepath) {
  return model_from_json_text(read_text(filepath, 256ULL << 20), filepath.string());
}

}  // namespace keras
