#include "saving/compare.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"

namespace keras::saving {

namespace {

struct SavedModelFiles {
  std::vector<std::string> members;
  std::map<std::string, std::vector<std::byte>> contents;
};

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileNotFoundError("Cannot open " + path.string());
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

SavedModelFiles read_saved(const std::filesystem::path& path) {
  SavedModelFiles files;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      auto rel = std::filesystem::relative(entry.path(), path).generic_string();
      // Directories are not members (a zip records none, and git keeps no
      // empty assets/ folder); their files are.
      if (entry.is_directory()) continue;
      files.members.push_back(rel);
      files.contents[rel] = read_file(entry.path());
    }
    std::sort(files.members.begin(), files.members.end());
    return files;
  }
  auto zip = ZipReader::open(path);
  files.members = zip.members();
  for (const auto& m : files.members) files.contents[m] = zip.read(m);
  return files;
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct Differ {
  const CompareOptions& options;
  std::vector<std::string> out;
  void add(const std::string& message) {
    if (out.size() < options.max_differences) out.push_back(message);
  }
};

std::string attr_value(const H5Group& g, const std::string& name) {
  if (auto s = g.string_attr(name)) return "\"" + *s + "\"";
  if (auto n = g.numeric_attr(name)) {
    std::string text = "[";
    for (double v : *n) text += std::to_string(v) + ",";
    return text + "]";
  }
  return "<unreadable>";
}

// MultiHeadAttention's and GroupQueryAttention's internal softmax and dropout
// layers get names from Keras' process-wide counters ("softmax_2"), which
// depend on everything else built in that Python process; the loader never
// reads them (spec §4.1), so no writer can or needs to reproduce them.
bool has_process_global_name(const std::string& group_path) {
  return group_path.ends_with("/_softmax/vars/") || group_path.ends_with("/_dropout_layer/vars/");
}

void compare_groups(const H5Group& a, const H5Group& b, const std::string& path, Differ& d) {
  auto attrs_a = a.attr_names();
  auto attrs_b = b.attr_names();
  std::sort(attrs_a.begin(), attrs_a.end());
  std::sort(attrs_b.begin(), attrs_b.end());
  if (attrs_a != attrs_b)
    d.add("/" + path + ": attribute names differ");
  else
    for (const auto& name : attrs_a) {
      auto va = attr_value(a, name);
      auto vb = attr_value(b, name);
      if (va != vb && !(name == "name" && has_process_global_name(path)))
        d.add("/" + path + " attribute " + name + ": " + va + " vs " + vb);
    }
  auto children_a = a.children();
  auto children_b = b.children();
  std::sort(children_a.begin(), children_a.end());
  std::sort(children_b.begin(), children_b.end());
  for (const auto& c : children_a) {
    if (std::find(children_b.begin(), children_b.end(), c) == children_b.end())
      d.add("/" + path + c + ": only in the first file");
  }
  for (const auto& c : children_b) {
    if (std::find(children_a.begin(), children_a.end(), c) == children_a.end())
      d.add("/" + path + c + ": only in the second file");
  }
  for (const auto& c : children_a) {
    if (std::find(children_b.begin(), children_b.end(), c) == children_b.end()) continue;
    const std::string child_path = path + c;
    if (a.has_group(c) != b.has_group(c)) {
      d.add("/" + child_path + ": group in one file, dataset in the other");
      continue;
    }
    if (a.has_group(c)) {
      compare_groups(a.group(c), b.group(c), child_path + "/", d);
      continue;
    }
    auto ia = a.dataset_info(c);
    auto ib = b.dataset_info(c);
    if (ia.shape != ib.shape || ia.dtype != ib.dtype) {
      d.add("/" + child_path + ": " + dtype_name(ia.dtype) + shape_to_string(ia.shape) + " vs " + dtype_name(ib.dtype) +
            shape_to_string(ib.shape));
      continue;
    }
    bool ignored = !d.options.compare_values ||
                   std::find(d.options.ignore_values_of.begin(), d.options.ignore_values_of.end(), child_path) !=
                       d.options.ignore_values_of.end();
    if (!ignored) {
      Tensor ta = a.read_dataset(c);
      Tensor tb = b.read_dataset(c);
      if (ta.nbytes() != tb.nbytes() || std::memcmp(ta.raw_data(), tb.raw_data(), ta.nbytes()) != 0)
        d.add("/" + child_path + ": values differ (max |diff| " + std::to_string(max_abs_diff(ta, tb)) + ")");
    }
    // Dataset attributes (bfloat16 marker).
    (void)ia;
  }
}

}  // namespace

Json strip_shared_object_ids(const Json& value) {
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) {
      if (key != "shared_object_id") out[key] = strip_shared_object_ids(item);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(strip_shared_object_ids(item));
    return out;
  }
  return value;
}

std::vector<std::string> compare_h5_images(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
                                           const CompareOptions& options) {
  Differ d{options, {}};
  auto fa = H5File::open_image(std::vector<std::byte>(a), "first.h5");
  auto fb = H5File::open_image(std::vector<std::byte>(b), "second.h5");
  compare_groups(fa.root(), fb.root(), "", d);
  return d.out;
}

std::vector<std::string> compare_saved_models(const std::filesystem::path& a, const std::filesystem::path& b,
                                              const CompareOptions& options) {
  Differ d{options, {}};
  auto fa = read_saved(a);
  auto fb = read_saved(b);
  if (fa.members != fb.members) {
    std::string la, lb;
    for (const auto& m : fa.members) la += m + " ";
    for (const auto& m : fb.members) lb += m + " ";
    d.add("members differ: [" + la + "] vs [" + lb + "]");
  }
  if (fa.contents.count("metadata.json") && fb.contents.count("metadata.json")) {
    Json ma = parse_json(text_of(fa.contents["metadata.json"]), a.string() + " metadata.json");
    Json mb = parse_json(text_of(fb.contents["metadata.json"]), b.string() + " metadata.json");
    if (!ma.contains("date_saved") || !mb.contains("date_saved")) d.add("metadata.json: date_saved missing");
    ma.erase("date_saved");
    mb.erase("date_saved");
    if (dump_json_like_python(ma) != dump_json_like_python(mb))
      d.add("metadata.json differs: " + ma.dump() + " vs " + mb.dump());
  }
  if (fa.contents.count("config.json") && fb.contents.count("config.json")) {
    auto ca =
        dump_json_like_python(strip_shared_object_ids(parse_json(text_of(fa.contents["config.json"]), "config.json")));
    auto cb =
        dump_json_like_python(strip_shared_object_ids(parse_json(text_of(fb.contents["config.json"]), "config.json")));
    if (ca != cb) {
      std::size_t pos = 0;
      while (pos < ca.size() && pos < cb.size() && ca[pos] == cb[pos]) ++pos;
      std::size_t from = pos > 120 ? pos - 120 : 0;
      d.add("config.json differs at character " + std::to_string(pos) + ":\n  first:  ..." + ca.substr(from, 240) +
            "\n  second: ..." + cb.substr(from, 240));
    }
  }
  if (fa.contents.count("model.weights.h5") && fb.contents.count("model.weights.h5")) {
    for (auto& line : compare_h5_images(fa.contents["model.weights.h5"], fb.contents["model.weights.h5"], options))
      d.add("model.weights.h5" + line);
  }
  return d.out;
}

}  // namespace keras::saving
