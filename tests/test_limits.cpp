// The load limits (keras/limits.hpp, docs/limits.md): for each, a crafted file
// that the default refuses with an error naming the limit, and (where a real
// caller could want it) the same file accepted once the limit is raised.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zip.h>

#include <cstdlib>
#include <string>

#include "keras/keras.hpp"
#include "saving/bytes.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;
using keras_test::fixture_dir;

struct Archive {
  std::string metadata, config;
  std::vector<std::byte> weights;
};

Archive read_archive(const std::string& fixture) {
  auto zip = keras::saving::ZipReader::open(fixture_dir(fixture) / "model.keras");
  return {keras::saving::to_text(zip.read("metadata.json")), keras::saving::to_text(zip.read("config.json")),
          zip.read("model.weights.h5")};
}

std::vector<std::byte> write_archive(const Archive& a) {
  keras::saving::ZipWriter zip;
  zip.add("metadata.json", keras::saving::to_bytes(a.metadata));
  zip.add("config.json", keras::saving::to_bytes(a.config));
  zip.add("model.weights.h5", std::vector<std::byte>(a.weights));
  return zip.finish_to_memory();
}

// The same archive with every member deflated (ZipWriter stores only).
std::vector<std::byte> write_deflated_archive(const Archive& a) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(sink);
  zip_t* archive = zip_open_from_source(sink, ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  auto add = [&](const char* name, const void* data, std::size_t size) {
    zip_source_t* source = zip_source_buffer(archive, data, size, 0);
    const zip_int64_t index = zip_file_add(archive, name, source, ZIP_FL_OVERWRITE);
    EXPECT_GE(index, 0);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9);
  };
  add("metadata.json", a.metadata.data(), a.metadata.size());
  add("config.json", a.config.data(), a.config.size());
  add("model.weights.h5", a.weights.data(), a.weights.size());
  EXPECT_EQ(zip_close(archive), 0);
  zip_source_open(sink);
  zip_source_seek(sink, 0, SEEK_END);
  const zip_int64_t size = zip_source_tell(sink);
  zip_source_seek(sink, 0, SEEK_SET);
  std::vector<std::byte> out(static_cast<std::size_t>(size));
  zip_source_read(sink, out.data(), static_cast<zip_uint64_t>(size));
  zip_source_close(sink);
  zip_source_free(sink);
  return out;
}

// The config of the first layer of `class_name` in a functional config.
Json& layer_config(Json& model, const std::string& class_name) {
  for (auto& layer : model["config"]["layers"]) {
    if (layer["class_name"] == class_name) return layer["config"];
  }
  throw std::runtime_error("no " + class_name + " layer");
}

std::string refusal(const std::vector<std::byte>& archive, const keras::LoadModelOptions& options = {}) {
  try {
    keras::load_model(archive, options);
  } catch (const keras::Error& e) {
    return e.what();
  }
  return "";
}

TEST(LoadLimits, ConfigBytes) {
  Archive a = read_archive("dense_activations");
  a.config += std::string(65u << 20, ' ');  // valid JSON, 65 MiB
  const auto archive = write_archive(a);
  EXPECT_NE(refusal(archive).find("LoadLimits::max_config_bytes"), std::string::npos) << refusal(archive);
  keras::LoadModelOptions raised;
  raised.limits.max_config_bytes = 128u << 20;
  EXPECT_EQ(refusal(archive, raised), "");
}

TEST(LoadLimits, MetadataBytes) {
  Archive a = read_archive("dense_activations");
  a.metadata.insert(1, std::string(2u << 20, ' '));
  const auto archive = write_archive(a);
  const std::string message = refusal(archive);
  EXPECT_NE(message.find("LoadLimits::max_metadata_bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("metadata.json"), std::string::npos) << message;
  keras::LoadModelOptions raised;
  raised.limits.max_metadata_bytes = 4u << 20;
  EXPECT_EQ(refusal(archive, raised), "");
}

TEST(LoadLimits, JsonDepth) {
  Archive a = read_archive("dense_activations");
  // An extra top-level key no loader reads, nested 300 deep.
  a.config.insert(1, "\"junk\": " + std::string(300, '[') + std::string(300, ']') + ", ");
  const auto archive = write_archive(a);
  const std::string message = refusal(archive);
  EXPECT_NE(message.find("LoadLimits::max_json_depth"), std::string::npos) << message;
  EXPECT_NE(message.find("config.json"), std::string::npos) << message;
  keras::LoadModelOptions raised;
  raised.limits.max_json_depth = 1000;
  EXPECT_EQ(refusal(archive, raised), "");
}

TEST(LoadLimits, InflateRatio) {
  Archive a = read_archive("dense_activations");
  // HDF5 ignores bytes past its end of address space: the weights still read.
  a.weights.resize(a.weights.size() + (32u << 20));
  const auto archive = write_deflated_archive(a);
  const std::string message = refusal(archive);
  EXPECT_NE(message.find("LoadLimits::max_inflate_ratio"), std::string::npos) << message;
  EXPECT_NE(message.find("model.weights.h5"), std::string::npos) << message;
  keras::LoadModelOptions raised;
  raised.limits.max_inflate_ratio = 5000;
  EXPECT_EQ(refusal(archive, raised), "");
}

TEST(LoadLimits, WeightBytes) {
  const auto archive = write_archive(read_archive("dense_activations"));
  keras::LoadModelOptions small;
  small.limits.max_weights_bytes = 1000;
  const std::string message = refusal(archive, small);
  EXPECT_NE(message.find("LoadLimits::max_weights_bytes"), std::string::npos) << message;
  EXPECT_EQ(refusal(archive), "");  // default: the physical memory

  // Variables far beyond the physical memory are refused before any is allocated.
  Archive a = read_archive("dense_activations");
  Json config = Json::parse(a.config);
  layer_config(config, "Dense")["units"] = 1 << 24;
  for (auto& layer : config["config"]["layers"]) {
    if (layer["class_name"] == "InputLayer") layer["config"]["batch_shape"] = {nullptr, 1 << 22};
    if (layer.contains("build_config")) layer["build_config"]["input_shape"] = {nullptr, 1 << 22};
  }
  a.config = config.dump();
  const std::string huge = refusal(write_archive(a));
  EXPECT_NE(huge.find("LoadLimits::max_weights_bytes"), std::string::npos) << huge;
}

TEST(LoadLimits, ElementCountsAreOverflowChecked) {
  Archive a = read_archive("dense_activations");
  Json config = Json::parse(a.config);
  layer_config(config, "Dense")["units"] = std::int64_t{1} << 40;
  for (auto& layer : config["config"]["layers"]) {
    if (layer["class_name"] == "InputLayer") layer["config"]["batch_shape"] = {nullptr, std::int64_t{1} << 30};
    if (layer.contains("build_config")) layer["build_config"]["input_shape"] = {nullptr, std::int64_t{1} << 30};
  }
  a.config = config.dump();
  keras::LoadModelOptions raised;
  raised.limits.max_units = std::int64_t{1} << 62;
  // 2^30 * 2^40 elements of 4 bytes: more than 64 bits count; no allocation attempted.
  const std::string message = refusal(write_archive(a), raised);
  EXPECT_NE(message.find("64-bit"), std::string::npos) << message;
}

TEST(LoadLimits, StorageRatio) {
  // A weights file whose dense kernel declares 64 MiB and stores nothing
  // (an unwritten dataset reads as its fill value).
  Archive a = read_archive("dense_activations");
  Json config = Json::parse(a.config);
  const std::string name = layer_config(config, "Dense")["name"];
  const std::int64_t units = layer_config(config, "Dense")["units"];
  keras_test::TempDir dir;
  const auto h5 = dir / "w.h5";
  {
    hid_t file = H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t group = H5Gcreate2(
        file, ("layers/" + name + "/vars").c_str(),
        [] {
          hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
          H5Pset_create_intermediate_group(lcpl, 1);
          return lcpl;
        }(),
        H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[2] = {hsize_t{1} << 24, static_cast<hsize_t>(units)};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t dataset = H5Dcreate2(group, "0", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(dataset);
    H5Sclose(space);
    H5Gclose(group);
    H5Fclose(file);
  }
  const auto file = keras::saving::H5File::open_read(h5);
  const auto vars = file.root().group("layers/" + name + "/vars");
  std::string message;
  try {
    vars.dataset_info("0");
  } catch (const keras::UnsafeContentError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("LoadLimits::max_storage_ratio"), std::string::npos) << message;
  keras::LoadLimits raised;
  raised.max_storage_ratio = 0;  // off: the dataset is read as its fill value
  const keras::detail::LoadLimitsScope scope(raised);
  EXPECT_EQ(vars.dataset_info("0").declared_bytes, (std::uint64_t{1} << 24) * static_cast<std::uint64_t>(units) * 4);
}

// Zero, negative and huge sizes, kernel sizes, strides and dimensions: refused naming the field.
TEST(LoadLimits, AbsurdConfigsNameTheField) {
  struct Case {
    std::string fixture, class_name, key;
    Json value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"dense_activations", "Dense", "units", 0, "'units' must be a positive integer"},
      {"dense_activations", "Dense", "units", -3, "'units' must be a positive integer"},
      {"dense_activations", "Dense", "units", std::int64_t{1} << 30, "LoadLimits::max_units"},
      {"conv2d", "Conv2D", "filters", -1, "'filters' must be a positive integer"},
      {"conv2d", "Conv2D", "kernel_size", Json{0, 3}, "'kernel_size' must be positive"},
      {"conv2d", "Conv2D", "strides", Json{-1, 1}, "'strides' must be positive"},
      {"conv2d", "Conv2D", "kernel_size", Json{1 << 20, 3}, "LoadLimits::max_window"},
      {"conv2d", "InputLayer", "batch_shape", Json{nullptr, std::int64_t{1} << 40, 10, 4}, "LoadLimits::max_dimension"},
      {"embedding", "Embedding", "input_dim", std::int64_t{1} << 40, "'input_dim'"},
      {"recurrent", "LSTM", "units", 0, "'units' must be a positive integer"},
  };
  for (const auto& c : cases) {
    Archive a = read_archive(c.fixture);
    Json config = Json::parse(a.config);
    layer_config(config, c.class_name)[c.key] = c.value;
    a.config = config.dump();
    const std::string message = refusal(write_archive(a));
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.class_name << "." << c.key << ": " << message;
    const std::string shown = c.key == "batch_shape" ? std::to_string(std::int64_t{1} << 40) : c.value.dump();
    EXPECT_NE(message.find(shown), std::string::npos) << message;
  }
  // Raised, a large size is built (here: the weights file then does not fit).
  Archive a = read_archive("dense_activations");
  Json config = Json::parse(a.config);
  layer_config(config, "Dense")["units"] = std::int64_t{1} << 25;
  a.config = config.dump();
  keras::LoadModelOptions raised;
  raised.limits.max_units = std::int64_t{1} << 26;
  const std::string message = refusal(write_archive(a), raised);
  EXPECT_EQ(message.find("max_units"), std::string::npos) << message;
}

TEST(LoadLimits, CliOptions) {
  const auto model = fixture_dir("dense_activations") / "model.keras";
  std::string out;
  EXPECT_EQ(keras_test::run_cli({"info", model.string(), "--max-weights-bytes", "1000"}, &out), 1) << out;
  EXPECT_NE(out.find("LoadLimits::max_weights_bytes"), std::string::npos) << out;
  EXPECT_EQ(keras_test::run_cli({"info", model.string()}, &out), 0) << out;
  EXPECT_EQ(keras_test::run_cli({"--max-config-bytes", "100", "info", model.string()}, &out), 1) << out;
  EXPECT_NE(out.find("LoadLimits::max_config_bytes"), std::string::npos) << out;
  EXPECT_EQ(keras_test::run_cli({"info", model.string(), "--max-json-depth", "2"}, &out), 1) << out;
  EXPECT_NE(out.find("LoadLimits::max_json_depth"), std::string::npos) << out;
}

}  // namespace
