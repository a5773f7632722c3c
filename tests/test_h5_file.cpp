// H5File / H5Group (src/saving/h5_file): reading Keras' weights files from
// disk and memory, writing h5py-compatible files, and the HDF5 guards.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/error.hpp"
#include "keras/tensor.hpp"
#include "saving/h5_file.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using keras::DType;
using keras::Tensor;
using keras::saving::H5File;
using keras::saving::H5Group;
using keras::saving::H5StringKind;
using keras::saving::ZipReader;

int run_command(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buffer{};
  output->clear();
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output->append(buffer.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_h5dump() {
  std::string ignored;
  return run_command("command -v h5dump", &ignored) == 0;
}

// h5dump's output for one object; fails the test when h5dump fails.
std::string h5dump(const std::string& options, const fs::path& file) {
  std::string out;
  EXPECT_EQ(run_command("h5dump " + options + " '" + file.string() + "'", &out), 0) << out;
  return out;
}

// The text between "DATA {" and the closing "}" of an h5dump listing, without
// the "(i,j): " index prefixes.
std::string h5dump_data_block(const std::string& listing) {
  const std::size_t start = listing.find("DATA {");
  const std::size_t end = listing.find('}', start);
  if (start == std::string::npos || end == std::string::npos) return "";
  std::string block = listing.substr(start + 6, end - start - 6);
  return std::regex_replace(block, std::regex(R"(\(\d+(,\d+)*\):)"), " ");
}

std::vector<double> h5dump_numbers(const fs::path& file, const std::string& dataset) {
  const std::string block = h5dump_data_block(h5dump("-m %.17g -d " + dataset, file));
  std::vector<double> values;
  const std::regex number(R"([-+]?[0-9.]+(e[-+]?[0-9]+)?)");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), number); it != std::sregex_iterator(); ++it) {
    values.push_back(std::stod(it->str()));
  }
  return values;
}

std::vector<std::uint16_t> h5dump_opaque16(const fs::path& file, const std::string& dataset) {
  const std::string block = h5dump_data_block(h5dump("-d " + dataset, file));
  std::vector<std::uint16_t> values;
  const std::regex pair(R"(([0-9a-f]{2}):([0-9a-f]{2}))");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), pair); it != std::sregex_iterator(); ++it) {
    // Bytes are listed in file order; the values are little-endian.
    values.push_back(static_cast<std::uint16_t>(std::stoi((*it)[1].str(), nullptr, 16) |
                                                (std::stoi((*it)[2].str(), nullptr, 16) << 8)));
  }
  return values;
}

// Collapses every run of whitespace to one space, so checks do not depend on
// h5dump's indentation.
std::string squash(const std::string& text) { return std::regex_replace(text, std::regex(R"(\s+)"), " "); }

void write_bytes(const fs::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::byte> weights_member(const std::string& archive_path) {
  return ZipReader::open(keras_test::data_path(archive_path)).read("model.weights.h5");
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

template <typename E, typename F>
std::string expect_throw_message(F&& body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

// ------------------------------------------------------------------ reading

TEST(H5Read, SeedWeightsFromZipMemberInMemory) {
  std::vector<std::byte> bytes = weights_member("keras-3.16/seed_dense_softmax/model.keras");
  keras_test::TempDir dir;
  const fs::path on_disk = dir / "model.weights.h5";
  write_bytes(on_disk, bytes);

  H5File file = H5File::open_image(std::move(bytes), "model.keras/model.weights.h5");
  EXPECT_EQ(file.display_name(), "model.keras/model.weights.h5");
  const H5Group root = file.root();
  EXPECT_EQ(root.path(), "/");
  EXPECT_EQ(root.children(), (std::vector<std::string>{"layers", "vars"}));
  EXPECT_TRUE(root.has_group("layers/dense/vars"));
  EXPECT_TRUE(root.has_dataset("layers/dense/vars/0"));
  EXPECT_FALSE(root.has_dataset("layers/dense/vars"));
  EXPECT_FALSE(root.has_group("layers/dense/vars/0"));
  EXPECT_FALSE(root.has_group("layers/conv/vars"));
  EXPECT_FALSE(root.has("layers/conv/vars"));
  EXPECT_TRUE(root.has("layers"));
  EXPECT_TRUE(root.attr_names().empty());

  const H5Group vars = root.group("layers/dense/vars");
  EXPECT_EQ(vars.path(), "/layers/dense/vars");
  EXPECT_EQ(vars.string_attr("name"), "dense");
  EXPECT_EQ(vars.children(), (std::vector<std::string>{"0", "1"}));
  const keras::saving::DatasetInfo info = vars.dataset_info("0");
  EXPECT_EQ(info.shape, (keras::Shape{3, 5}));
  EXPECT_EQ(info.dtype, DType::float32);
  EXPECT_EQ(info.declared_bytes, 60u);
  EXPECT_EQ(info.storage_bytes, 60u);

  const Tensor kernel = vars.read_dataset("0");
  EXPECT_EQ(kernel.shape(), (keras::Shape{3, 5}));
  EXPECT_EQ(kernel.dtype(), DType::float32);
  EXPECT_TRUE(same_bytes(root.read_dataset("layers/dense/vars/0"), kernel));
  EXPECT_EQ(root.group("layers").group("softmax").group("vars").string_attr("name"), "softmax");

  // The same file read from disk gives the same values, and h5dump agrees.
  H5File from_disk = H5File::open_read(on_disk);
  EXPECT_TRUE(same_bytes(from_disk.root().read_dataset("layers/dense/vars/0"), kernel));
  if (have_h5dump()) {
    const std::vector<double> expected = h5dump_numbers(on_disk, "/layers/dense/vars/0");
    ASSERT_EQ(expected.size(), 15u);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(static_cast<double>(kernel.data<float>()[i]), expected[i]) << i;
    }
  }
}

TEST(H5Read, Float16AndBfloat16AsKerasWroteThem) {
  std::vector<std::byte> bytes = weights_member("keras-3.16/dtypes/model.keras");
  keras_test::TempDir dir;
  const fs::path on_disk = dir / "model.weights.h5";
  write_bytes(on_disk, bytes);
  H5File file = H5File::open_image(std::move(bytes), "dtypes/model.weights.h5");
  const H5Group root = file.root();

  const Tensor half = root.read_dataset("layers/dense/vars/0");
  EXPECT_EQ(half.dtype(), DType::float16);
  EXPECT_EQ(half.shape(), (keras::Shape{6, 4}));
  const Tensor brain = root.read_dataset("layers/dense_1/vars/1");
  EXPECT_EQ(brain.dtype(), DType::bfloat16);
  EXPECT_EQ(brain.shape(), (keras::Shape{4}));
  EXPECT_EQ(root.dataset_info("layers/dense_1/vars/0").dtype, DType::bfloat16);

  if (have_h5dump()) {
    const std::vector<double> expected = h5dump_numbers(on_disk, "/layers/dense/vars/0");
    ASSERT_EQ(expected.size(), 24u);
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(half.at(static_cast<std::int64_t>(i)), expected[i]);
    const std::vector<std::uint16_t> bits = h5dump_opaque16(on_disk, "/layers/dense_1/vars/1");
    ASSERT_EQ(bits.size(), 4u);
    for (std::size_t i = 0; i < bits.size(); ++i) EXPECT_EQ(brain.data<std::uint16_t>()[i], bits[i]) << i;
  }
}

TEST(H5Read, LegacyH5Attributes) {
  H5File file = H5File::open_read(keras_test::fixture_dir("legacy_h5") / "model.h5");
  const H5Group root = file.root();
  const auto config = nlohmann::json::parse(root.string_attr("model_config").value());
  EXPECT_TRUE(config.contains("class_name"));
  EXPECT_EQ(root.string_attr("keras_version"), "3.16.0");
  EXPECT_FALSE(root.string_attr("no_such_attribute").has_value());
  EXPECT_FALSE(root.numeric_attr("no_such_attribute").has_value());
  EXPECT_FALSE(root.numeric_attr("keras_version").has_value());  // a string, not numbers

  const H5Group weights = root.group("model_weights");
  EXPECT_EQ(weights.string_attr("keras_version"), "3.16.0");  // vlen ASCII (h5py 3 bytes)
  const std::vector<std::string> layer_names = weights.string_list_attr("layer_names");
  ASSERT_EQ(layer_names.size(), 4u);
  for (const std::string& name : layer_names) EXPECT_TRUE(weights.has_group(name)) << name;
  EXPECT_EQ(weights.group("dense_17").string_list_attr("weight_names"),
            (std::vector<std::string>{"dense_17/kernel", "dense_17/bias"}));
  // Layers without weights store an empty float64 array (h5py's []).
  EXPECT_TRUE(weights.group("input_layer_22").string_list_attr("weight_names").empty());
  EXPECT_EQ(weights.group("input_layer_22").numeric_attr("weight_names"), std::vector<double>{});
  EXPECT_THROW(weights.string_list_attr("missing"), keras::FormatError);
  EXPECT_EQ(weights.read_dataset("dense_17/dense_17/kernel").shape(), (keras::Shape{6, 8}));
}

// ------------------------------------------------------------------ writing

// One tensor per dtype, with values that exercise signs and extremes.
std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  std::vector<std::pair<std::string, Tensor>> out;
  const std::vector<float> floats = {0.0F, -1.5F, 3.25F, 1e-3F, -65504.0F, 0.1F};
  out.emplace_back("float32", Tensor::from_vector({2, 3}, floats));
  out.emplace_back("float64", Tensor::from_vector({3, 2}, floats).astype(DType::float64));
  out.emplace_back("float16", Tensor::from_vector({6}, floats).astype(DType::float16));
  out.emplace_back("bfloat16", Tensor::from_vector({1, 6}, floats).astype(DType::bfloat16));
  const std::vector<std::int64_t> small = {-128, -1, 0, 1, 127, 42};
  out.emplace_back("int8", Tensor::from_vector_i64({6}, small, DType::int8));
  out.emplace_back("int16", Tensor::from_vector_i64({6}, {-32768, -2, 0, 2, 32767, 7}, DType::int16));
  out.emplace_back("int32", Tensor::from_vector_i64({2, 3},
                                                    {std::numeric_limits<std::int32_t>::min(), -3, 0, 3,
                                                     std::numeric_limits<std::int32_t>::max(), 9},
                                                    DType::int32));
  out.emplace_back("int64", Tensor::from_vector_i64({3}, {std::numeric_limits<std::int64_t>::min(), 0,
                                                          std::numeric_limits<std::int64_t>::max()}));
  out.emplace_back("uint8", Tensor::from_vector_i64({4}, {0, 1, 200, 255}, DType::uint8));
  out.emplace_back("uint16", Tensor::from_vector_i64({2}, {0, 65535}, DType::uint16));
  out.emplace_back("uint32", Tensor::from_vector_i64({2}, {0, 4294967295LL}, DType::uint32));
  Tensor big_unsigned({2}, DType::uint64);
  big_unsigned.data<std::uint64_t>()[0] = 1;
  big_unsigned.data<std::uint64_t>()[1] = std::numeric_limits<std::uint64_t>::max();
  out.emplace_back("uint64", big_unsigned);
  out.emplace_back("bool", Tensor::from_vector_i64({2, 2}, {1, 0, 0, 1}, DType::bool_));
  out.emplace_back("scalar_float32", Tensor::scalar(2.5F));
  out.emplace_back("scalar_int64", Tensor::scalar(7.0F, DType::int64));
  out.emplace_back("scalar_bool", Tensor::scalar(1.0F, DType::bool_));
  out.emplace_back("empty", Tensor::zeros({0, 3}));
  return out;
}

TEST(H5Write, EveryDtypeRoundTripsThroughMemoryAndDisk) {
  const auto samples = sample_tensors();
  H5File file = H5File::create_in_memory("round_trip.h5");
  {
    H5Group group = file.root().create_group("tensors");
    for (const auto& [name, tensor] : samples) group.write_dataset(name, tensor);
  }
  std::vector<std::byte> image = file.image();
  keras_test::TempDir dir;
  const fs::path on_disk = dir / "round_trip.h5";
  write_bytes(on_disk, image);

  H5File from_memory = H5File::open_image(std::span<const std::byte>(image), "image");
  H5File from_disk = H5File::open_read(on_disk);
  for (const auto& [name, tensor] : samples) {
    const Tensor a = from_memory.root().group("tensors").read_dataset(name);
    const Tensor b = from_disk.root().read_dataset("tensors/" + name);
    EXPECT_TRUE(same_bytes(a, tensor)) << name;
    EXPECT_TRUE(same_bytes(b, tensor)) << name;
    const auto info = from_memory.root().dataset_info("tensors/" + name);
    EXPECT_EQ(info.shape, tensor.shape()) << name;
    EXPECT_EQ(info.dtype, tensor.dtype()) << name;
    EXPECT_EQ(info.declared_bytes, tensor.nbytes()) << name;
  }
  EXPECT_EQ(from_memory.root().group("tensors").children().size(), samples.size());
  // The writer itself still works after image(): more data, new image.
  file.root().write_dataset("late", Tensor::scalar(1.0F));
  H5File reopened = H5File::open_image(file.image(), "image2");
  EXPECT_EQ(reopened.root().read_dataset("late").item(), 1.0F);
}

TEST(H5Write, TypesAreWhatH5pyWrites) {
  if (!have_h5dump()) {
    std::printf("h5dump not installed: independent type check not run\n");
    return;
  }
  keras_test::TempDir dir;
  const fs::path path = dir / "types.h5";
  {
    H5File file = H5File::create(path);
    const H5Group root = file.root();
    for (const auto& [name, tensor] : sample_tensors()) root.write_dataset(name, tensor);
  }
  auto header = [&](const std::string& dataset) { return squash(h5dump("-H -p -d /" + dataset, path)); };
  const std::map<std::string, std::string> simple_types = {{"float32", "H5T_IEEE_F32LE"}, {"float64", "H5T_IEEE_F64LE"},
                                                           {"int8", "H5T_STD_I8LE"},      {"int16", "H5T_STD_I16LE"},
                                                           {"int32", "H5T_STD_I32LE"},    {"int64", "H5T_STD_I64LE"},
                                                           {"uint8", "H5T_STD_U8LE"},     {"uint16", "H5T_STD_U16LE"},
                                                           {"uint32", "H5T_STD_U32LE"},   {"uint64", "H5T_STD_U64LE"}};
  for (const auto& [name, type] : simple_types) {
    const std::string out = header(name);
    EXPECT_NE(out.find("DATATYPE " + type + " "), std::string::npos) << out;
    EXPECT_NE(out.find("STORAGE_LAYOUT { CONTIGUOUS"), std::string::npos) << out;
    EXPECT_NE(out.find("FILTERS { NONE }"), std::string::npos) << out;
  }
  // float16 is described exactly as for the float16 dataset Keras wrote.
  keras_test::TempDir fixture_dir;
  const fs::path keras_file = fixture_dir / "keras.h5";
  write_bytes(keras_file, weights_member("keras-3.16/dtypes/model.keras"));
  const std::string keras_half = squash(h5dump("-H -d /layers/dense/vars/0", keras_file));
  const std::string type_line = "DATATYPE 16-bit little-endian floating-point 16-bit precision";
  EXPECT_NE(keras_half.find(type_line), std::string::npos) << keras_half;
  EXPECT_NE(header("float16").find(type_line), std::string::npos) << header("float16");

  const std::string boolean = header("bool");
  EXPECT_NE(boolean.find("DATATYPE H5T_ENUM { H5T_STD_I8LE; \"FALSE\" 0; \"TRUE\" 1; }"), std::string::npos) << boolean;
  const std::string brain = header("bfloat16");
  EXPECT_NE(brain.find("DATATYPE H5T_OPAQUE { OPAQUE_TAG \"\"; }"), std::string::npos) << brain;
  EXPECT_NE(brain.find("ATTRIBUTE \"dtype\""), std::string::npos) << brain;
  EXPECT_NE(h5dump("-a /bfloat16/dtype", path).find("(0): \"bfloat16\""), std::string::npos);
  EXPECT_NE(header("scalar_int64").find("DATASPACE SCALAR"), std::string::npos);
  EXPECT_NE(header("empty").find("DATASPACE SIMPLE { ( 0, 3 ) / ( 0, 3 ) }"), std::string::npos);
  const std::vector<double> ints = h5dump_numbers(path, "/int16");
  EXPECT_EQ(ints, (std::vector<double>{-32768, -2, 0, 2, 32767, 7}));
}

// A file with the seed fixture's groups, datasets and attributes is described
// by h5dump exactly like the one h5py wrote for Keras (except storage offsets).
TEST(H5Write, SeedLayoutMatchesTheKerasFileStructure) {
  if (!have_h5dump()) {
    std::printf("h5dump not installed: structure comparison not run\n");
    return;
  }
  std::vector<std::byte> keras_bytes = weights_member("keras-3.16/seed_dense_softmax/model.keras");
  H5File keras_file = H5File::open_image(std::span<const std::byte>(keras_bytes), "seed");
  const H5Group keras_root = keras_file.root();

  H5File ours = H5File::create_in_memory("ours");
  {
    const H5Group root = ours.root();
    const H5Group layers = root.create_group("layers");
    const H5Group dense = layers.create_group("dense").create_group("vars");
    dense.set_string_attr("name", "dense");
    dense.write_dataset("0", keras_root.read_dataset("layers/dense/vars/0"));
    dense.write_dataset("1", keras_root.read_dataset("layers/dense/vars/1"));
    layers.create_group("softmax").create_group("vars").set_string_attr("name", "softmax");
    root.create_group("vars").set_string_attr("name", keras_root.group("vars").string_attr("name").value());
  }
  keras_test::TempDir dir;
  const fs::path ours_path = dir / "ours.h5";
  const fs::path keras_path = dir / "keras.h5";
  write_bytes(ours_path, ours.image());
  write_bytes(keras_path, keras_bytes);
  // Drop the first line (it names the file) and the storage offsets.
  auto comparable = [](const std::string& text) {
    return std::regex_replace(text.substr(text.find('\n') + 1), std::regex(R"( *OFFSET \d+\n)"), "");
  };
  EXPECT_EQ(comparable(h5dump("-p -A", ours_path)), comparable(h5dump("-p -A", keras_path)));
  // Values and attribute contents, too.
  EXPECT_EQ(comparable(h5dump("-d /layers/dense/vars/0", ours_path)),
            comparable(h5dump("-d /layers/dense/vars/0", keras_path)));
  EXPECT_EQ(comparable(h5dump("-A -g /vars", ours_path)), comparable(h5dump("-A -g /vars", keras_path)));
  // No timestamps anywhere (h5py's defaults).
  std::string listing;
  ASSERT_EQ(run_command("h5ls -vr '" + ours_path.string() + "'", &listing), 0) << listing;
  EXPECT_EQ(listing.find("Modified"), std::string::npos) << listing;
}

TEST(H5Write, StringAttributes) {
  H5File file = H5File::create_in_memory("attrs.h5");
  const H5Group group = file.root().create_group("g");
  group.set_string_attr("name", "dënse_1");
  group.set_string_attr("ascii", "numpy", H5StringKind::vlen_ascii);
  group.set_string_list_attr("layer_names", {"dense", "dropout_2", ""});
  group.set_string_list_attr("weight_names", {});
  EXPECT_EQ(group.string_attr("name"), "dënse_1");
  group.set_string_attr("name", "replaced");
  EXPECT_EQ(group.string_attr("name"), "replaced");
  EXPECT_TRUE(group.has_attr("ascii"));
  EXPECT_FALSE(group.has_attr("nope"));
  EXPECT_EQ(group.attr_names(), (std::vector<std::string>{"ascii", "layer_names", "name", "weight_names"}));

  H5File back = H5File::open_image(file.image(), "attrs.h5");
  const H5Group read = back.root().group("g");
  EXPECT_EQ(read.string_attr("name"), "replaced");
  EXPECT_EQ(read.string_attr("ascii"), "numpy");
  EXPECT_EQ(read.string_list_attr("layer_names"), (std::vector<std::string>{"dense", "dropout_2", ""}));
  EXPECT_TRUE(read.string_list_attr("weight_names").empty());
  EXPECT_EQ(read.string_list_attr("name"), std::vector<std::string>{"replaced"});
  EXPECT_FALSE(read.string_attr("layer_names").has_value());   // three strings, not one
  EXPECT_FALSE(read.string_attr("weight_names").has_value());  // not a string
  EXPECT_FALSE(read.string_attr("missing").has_value());
  EXPECT_EQ(read.numeric_attr("weight_names"), std::vector<double>{});
  EXPECT_FALSE(read.numeric_attr("name").has_value());

  EXPECT_THROW(group.set_string_attr("bad", std::string("a\0b", 3)), keras::ValueError);
  EXPECT_THROW(group.set_string_attr("a/b", "x"), keras::ValueError);
}

TEST(H5Write, RefusesBadNamesAndTargets) {
  H5File file = H5File::create_in_memory("names.h5");
  const H5Group root = file.root();
  root.create_group("g");
  root.write_dataset("d", Tensor::scalar(1.0F));
  EXPECT_THROW(root.create_group("g"), keras::ValueError);
  EXPECT_THROW(root.write_dataset("d", Tensor::scalar(1.0F)), keras::ValueError);
  EXPECT_THROW(root.create_group("a/b"), keras::ValueError);
  EXPECT_THROW(root.create_group(""), keras::ValueError);
  EXPECT_THROW(root.write_dataset("x", Tensor()), keras::ValueError);

  keras_test::TempDir dir;
  std::ofstream(dir / "file") << "x";
  const std::string message =
      expect_throw_message<keras::IOError>([&] { H5File::create(dir / "file" / "w.weights.h5"); });
  EXPECT_NE(message.find("w.weights.h5"), std::string::npos) << message;
}

// ------------------------------------------------------------------- guards

TEST(H5Guards, ExternalLinkIsRefusedAtEveryAccess) {
  H5File file =
      H5File::open_image(weights_member("malformed/h5_external_link.keras"), "h5_external_link.keras/model.weights.h5");
  const H5Group root = file.root();
  const H5Group vars = root.group("layers/dense/vars");
  for (const auto& access : std::vector<std::function<void()>>{
           [&] { vars.read_dataset("0"); }, [&] { vars.dataset_info("0"); },
           [&] { root.read_dataset("layers/dense/vars/0"); }, [&] { vars.has_dataset("0"); },
           [&] { vars.has_group("0"); }, [&] { vars.group("0"); }}) {
    const std::string message = expect_throw_message<keras::UnsafeContentError>(access);
    EXPECT_NE(message.find("Not allowed: H5 file with ExternalLink"), std::string::npos) << message;
    EXPECT_NE(message.find("h5_external_link.keras"), std::string::npos) << message;
    EXPECT_NE(message.find("/layers/dense/vars/0"), std::string::npos) << message;
  }
  EXPECT_TRUE(vars.has("0"));  // the link exists; it is just never followed
  EXPECT_NO_THROW(vars.read_dataset("1"));
}

TEST(H5Guards, GarbageAndNonHdf5FilesAreFormatErrors) {
  std::string message = expect_throw_message<keras::FormatError>(
      [] { H5File::open_image(weights_member("malformed/h5_garbage.keras"), "h5_garbage.keras/model.weights.h5"); });
  EXPECT_NE(message.find("h5_garbage.keras/model.weights.h5"), std::string::npos) << message;

  message = expect_throw_message<keras::FormatError>(
      [] { H5File::open_read(keras_test::data_path("malformed/manifest.json")); });
  EXPECT_NE(message.find("manifest.json"), std::string::npos) << message;
  EXPECT_THROW(H5File::open_read(keras_test::data_path("malformed/none.h5")), keras::FileNotFoundError);
  EXPECT_THROW(H5File::open_image(std::vector<std::byte>{}, "empty"), keras::FormatError);
}

TEST(H5Guards, StructureErrorsNameFileAndPath) {
  H5File file = H5File::open_image(weights_member("keras-3.16/seed_dense_softmax/model.keras"), "seed.h5");
  const H5Group root = file.root();
  std::string message = expect_throw_message<keras::FormatError>([&] { root.group("layers/dense/vars/0"); });
  EXPECT_NE(message.find("expected Group"), std::string::npos) << message;
  EXPECT_NE(message.find("seed.h5 at /layers/dense/vars/0"), std::string::npos) << message;
  message = expect_throw_message<keras::FormatError>([&] { root.read_dataset("layers/dense"); });
  EXPECT_NE(message.find("expected Dataset"), std::string::npos) << message;
  message = expect_throw_message<keras::FormatError>([&] { root.read_dataset("layers/dense/vars/7"); });
  EXPECT_NE(message.find("/layers/dense/vars/7"), std::string::npos) << message;
  message = expect_throw_message<keras::FormatError>([&] { root.group("layers/conv"); });
  EXPECT_NE(message.find("/layers/conv"), std::string::npos) << message;
  for (const char* bad : {"layers//dense", "", "/layers", "layers/", "layers/./dense", "layers/.."}) {
    message = expect_throw_message<keras::FormatError>([&] { root.group(bad); });
    EXPECT_NE(message.find("Invalid path in H5 file"), std::string::npos) << bad << ": " << message;
  }
}

TEST(H5Guards, OpaqueTwoByteDataWithoutMarkerIsAFormatError) {
  H5File file = H5File::create_in_memory("opaque.h5");
  file.root().write_dataset("w", Tensor::from_vector({2}, {1.0F, 2.0F}).astype(DType::bfloat16));
  std::vector<std::byte> image = file.image();
  // Rename the attribute "dtype" to "dtypx" in place: superblock v0 files
  // carry no checksums, so the result is a valid file without the marker.
  const std::string needle("dtype\0", 6);
  const std::string text(reinterpret_cast<const char*>(image.data()), image.size());
  const std::size_t at = text.find(needle);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(text.find(needle, at + 1), std::string::npos);
  image[at + 4] = std::byte{'x'};
  H5File patched = H5File::open_image(std::move(image), "patched.h5");
  const std::string message = expect_throw_message<keras::FormatError>([&] { patched.root().read_dataset("w"); });
  EXPECT_NE(message.find("bfloat16"), std::string::npos) << message;
  EXPECT_NE(message.find("patched.h5 at /w"), std::string::npos) << message;
}

TEST(H5Guards, ShapeBombThresholdAndMessage) {
  using keras::saving::check_h5_dataset_bomb;
  const std::uint64_t four_gib = std::uint64_t{1} << 32;
  EXPECT_NO_THROW(check_h5_dataset_bomb("0", four_gib, 0, "f"));
  EXPECT_NO_THROW(check_h5_dataset_bomb("0", 1000 * (four_gib / 100), four_gib / 100, "f"));  // exactly 1000x
  EXPECT_THROW(check_h5_dataset_bomb("0", 1000 * (four_gib / 100) + 1, four_gib / 100, "f"), keras::UnsafeContentError);
  const std::string message = expect_throw_message<keras::UnsafeContentError>(
      [&] { check_h5_dataset_bomb("0", 8 * four_gib, 0, "m.h5 at /layers/dense/vars/0"); });
  EXPECT_EQ(message,
            "Not allowed: H5 dataset '0' declares 32.00 GB but only 0.00 B are stored on disk; refusing to load a "
            "potential decompression/shape bomb. (m.h5 at /layers/dense/vars/0)");
}

// ------------------------------------------------------------------ handles

// libhdf5 1.10.8 follows a variable-length string into its global heap
// collection trusting the collection's sizes and indices (fuzz/README.md):
// each corruption below crashed, hung or over-allocated inside H5Aread before
// src/saving/h5_vlen_guard.cpp checked the collection first.
struct Corruption {
  const char* what;
  std::function<void(std::vector<std::byte>&)> apply;
  const char* message;
};

// Each corruption of `image` makes `read` throw a FormatError naming `context` and holding the
// corruption's message when the file is opened from memory (libhdf5's core driver), and a
// FormatError when it is opened from disk (the sec2 driver).
void expect_corruptions_refused(const std::vector<std::byte>& image, const std::string& name,
                                const std::vector<Corruption>& corruptions, const std::string& context,
                                const std::function<void(const H5File&)>& read) {
  const keras_test::TempDir dir;
  for (const Corruption& corruption : corruptions) {
    std::vector<std::byte> bytes = image;
    corruption.apply(bytes);
    try {
      read(H5File::open_image(bytes, name));
      ADD_FAILURE() << corruption.what << ": read without an error";
    } catch (const keras::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(corruption.message), std::string::npos)
          << corruption.what << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(context), std::string::npos) << e.what();
    }
    const fs::path path = dir / name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    EXPECT_THROW(read(H5File::open_read(path)), keras::FormatError) << corruption.what;
  }
}

TEST(H5Guards, CorruptGlobalHeapUnderAStringIsAFormatErrorBeforeLibhdf5ReadsIt) {
  H5File written = H5File::create_in_memory("strings.h5");
  written.root().create_group("g").set_string_attr("name", "replaced");
  const std::vector<std::byte> image = written.image();
  const std::string_view text(reinterpret_cast<const char*>(image.data()), image.size());
  const std::size_t heap = text.find("GCOL");
  ASSERT_NE(heap, std::string_view::npos);
  ASSERT_EQ(text.find("GCOL", heap + 1), std::string_view::npos);
  // Collection header (16 bytes), then object 1: index, references, reserved, size (8), "replaced".
  const std::size_t object = heap + 16;
  ASSERT_EQ(text.substr(object + 16, 8), "replaced");
  const auto put = [](std::vector<std::byte>& bytes, std::size_t at, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) bytes[at + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
  };
  const std::vector<Corruption> corruptions = {
      {"signature", [&](auto& b) { b[heap] = std::byte{'X'}; }, "is not a version 1 collection"},
      {"collection size past the file", [&](auto& b) { put(b, heap + 8, image.size(), 8); }, "declares"},
      {"object past the collection", [&](auto& b) { put(b, object + 8, 1 << 20, 8); }, "past its end"},
      {"object shorter than the string", [&](auto& b) { put(b, object + 8, 3, 8); }, "stored in an object of 3 bytes"},
      {"object index", [&](auto& b) { put(b, object, 7, 2); }, "names object 1, absent"},
      {"free space that never ends", [&](auto& b) { put(b, object + 24, 0, 2), put(b, object + 32, 0, 8); },
       "free-space entry"},
  };
  expect_corruptions_refused(image, "strings.h5", corruptions, "strings.h5 at /g (attribute 'name')",
                             [](const H5File& file) { (void)file.root().group("g").string_attr("name"); });
  // Untouched, both read the string.
  EXPECT_EQ(H5File::open_image(image, "strings.h5").root().group("g").string_attr("name"), "replaced");
}

// An old-style group's local heap (its member names) is checked when the group is opened, before
// libhdf5 reads its data segment on trust.
TEST(H5Guards, CorruptLocalHeapOfAGroupIsAFormatErrorBeforeLibhdf5ReadsIt) {
  H5File written = H5File::create_in_memory("groups.h5");
  H5Group g = written.root().create_group("g");
  g.create_group("inner");
  g.set_string_attr("label", "x");
  const std::vector<std::byte> image = written.image();
  const std::string_view text(reinterpret_cast<const char*>(image.data()), image.size());
  // The root group's heap comes first, then g's, then inner's.
  const std::size_t root_heap = text.find("HEAP");
  const std::size_t heap = text.find("HEAP", root_heap + 1);
  ASSERT_NE(heap, std::string_view::npos);
  const auto get = [&](std::size_t at) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<std::uint8_t>(image[at + i]);
    return value;
  };
  const std::uint64_t data_size = get(heap + 8);
  ASSERT_GT(data_size, 0u);
  ASSERT_EQ(get(heap + 24), heap + 32) << "a data segment right after the heap's header";
  // g's attribute message: version 1, reserved, the sizes of name, datatype and dataspace, "label".
  const std::size_t label = text.find("label");
  ASSERT_NE(label, std::string_view::npos);
  ASSERT_EQ(static_cast<int>(image[label - 8]), 1);
  ASSERT_EQ(static_cast<int>(image[label - 6]), 6);
  const auto put = [](std::vector<std::byte>& bytes, std::size_t at, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
  };
  const std::vector<Corruption> corruptions = {
      {"signature", [&](auto& b) { b[heap] = std::byte{'X'}; }, "has no local heap signature"},
      {"undefined data address", [&](auto& b) { put(b, heap + 24, ~std::uint64_t{0}); }, "past the end of the file"},
      {"data past the file", [&](auto& b) { put(b, heap + 24, image.size() - 8); }, "past the end of the file"},
      {"size that wraps", [&](auto& b) { put(b, heap + 8, ~std::uint64_t{0} - 167); }, "past the end of the file"},
      {"empty data segment", [&](auto& b) { put(b, heap + 8, 0); }, "has an empty data segment"},
      {"data over the header", [&](auto& b) { put(b, heap + 24, heap); }, "overlaps its own data segment"},
      {"free list past the data", [&](auto& b) { put(b, heap + 16, data_size); }, "free list past"},
      {"attribute name past its message", [&](auto& b) { b[label - 6] = std::byte{0xf0}; },
       "declares a name, datatype and dataspace of 240"},
      {"attribute name without its terminator", [&](auto& b) { b[label + 5] = std::byte{'!'}; },
       "is not terminated inside its message"},
  };
  expect_corruptions_refused(image, "groups.h5", corruptions, "Invalid HDF5 group (groups.h5 at /g)",
                             [](const H5File& file) { (void)file.root().group("g").has_group("inner"); });
  EXPECT_TRUE(H5File::open_image(image, "groups.h5").root().group("g").has_group("inner"));
}

// A STORED member of an archive opened by path: datasets come through pread() with the
// member's CRC-32 run alongside in file order; read out of that order, finish_crc_check()
// reads the member again. Either way a damaged byte is a CRC error, and the values are exact.
TEST(H5Read, DeferredCrcInAndOutOfFileOrder) {
  std::vector<float> first(5000);
  std::vector<float> second(3000);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<float>(i) * 0.5F;
  for (std::size_t i = 0; i < second.size(); ++i) second[i] = -static_cast<float>(i);
  H5File written = H5File::create_in_memory("w.h5");
  written.root().write_dataset("a", Tensor::from_vector({5000}, first));
  written.root().write_dataset("b", Tensor::from_vector({3000}, second));
  keras::saving::ZipWriter writer;
  writer.add("w.h5", written.image());
  const std::vector<std::byte> archive = writer.finish_to_memory();
  std::byte pattern[sizeof(float)];
  std::memcpy(pattern, &first[1000], sizeof(float));
  const auto inside_a = static_cast<std::size_t>(
      std::search(archive.begin(), archive.end(), std::begin(pattern), std::end(pattern)) - archive.begin());
  ASSERT_LT(inside_a, archive.size());

  const keras_test::TempDir dir;
  for (const bool damaged : {false, true}) {
    std::vector<std::byte> bytes = archive;
    if (damaged) bytes[inside_a + 2] ^= std::byte{0x04};
    std::ofstream(dir / "w.zip", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    for (const bool in_order : {true, false}) {
      const ZipReader zip = ZipReader::open(dir / "w.zip");
      const H5File file = keras::saving::open_zip_member(zip, "w.h5", "w.h5", true, keras::saving::CrcCheck::deferred);
      const H5Group root = file.root();
      const Tensor a = in_order ? root.read_dataset("a") : Tensor();
      const Tensor b = root.read_dataset("b");
      const Tensor a_again = in_order ? a : root.read_dataset("a");
      EXPECT_EQ(b.to_vector(), second);
      if (damaged) {
        EXPECT_NE(a_again.to_vector(), first);
        EXPECT_THROW(file.finish_crc_check(), keras::FormatError) << (in_order ? "in order" : "out of order");
      } else {
        EXPECT_EQ(a_again.to_vector(), first);
        EXPECT_NO_THROW(file.finish_crc_check()) << (in_order ? "in order" : "out of order");
      }
    }
  }
}

TEST(H5Handles, GroupsOutliveTheirFileAndImagesNeverMix) {
  Tensor first_value;
  H5Group survivor = [&] {
    H5File file = H5File::open_image(weights_member("keras-3.16/seed_dense_softmax/model.keras"), "same-name");
    return file.root().group("layers/dense/vars");
  }();
  EXPECT_EQ(survivor.read_dataset("0").shape(), (keras::Shape{3, 5}));

  // Two different images under one display name stay two files.
  H5File a = H5File::create_in_memory("same-name");
  a.root().write_dataset("v", Tensor::scalar(1.0F));
  H5File b = H5File::create_in_memory("same-name");
  b.root().write_dataset("v", Tensor::scalar(2.0F));
  H5File a_back = H5File::open_image(a.image(), "same-name");
  H5File b_back = H5File::open_image(b.image(), "same-name");
  EXPECT_EQ(a_back.root().read_dataset("v").item(), 1.0F);
  EXPECT_EQ(b_back.root().read_dataset("v").item(), 2.0F);

  H5File moved = std::move(a_back);
  EXPECT_EQ(moved.root().read_dataset("v").item(), 1.0F);
  moved.close();
  EXPECT_THROW(moved.root(), keras::ValueError);
}

TEST(H5Handles, ConcurrentReadersInSeparateThreads) {
  const std::vector<std::byte> bytes = weights_member("keras-3.16/seed_dense_softmax/model.keras");
  const Tensor expected =
      H5File::open_image(std::span<const std::byte>(bytes), "ref").root().read_dataset("layers/dense/vars/0");
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        H5File file = H5File::open_image(std::span<const std::byte>(bytes), "model.weights.h5");
        if (same_bytes(file.root().read_dataset("layers/dense/vars/0"), expected)) ++ok[static_cast<std::size_t>(t)];
        // Errors in this thread are reported as exceptions too (no HDF5 printing).
        try {
          file.root().read_dataset("missing");
        } catch (const keras::FormatError&) {
          ++ok[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, std::vector<int>(4, 40));
}

}  // namespace
