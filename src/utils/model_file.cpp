// Looking into model files without running them: what a file holds
// (inspect_model_file) and whether it passes every guard of the loaders
// (check_model_file).
#include <fstream>
#include <iterator>

#include "keras/saving.hpp"
#include "keras/utils.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"

namespace keras::utils {

namespace {

constexpr std::uint64_t kMaxJsonBytes = 256ULL << 20;  // the loaders' limit for config.json

std::string read_small_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > kMaxJsonBytes)
    throw UnsafeContentError(path.string() + " is larger than " + std::to_string(kMaxJsonBytes) +
                             " bytes; refusing to read it");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileNotFoundError("Cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool ends_with_any(const std::string& path, std::initializer_list<const char*> suffixes) {
  for (const char* s : suffixes) {
    if (path.ends_with(s)) return true;
  }
  return false;
}

// The JSON of a member that may be broken: null when it is not valid JSON.
Json parse_or_null(const std::string& text, const std::string& origin) {
  try {
    return parse_json(text, origin);
  } catch (const Error&) {
    return nullptr;
  }
}

// One problem per error. Messages may span lines (the weights loader lists
// every failed object): the lines after the first are indented under it.
void add_problem(std::vector<std::string>& problems, const std::string& message) {
  std::string text;
  std::size_t begin = 0;
  while (begin <= message.size()) {
    std::size_t end = message.find('\n', begin);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) text += text.empty() ? line : "\n  " + line;
    begin = end + 1;
  }
  if (!text.empty()) problems.push_back(text);
}

}  // namespace

ModelFileInfo inspect_model_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw FileNotFoundError("File not found: filepath=" + name);
  ModelFileInfo info;
  if (std::filesystem::is_directory(path, ec)) {
    info.format = "directory";
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::uint64_t size = it->file_size(ec);
      info.members.push_back({std::filesystem::relative(it->path(), path).generic_string(), size, size});
      info.file_size += size;
    }
    std::sort(info.members.begin(), info.members.end(),
              [](const ArchiveMember& a, const ArchiveMember& b) { return a.name < b.name; });
    if (std::filesystem::is_regular_file(path / "metadata.json", ec))
      info.metadata = parse_or_null(read_small_file(path / "metadata.json"), name + "/metadata.json");
    if (std::filesystem::is_regular_file(path / "config.json", ec))
      info.config = parse_or_null(read_small_file(path / "config.json"), name + "/config.json");
    return info;
  }
  info.file_size = std::filesystem::file_size(path, ec);
  if (ends_with_any(name, {".h5", ".hdf5"})) {
    info.format = "h5";
    auto file = saving::H5File::open_read(path);
    const auto root = file.root();
    for (const char* key : {"keras_version", "backend"}) {
      if (auto value = root.string_attr(key)) info.metadata[key] = *value;
    }
    if (auto config = root.string_attr("model_config")) info.config = parse_or_null(*config, name + " model_config");
    for (const auto& child : root.children()) info.members.push_back({child, 0, 0});
    return info;
  }
  if (name.ends_with(".json")) {
    info.format = "config";
    info.members.push_back({path.filename().string(), info.file_size, info.file_size});
    info.config = parse_or_null(read_small_file(path), name);
    return info;
  }
  info.format = "keras";
  auto zip = saving::ZipReader::open(path);
  for (const auto& member : zip.members()) {
    const auto entry = zip.info(member);
    info.members.push_back({member, entry.size, entry.compressed_size});
  }
  if (zip.has("metadata.json"))
    info.metadata = parse_or_null(text_of(zip.read("metadata.json", kMaxJsonBytes)), name + "/metadata.json");
  if (zip.has("config.json"))
    info.config = parse_or_null(text_of(zip.read("config.json", kMaxJsonBytes)), name + "/config.json");
  return info;
}

std::vector<std::string> check_model_file(const std::filesystem::path& path,
                                          const std::optional<std::filesystem::path>& weights) {
  std::vector<std::string> problems;
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {"File not found: filepath=" + name};
  const bool zip_file = !std::filesystem::is_directory(path, ec) && !ends_with_any(name, {".h5", ".hdf5", ".json"});
  if (zip_file) {
    // The archive itself: structure, member names, sizes and every member's CRC.
    try {
      auto zip = saving::ZipReader::open(path);
      zip.check_extraction_bombs();
      for (const auto& member : zip.members()) {
        try {
          zip.read(member);
        } catch (const Error& e) {
          add_problem(problems, e.what());
        }
      }
      if (zip.has("metadata.json")) {
        const Json metadata = parse_or_null(text_of(zip.read("metadata.json", kMaxJsonBytes)), name);
        if (!metadata.is_object())
          problems.push_back(name + "/metadata.json: not a JSON object");
        else if (!metadata.contains("keras_version") || !metadata.at("keras_version").is_string())
          problems.push_back(name + "/metadata.json: no keras_version string");
      }
    } catch (const Error& e) {
      add_problem(problems, e.what());
      return problems;  // nothing below can be read
    }
  }
  // The loaders' own guards on config and weights: building the model and
  // reading every variable, without running anything.
  try {
    Model model;
    if (name.ends_with(".json")) {
      model = load_model_config(path);
    } else {
      model = load_model(path);
    }
    if (weights) load_weights(model, *weights);
  } catch (const Error& e) {
    add_problem(problems, e.what());
  } catch (const std::exception& e) {
    add_problem(problems, name + ": " + e.what());
  }
  // Duplicates appear when the archive check and the loader find the same fault.
  std::vector<std::string> unique;
  for (const auto& p : problems) {
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
  }
  return unique;
}

}  // namespace keras::utils
