// NumPy .npz archives on top of the .npy reader/writer and the zip layer the
// .keras format uses (libzip, with the same member-name and bomb guards).
#include <fstream>

#include "keras/utils.hpp"
#include "saving/zip_archive.hpp"

namespace keras::utils {

namespace {
constexpr std::string_view kSuffix = ".npy";
}

NamedTensors load_npz(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw FileNotFoundError("File not found: " + path.string());
  auto zip = saving::ZipReader::open(path);
  NamedTensors out;
  for (const auto& member : zip.members()) {
    if (!member.ends_with(kSuffix)) continue;  // numpy.load ignores other members too
    const std::string origin = path.string() + "/" + member;
    out.emplace_back(member.substr(0, member.size() - kSuffix.size()), parse_npy(zip.read(member), origin));
  }
  if (out.empty()) throw FormatError(path.string() + ": the archive holds no .npy arrays");
  return out;
}

void save_npz(const std::filesystem::path& path, const NamedTensors& arrays) {
  saving::ZipWriter zip;
  for (const auto& [name, tensor] : arrays) {
    if (name.empty()) throw ValueError("save_npz: an array needs a name (" + path.string() + ")");
    zip.add(name + std::string(kSuffix), serialize_npy(tensor), std::time(nullptr));
  }
  zip.finish_to_file(path);
}

}  // namespace keras::utils
