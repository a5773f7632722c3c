// ZipReader / ZipWriter (src/saving/zip_archive) and the atomic file and
// directory replacement they rely on (src/saving/atomic_write).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/error.hpp"
#include "saving/atomic_write.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using keras::saving::AtomicDirectory;
using keras::saving::ZipReader;
using keras::saving::ZipWriter;

std::vector<std::byte> to_bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  if (!text.empty()) std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::string to_string(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<std::byte> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return to_bytes(text);
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Runs a shell command, returns its exit status and captures stdout+stderr.
int run_command(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buffer{};
  output->clear();
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output->append(buffer.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_program(const std::string& name) {
  std::string ignored;
  return run_command("command -v " + name, &ignored) == 0;
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

// Reference CRC-32 (IEEE, reflected), bit by bit.
std::uint32_t reference_crc32(const std::vector<std::byte>& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::byte b : bytes) {
    crc ^= static_cast<std::uint8_t>(b);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::time_t local_time(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return std::mktime(&tm);
}

std::set<std::string> directory_listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
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

TEST(ZipReader, ReadsEveryMemberOfAKerasArchive) {
  const fs::path path = keras_test::fixture_dir("seed_dense_softmax") / "model.keras";
  ZipReader reader = ZipReader::open(path);
  EXPECT_EQ(reader.display_name(), path.string());
  const std::vector<std::string> expected = {"metadata.json", "config.json", "model.weights.h5"};
  EXPECT_EQ(reader.members(), expected);
  EXPECT_TRUE(reader.has("config.json"));
  EXPECT_FALSE(reader.has("config"));
  EXPECT_FALSE(reader.has("assets/"));

  for (const std::string& name : reader.members()) {
    const keras::saving::ZipEntryInfo info = reader.info(name);
    const std::vector<std::byte> bytes = reader.read(name);
    EXPECT_EQ(bytes.size(), info.size) << name;
    EXPECT_EQ(reference_crc32(bytes), info.crc) << name;
    // Facts of Keras' own archives (spec §1.1).
    EXPECT_EQ(info.method, 0) << name;
    EXPECT_EQ(info.compressed_size, info.size) << name;
    EXPECT_EQ(info.opsys, 3) << name;
    EXPECT_EQ(info.external_attributes, 0600u << 16) << name;
    EXPECT_FALSE(info.encrypted) << name;
  }
  const auto metadata = nlohmann::json::parse(to_string(reader.read("metadata.json")));
  EXPECT_EQ(metadata.at("keras_version"), "3.16.0");
  const auto config = nlohmann::json::parse(to_string(reader.read("config.json")));
  EXPECT_TRUE(config.contains("class_name"));
  const std::vector<std::byte> weights = reader.read("model.weights.h5");
  ASSERT_GE(weights.size(), 8u);
  EXPECT_EQ(to_string(std::vector<std::byte>(weights.begin(), weights.begin() + 8)), "\x89HDF\r\n\x1a\n");
  EXPECT_EQ(reader.info("metadata.json").mtime, local_time(1980, 1, 1, 0, 0, 0));
  EXPECT_NO_THROW(reader.check_extraction_bombs());
}

TEST(ZipReader, InMemoryArchiveMatchesFile) {
  const fs::path path = keras_test::fixture_dir("seed_dense_softmax") / "model.keras";
  ZipReader from_file = ZipReader::open(path);
  const std::vector<std::byte> archive = read_file(path);
  ZipReader from_span = ZipReader::from_memory(std::span<const std::byte>(archive), "span.keras");
  ZipReader from_vector = ZipReader::from_memory(std::vector<std::byte>(archive), "vector.keras");
  EXPECT_EQ(from_span.display_name(), "span.keras");
  EXPECT_EQ(from_span.members(), from_file.members());
  EXPECT_EQ(from_vector.members(), from_file.members());
  for (const std::string& name : from_file.members()) {
    EXPECT_EQ(from_span.read(name), from_file.read(name)) << name;
    EXPECT_EQ(from_vector.read(name), from_file.read(name)) << name;
  }
  ZipReader moved = std::move(from_span);
  EXPECT_EQ(moved.read("config.json"), from_file.read("config.json"));
}

TEST(ZipReader, MissingMemberAndSizeLimit) {
  ZipReader reader = ZipReader::open(keras_test::fixture_dir("seed_dense_softmax") / "model.keras");
  std::string message = expect_throw_message<keras::FormatError>([&] { reader.read("nope.json"); });
  EXPECT_NE(message.find("nope.json"), std::string::npos) << message;
  EXPECT_NE(message.find("model.keras"), std::string::npos) << message;

  const std::uint64_t size = reader.info("metadata.json").size;
  EXPECT_EQ(reader.read("metadata.json", size).size(), size);
  message = expect_throw_message<keras::UnsafeContentError>([&] { reader.read("metadata.json", size - 1); });
  EXPECT_NE(message.find("metadata.json"), std::string::npos) << message;
}

TEST(ZipReader, MalformedArchivesRaiseTypedErrorsNamingTheFile) {
  struct Case {
    const char* file;
    bool unsafe;
  };
  for (const Case& c : {Case{"empty.keras", false}, Case{"not_a_zip.keras", false}, Case{"truncated.keras", false},
                        Case{"path_traversal.keras", true}}) {
    const fs::path path = keras_test::data_path(std::string("malformed/") + c.file);
    std::string message;
    if (c.unsafe) {
      message = expect_throw_message<keras::UnsafeContentError>([&] { ZipReader::open(path); });
      EXPECT_NE(message.find("../escape.txt"), std::string::npos) << message;
    } else {
      message = expect_throw_message<keras::FormatError>([&] { ZipReader::open(path); });
    }
    EXPECT_NE(message.find(c.file), std::string::npos) << message;

    // The same bytes from memory fail the same way.
    const std::vector<std::byte> bytes = read_file(path);
    if (c.unsafe) {
      EXPECT_THROW(ZipReader::from_memory(std::span<const std::byte>(bytes), c.file), keras::UnsafeContentError);
    } else {
      EXPECT_THROW(ZipReader::from_memory(std::span<const std::byte>(bytes), c.file), keras::FormatError);
    }
  }
  const fs::path missing = keras_test::data_path("malformed/does_not_exist.keras");
  const std::string message = expect_throw_message<keras::FileNotFoundError>([&] { ZipReader::open(missing); });
  EXPECT_NE(message.find("does_not_exist.keras"), std::string::npos) << message;
}

// Keras archives are STORED, but recompressed ones (DEFLATE) and streamed ones
// (data descriptors, Zip64 extra fields) must read too (spec §1.1).
TEST(ZipReader, DeflatedAndStreamedArchivesAreRead) {
  if (!have_program("zip")) {
    std::printf("zip not installed: DEFLATE/data-descriptor archives not built\n");
    return;
  }
  keras_test::TempDir dir;
  std::string text;
  for (int i = 0; text.size() < 200000; ++i) text += "layer " + std::to_string(i % 97) + " weights\n";
  write_file(dir / "config.json", text);
  std::string out;
  const std::string d = "'" + dir.path().string() + "'";
  ASSERT_EQ(run_command("cd " + d + " && zip -q -9 deflated.zip config.json", &out), 0) << out;
  // Piped output is not seekable, so zip writes data descriptors after the data.
  ASSERT_EQ(run_command("cd " + d + " && cat config.json | zip -q - - | cat > streamed.zip", &out), 0) << out;

  ZipReader deflated = ZipReader::open(dir / "deflated.zip");
  EXPECT_EQ(deflated.info("config.json").method, 8);
  EXPECT_LT(deflated.info("config.json").compressed_size, text.size());
  EXPECT_EQ(to_string(deflated.read("config.json")), text);

  ZipReader streamed = ZipReader::open(dir / "streamed.zip");
  EXPECT_EQ(streamed.members(), std::vector<std::string>{"-"});
  EXPECT_EQ(to_string(streamed.read("-")), text);
}

TEST(ZipReader, MemberNameRules) {
  using keras::saving::unsafe_member_name_reason;
  EXPECT_EQ(unsafe_member_name_reason("model.weights.h5"), "");
  EXPECT_EQ(unsafe_member_name_reason("assets/layers/string_lookup/vocabulary.txt"), "");
  EXPECT_EQ(unsafe_member_name_reason("assets/"), "");
  EXPECT_EQ(unsafe_member_name_reason("a..b/c.."), "");
  EXPECT_NE(unsafe_member_name_reason(""), "");
  EXPECT_NE(unsafe_member_name_reason("/etc/passwd"), "");
  EXPECT_NE(unsafe_member_name_reason("../escape.txt"), "");
  EXPECT_NE(unsafe_member_name_reason("assets/../../escape.txt"), "");
  EXPECT_NE(unsafe_member_name_reason("assets/.."), "");
  EXPECT_NE(unsafe_member_name_reason("assets\\x.txt"), "");
  EXPECT_NE(unsafe_member_name_reason(std::string_view("a\0b", 3)), "");
}

TEST(ZipReader, BombGuardsUseKerasThresholdsAndMessages) {
  using keras::saving::check_zip_extract_bomb;
  using keras::saving::check_zip_member_bomb;
  const std::uint64_t four_gib = std::uint64_t{1} << 32;
  EXPECT_NO_THROW(check_zip_member_bomb("m", four_gib, 0));          // not above the floor
  const std::uint64_t declared = 5 * four_gib;                       // 21474836480 = 100 * 214748364.8
  EXPECT_NO_THROW(check_zip_member_bomb("m", declared, 214748365));  // ratio just under 100
  EXPECT_THROW(check_zip_member_bomb("m", declared, 214748364), keras::UnsafeContentError);
  EXPECT_NO_THROW(check_zip_member_bomb("m", 100 * (four_gib / 50), four_gib / 50));  // exactly 100x
  const std::string message = expect_throw_message<keras::UnsafeContentError>(
      [&] { check_zip_member_bomb("model.weights.h5", 5 * four_gib, 1536); });
  EXPECT_EQ(message,
            "Not allowed: ZIP member 'model.weights.h5' declares 20.00 GB but only 1.50 KB are stored on disk; "
            "refusing to load a potential decompression bomb.");

  const std::uint64_t floor = std::uint64_t{1} << 28;
  EXPECT_NO_THROW(check_zip_extract_bomb("a", floor, 1));
  EXPECT_THROW(check_zip_extract_bomb("a", floor + 1, 1), keras::UnsafeContentError);
  EXPECT_NO_THROW(check_zip_member_bomb("a", floor + 1, 1));  // the in-memory guard has a 4 GiB floor

  EXPECT_EQ(keras::saving::readable_memory_size(12), "12.00 B");
  EXPECT_EQ(keras::saving::readable_memory_size(1023), "1023.00 B");
  EXPECT_EQ(keras::saving::readable_memory_size(1024), "1.00 KB");
  EXPECT_EQ(keras::saving::readable_memory_size(3.5 * 1024 * 1024), "3.50 MB");
}

// ------------------------------------------------------------------ writing

struct WrittenMember {
  std::string name;
  std::string content;
  std::optional<std::time_t> mtime;
};

std::vector<WrittenMember> sample_members() {
  return {
      {"metadata.json", R"({"keras_version": "3.16.0", "date_saved": "2026-01-02@03:04:05"})", std::nullopt},
      {"config.json", R"({"module": "keras", "class_name": "Sequential"})", std::nullopt},
      {"assets/layers/string_lookup/vocabulary.txt", "a\nb\nc\n", local_time(2026, 1, 2, 3, 4, 5)},
      {"model.weights.h5", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(3000, '\0') + "tail",
       local_time(2024, 7, 8, 9, 10, 11)},
      {"empty.bin", "", local_time(2001, 2, 3, 4, 5, 6)},
  };
}

TEST(ZipWriter, WritesStoredMembersInOrderWithCrcTimesAndAttributes) {
  keras_test::TempDir dir;
  const fs::path path = dir / "written.keras";
  ZipWriter writer;
  const auto members = sample_members();
  for (const auto& m : members) writer.add(m.name, to_bytes(m.content), m.mtime);
  writer.finish_to_file(path);
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"written.keras"});  // no temp files left

  ZipReader reader = ZipReader::open(path);
  std::vector<std::string> names;
  for (const auto& m : members) names.push_back(m.name);
  EXPECT_EQ(reader.members(), names);  // call order, no directory entries
  for (const auto& m : members) {
    const auto info = reader.info(m.name);
    const std::vector<std::byte> content = to_bytes(m.content);
    EXPECT_EQ(reader.read(m.name), content) << m.name;
    EXPECT_EQ(info.method, 0) << m.name;
    EXPECT_EQ(info.size, content.size()) << m.name;
    EXPECT_EQ(info.compressed_size, content.size()) << m.name;
    EXPECT_EQ(info.crc, reference_crc32(content)) << m.name;
    EXPECT_EQ(info.opsys, 3) << m.name;
    EXPECT_EQ(info.external_attributes, 0600u << 16) << m.name;
    // DOS times have a 2-second resolution; nullopt is 1980-01-01 00:00:00.
    const std::time_t expected = m.mtime ? *m.mtime - (*m.mtime % 2) : local_time(1980, 1, 1, 0, 0, 0);
    EXPECT_EQ(info.mtime, expected) << m.name;
  }

  if (have_program("zipinfo")) {
    std::string out;
    ASSERT_EQ(run_command("zipinfo -v '" + path.string() + "'", &out), 0) << out;
    EXPECT_EQ(count_occurrences(out, "compression method:                             none (stored)"), members.size())
        << out;
    EXPECT_EQ(count_occurrences(out, "extended local header:                          no"), members.size()) << out;
    EXPECT_EQ(count_occurrences(out, "file last modified on (DOS date/time):          1980 Jan 1 00:00:00"), 2u) << out;
    EXPECT_EQ(count_occurrences(out, "file last modified on (DOS date/time):          2024 Jul 8 09:10:10"), 1u) << out;
    EXPECT_EQ(count_occurrences(out, "Unix file attributes (000600 octal):            ?rw-------"), members.size())
        << out;
    EXPECT_EQ(count_occurrences(out, "file system or operating system of origin:      Unix"), members.size()) << out;
    EXPECT_NE(out.find("There is no zipfile comment."), std::string::npos) << out;
    EXPECT_EQ(count_occurrences(out, "length of extra field:                          0 bytes"), members.size()) << out;
  } else {
    std::printf("zipinfo not installed: independent header check not run\n");
  }
  if (have_program("unzip")) {
    std::string out;
    EXPECT_EQ(run_command("unzip -t '" + path.string() + "'", &out), 0) << out;
    EXPECT_NE(out.find("No errors detected"), std::string::npos) << out;
  } else {
    std::printf("unzip not installed: independent integrity check not run\n");
  }
}

TEST(ZipWriter, InMemoryArchiveReadsBack) {
  ZipWriter writer;
  writer.add("config.json", std::span<const std::byte>(to_bytes("{}")));
  writer.add("model.weights.h5", to_bytes(std::string(100000, 'x')), std::time(nullptr));
  std::vector<std::byte> archive = writer.finish_to_memory();
  ZipReader reader = ZipReader::from_memory(std::move(archive), "memory.keras");
  EXPECT_EQ(reader.members(), (std::vector<std::string>{"config.json", "model.weights.h5"}));
  EXPECT_EQ(to_string(reader.read("model.weights.h5")), std::string(100000, 'x'));
  EXPECT_THROW(writer.add("late.json", to_bytes("{}")), keras::ValueError);
  EXPECT_THROW(writer.finish_to_memory(), keras::ValueError);
}

// A member written in place by its producer gives the same archive, byte for byte, as the same
// bytes added to an in-memory writer: headers, CRC-32, sizes, and the members after it.
TEST(ZipWriter, MemberWrittenInPlaceGivesTheSameArchive) {
  const std::time_t mtime = local_time(2024, 7, 8, 9, 10, 11);
  std::string weights(3 * 1024 * 1024 + 17, '\0');  // several of the reader's chunks
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<char>((i * 131) ^ (i >> 9));
  weights[weights.size() / 2] = 0;

  ZipWriter reference;
  reference.add("metadata.json", to_bytes("{}"));
  reference.add("model.weights.h5", to_bytes(weights), mtime);
  reference.add("assets/after.txt", to_bytes("after"), mtime);
  const std::vector<std::byte> expected = reference.finish_to_memory();

  keras_test::TempDir dir;
  const fs::path path = dir / "in_place.keras";
  keras::saving::stream_file_atomically(path, [&](int fd, const fs::path&) {
    ZipWriter writer(fd);
    writer.add("metadata.json", to_bytes("{}"));
    std::uint64_t produced_at = 0;
    writer.add_in_place("model.weights.h5", weights.size() + 4096, mtime, [&](int out, std::uint64_t offset) {
      produced_at = offset;
      // Out of order and with a hole, as HDF5 writes: the tail first, then the head.
      const std::size_t half = weights.size() / 2;
      EXPECT_EQ(
          ::pwrite(out, weights.data() + half + 1, weights.size() - half - 1, static_cast<off_t>(offset + half + 1)),
          static_cast<ssize_t>(weights.size() - half - 1));
      EXPECT_EQ(::pwrite(out, weights.data(), half, static_cast<off_t>(offset)), static_cast<ssize_t>(half));
      return static_cast<std::uint64_t>(weights.size());
    });
    writer.add("assets/after.txt", to_bytes("after"), mtime);
    writer.finish(path.string());
    EXPECT_EQ(produced_at, 30 + 13 + 2 + 30 + 16);  // two local headers and the first member's data
  });
  EXPECT_EQ(read_file(path), expected);
}

TEST(ZipWriter, InPlaceProducerErrorsReachTheCaller) {
  keras_test::TempDir dir;
  const fs::path path = dir / "failed.keras";
  write_file(path, "old content");
  EXPECT_THROW(keras::saving::stream_file_atomically(path,
                                                     [&](int fd, const fs::path&) {
                                                       ZipWriter writer(fd);
                                                       writer.add("metadata.json", to_bytes("{}"));
                                                       writer.add_in_place(
                                                           "model.weights.h5", 100, std::nullopt,
                                                           [](int, std::uint64_t) -> std::uint64_t {
                                                             throw keras::FormatError("producer failed");
                                                           });
                                                       writer.finish(path.string());
                                                     }),
               keras::FormatError);
  EXPECT_EQ(to_string(read_file(path)), "old content");
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"failed.keras"});

  ZipWriter in_memory;  // nowhere to write in place
  EXPECT_THROW(in_memory.add_in_place("w.h5", 1, std::nullopt, [](int, std::uint64_t) { return std::uint64_t{0}; }),
               keras::ValueError);
}

TEST(ZipReader, CorruptedMemberDataFailsTheCrcCheck) {
  ZipWriter writer;
  writer.add("config.json", to_bytes("{\"class_name\": \"Sequential\"}"));
  std::vector<std::byte> archive = writer.finish_to_memory();
  const std::string text = to_string(archive);
  const std::size_t at = text.find("Sequential");
  ASSERT_NE(at, std::string::npos);
  archive[at] = std::byte{'s'};
  ZipReader reader = ZipReader::from_memory(std::move(archive), "corrupt.keras");
  const std::string message = expect_throw_message<keras::FormatError>([&] { reader.read("config.json"); });
  EXPECT_NE(message.find("corrupt.keras"), std::string::npos) << message;
  EXPECT_NE(message.find("config.json"), std::string::npos) << message;
}

// A STORED member is handed out where it lies in the archive (no copy), with the
// CRC-32 checked as read() checks it; a compressed one is left to read().
TEST(ZipReader, StoredMembersAreReadInPlace) {
  ZipWriter writer;
  writer.add("config.json", to_bytes("{}"));
  std::string weights;
  for (int i = 0; weights.size() < 300000; ++i) weights += "weight " + std::to_string(i) + "\n";
  writer.add("model.weights.h5", to_bytes(weights));
  std::vector<std::byte> archive = writer.finish_to_memory();
  const std::span<const std::byte> all(archive);

  ZipReader reader = ZipReader::view(all, "view.keras");
  const auto in_place = reader.read_in_place("model.weights.h5");
  ASSERT_TRUE(in_place.has_value());
  EXPECT_GE(in_place->bytes.data(), all.data());
  EXPECT_LE(in_place->bytes.data() + in_place->bytes.size(), all.data() + all.size());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in_place->bytes.data()), in_place->bytes.size()), weights);
  EXPECT_EQ(to_string(reader.read("model.weights.h5")), weights);
  EXPECT_THROW(reader.read_in_place("model.weights.h5", 1000), keras::UnsafeContentError);
  EXPECT_THROW(reader.read_in_place("absent.json"), keras::FormatError);

  // The same through a mapped file.
  keras_test::TempDir dir;
  writer = ZipWriter();
  writer.add("model.weights.h5", to_bytes(weights));
  writer.finish_to_file(dir / "mapped.keras");
  ZipReader mapped = ZipReader::open(dir / "mapped.keras");
  const auto from_file = mapped.read_in_place("model.weights.h5");
  ASSERT_TRUE(from_file.has_value());
  EXPECT_NE(from_file->keep_alive, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(from_file->bytes.data()), from_file->bytes.size()), weights);

  // One flipped byte: the CRC check refuses it unless told not to check.
  const std::size_t at = to_string(archive).find("weight 777\n");
  ASSERT_NE(at, std::string::npos);
  archive[at] = std::byte{'W'};
  ZipReader corrupt = ZipReader::view(std::span<const std::byte>(archive), "corrupt.keras");
  const std::string message =
      expect_throw_message<keras::FormatError>([&] { corrupt.read_in_place("model.weights.h5"); });
  EXPECT_NE(message.find("corrupt.keras"), std::string::npos) << message;
  EXPECT_NE(message.find("model.weights.h5"), std::string::npos) << message;
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;
  const auto unchecked = corrupt.read_in_place("model.weights.h5", keras::saving::kNoSizeLimit, false);
  ASSERT_TRUE(unchecked.has_value());
  EXPECT_EQ(static_cast<char>(unchecked->bytes[at - (in_place->bytes.data() - all.data())]), 'W');
}

TEST(ZipReader, CompressedMembersAreNotReadInPlace) {
  if (!have_program("zip")) {
    std::printf("zip not installed: no DEFLATE archive built\n");
    return;
  }
  keras_test::TempDir dir;
  write_file(dir / "config.json", std::string(100000, 'k'));
  std::string out;
  ASSERT_EQ(run_command("cd '" + dir.path().string() + "' && zip -q -9 deflated.zip config.json", &out), 0) << out;
  ZipReader deflated = ZipReader::open(dir / "deflated.zip");
  EXPECT_FALSE(deflated.read_in_place("config.json").has_value());
  EXPECT_EQ(to_string(deflated.read("config.json")), std::string(100000, 'k'));
}

TEST(ZipWriter, RefusesBadAndDuplicateNames) {
  ZipWriter writer;
  writer.add("config.json", to_bytes("{}"));
  EXPECT_THROW(writer.add("config.json", to_bytes("{}")), keras::ValueError);
  EXPECT_THROW(writer.add("../escape.txt", to_bytes("x")), keras::ValueError);
  EXPECT_THROW(writer.add("/abs.txt", to_bytes("x")), keras::ValueError);
  EXPECT_THROW(writer.add("assets\\x.txt", to_bytes("x")), keras::ValueError);
  EXPECT_THROW(writer.add("", to_bytes("x")), keras::ValueError);
  ZipReader reader = ZipReader::from_memory(writer.finish_to_memory());
  EXPECT_EQ(reader.members(), std::vector<std::string>{"config.json"});

  ZipWriter empty;
  EXPECT_THROW(empty.finish_to_memory(), keras::ValueError);
}

TEST(ZipWriter, FailedFinishLeavesExistingFileUntouched) {
  keras_test::TempDir dir;
  write_file(dir / "blocker", "not a directory");
  ZipWriter writer;
  writer.add("config.json", to_bytes("{}"));
  const std::string message =
      expect_throw_message<keras::IOError>([&] { writer.finish_to_file(dir / "blocker" / "model.keras"); });
  EXPECT_NE(message.find("model.keras"), std::string::npos) << message;
  EXPECT_EQ(keras_test::read_text_file(dir / "blocker"), "not a directory");
}

// ------------------------------------------------------------- atomic write

TEST(AtomicWrite, CreatesAndReplacesFilesWithoutLeftovers) {
  keras_test::TempDir dir;
  const fs::path target = dir / "model.keras";
  keras::saving::write_file_atomically(target, to_bytes("first"));
  EXPECT_EQ(keras_test::read_text_file(target), "first");
  keras::saving::write_file_atomically(target, to_bytes("second, longer"));
  EXPECT_EQ(keras_test::read_text_file(target), "second, longer");
  keras::saving::write_file_atomically(target, {});
  EXPECT_EQ(fs::file_size(target), 0u);
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"model.keras"});
}

TEST(AtomicWrite, FailingProducerLeavesOldFileByteIdentical) {
  keras_test::TempDir dir;
  const fs::path target = dir / "model.weights.h5";
  const std::string original = std::string("old content\0with a NUL", 23);
  write_file(target, original);

  fs::path seen_temp;
  const std::string message = expect_throw_message<keras::IOError>([&] {
    keras::saving::replace_file_atomically(target, [&](const fs::path& temp) {
      seen_temp = temp;
      EXPECT_EQ(temp.parent_path(), target.parent_path());
      write_file(temp, "partial new cont");
      throw std::runtime_error("disk full (simulated)");
    });
  });
  EXPECT_NE(message.find("disk full (simulated)"), std::string::npos) << message;
  EXPECT_NE(message.find("model.weights.h5"), std::string::npos) << message;
  EXPECT_EQ(keras_test::read_text_file(target), original);
  EXPECT_FALSE(fs::exists(seen_temp));
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"model.weights.h5"});

  // keras errors from the producer keep their type.
  EXPECT_THROW(
      keras::saving::replace_file_atomically(target, [](const fs::path&) { throw keras::FormatError("bad weights"); }),
      keras::FormatError);
  EXPECT_EQ(keras_test::read_text_file(target), original);

  keras::saving::replace_file_atomically(target, [](const fs::path& temp) { write_file(temp, "new"); });
  EXPECT_EQ(keras_test::read_text_file(target), "new");
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"model.weights.h5"});
}

TEST(AtomicWrite, ImpossibleTargetsRaiseIOErrorAndChangeNothing) {
  keras_test::TempDir dir;
  write_file(dir / "file", "content");
  std::string message = expect_throw_message<keras::IOError>(
      [&] { keras::saving::write_file_atomically(dir / "file" / "x.keras", to_bytes("data")); });
  EXPECT_NE(message.find("x.keras"), std::string::npos) << message;
  EXPECT_EQ(keras_test::read_text_file(dir / "file"), "content");

  // A non-empty directory cannot be replaced by a file.
  fs::create_directory(dir / "occupied.keras");
  write_file(dir / "occupied.keras" / "inner", "keep");
  message = expect_throw_message<keras::IOError>(
      [&] { keras::saving::write_file_atomically(dir / "occupied.keras", to_bytes("data")); });
  EXPECT_NE(message.find("occupied.keras"), std::string::npos) << message;
  EXPECT_EQ(keras_test::read_text_file(dir / "occupied.keras" / "inner"), "keep");
  EXPECT_EQ(directory_listing(dir.path()), (std::set<std::string>{"file", "occupied.keras"}));
}

TEST(AtomicDirectory, CommitCreatesReplacesOrRefuses) {
  keras_test::TempDir dir;
  const fs::path target = dir / "saved_model";
  {
    AtomicDirectory staging(target, /*overwrite=*/false);
    EXPECT_EQ(staging.path().parent_path(), dir.path());
    write_file(staging.path() / "config.json", "{\"v\": 1}");
    fs::create_directory(staging.path() / "assets");
    EXPECT_FALSE(fs::exists(target));
    staging.commit();
  }
  EXPECT_EQ(keras_test::read_text_file(target / "config.json"), "{\"v\": 1}");
  EXPECT_TRUE(fs::is_directory(target / "assets"));
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"saved_model"});

  EXPECT_THROW(AtomicDirectory(target, /*overwrite=*/false), keras::FileExistsError);

  {
    AtomicDirectory staging(target, /*overwrite=*/true);
    write_file(staging.path() / "config.json", "{\"v\": 2}");
    staging.commit();
  }
  EXPECT_EQ(keras_test::read_text_file(target / "config.json"), "{\"v\": 2}");
  EXPECT_FALSE(fs::exists(target / "assets"));  // old content replaced, not merged
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"saved_model"});

  {
    AtomicDirectory abandoned(target, /*overwrite=*/true);
    write_file(abandoned.path() / "config.json", "{\"v\": 3}");
  }  // not committed: removed, target untouched
  EXPECT_EQ(keras_test::read_text_file(target / "config.json"), "{\"v\": 2}");
  EXPECT_EQ(directory_listing(dir.path()), std::set<std::string>{"saved_model"});
}

}  // namespace
