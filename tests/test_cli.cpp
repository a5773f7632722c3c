// The keras-cpp command line as a user runs it: the installed binary
// (cmake --install into a scratch prefix, a CTest fixture), its output text,
// the files it writes, its exit codes and error messages, and a session in a
// pseudo-terminal for the overwrite prompt and the progress bar.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstdio>  // jpeglib.h needs FILE first

#include <jpeglib.h>
#include <png.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "keras/keras.hpp"
#include "keras/utils.hpp"
#include "support/cli_run.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::data_path;
using keras_test::fixture_dir;
using keras_test::read_text_file;
using keras_test::TempDir;

const std::string kCli = KERAS_INSTALLED_CLI;
using Run = keras_test::CliRun;
using keras_test::shell_quote;

// Runs the installed keras-cpp with COLUMNS=100 (the width Keras' summaries were printed at).
Run run(const std::vector<std::string>& args, const std::string& env = "COLUMNS=100") {
  return keras_test::run_program(kCli, args, env);
}

using keras_test::count_lines;

std::string model_path(const std::string& case_name) { return (fixture_dir(case_name) / "model.keras").string(); }

// One error line on stderr that names `what`, nothing on stdout.
void expect_one_error_line(const Run& r, const std::string& what) {
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
}

// ------------------------------------------------------------------ terminal sessions

struct TerminalRun {
  int status = -1;
  std::string screen;  // everything the program wrote to the terminal
};

// Whether this machine can open a pseudo-terminal: a chroot without devpts
// mounted on /dev/pts (../shared/tools/fresh-machine's) cannot, and the
// terminal tests then have nothing to run on.
bool pseudo_terminals_available() {
  const int fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0) return false;
  close(fd);
  return true;
}
#define REQUIRE_PSEUDO_TERMINAL() \
  if (!pseudo_terminals_available()) GTEST_SKIP() << "no pseudo-terminal here (is devpts mounted on /dev/pts?)"

// Runs keras-cpp on a pseudo-terminal (stdin, stdout and stderr all on it).
// When the output contains `prompt`, `answer` is typed.
TerminalRun run_on_terminal(const std::vector<std::string>& args, const std::string& prompt = "",
                            const std::string& answer = "") {
  std::vector<std::string> argv_storage = {kCli};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  winsize size{};
  size.ws_col = 100;
  size.ws_row = 40;
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  TerminalRun r;
  bool answered = prompt.empty();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      std::array<char, 4096> buffer{};
      const ssize_t n = read(master, buffer.data(), buffer.size());
      if (n <= 0) break;  // EIO: the program closed the terminal
      r.screen.append(buffer.data(), static_cast<std::size_t>(n));
    }
    if (!answered && r.screen.find(prompt) != std::string::npos) {
      const std::string line = answer + "\n";
      EXPECT_EQ(write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  EXPECT_TRUE(answered) << "the prompt '" << prompt << "' never came:\n" << r.screen;
  return r;
}

// ------------------------------------------------------------------ usage

TEST(Cli, HelpAndVersionExitZero) {
  auto r = run({"--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* command : {"info", "predict", "convert", "diff", "plot", "check", "fit", "evaluate"})
    EXPECT_NE(r.out.find(command), std::string::npos) << command << " missing from --help:\n" << r.out;
  EXPECT_EQ(r.out.find("completion"), std::string::npos) << "the completion command is hidden";
  r = run({"predict", "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* option : {"--input", "--x", "--output", "-o", "--weights", "--batch-size", "--overwrite", "--top-k",
                             "--rescale", "--quiet"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option << " missing:\n" << r.out;
  for (const char* command : {"info", "convert", "diff", "plot", "check", "fit", "evaluate"}) {
    r = run({command, "--help"});
    EXPECT_EQ(r.status, 0) << command;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
  r = run({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("keras-cpp 0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string("Keras ") + keras::saving::kKerasVersion + " format"), std::string::npos) << r.out;
}

TEST(Cli, BadUsageExitsTwoWithOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"info"},
           {"info", model_path("seed_dense_softmax"), "--no-such-option"},
           {"predict", model_path("seed_dense_softmax")},
           {"predict", model_path("seed_dense_softmax"), "--x", "a.npy", "--batch-size", "0"},
           {"plot", model_path("seed_dense_softmax"), "-o", "m.svg", "--rankdir", "UP"},
           {"convert", model_path("seed_dense_softmax"), "x.keras", "--quantize", "int3"},
           {"diff", model_path("seed_dense_softmax")}}) {
    keras_test::expect_usage_error(run(args), args);
  }
}

TEST(Cli, ErrorsExitOneWithOneLineNamingTheFile) {
  TempDir tmp;
  auto r = run({"info", (tmp / "missing.keras").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "missing.keras");
  r = run({"info", data_path("malformed/bad_json.keras").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "bad_json.keras");
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  r = run({"predict", data_path("malformed/shape_mismatch.keras").string(), "--x",
           (fixture_dir("multi_io") / "x0.npy").string(), "-o", (tmp / "y.npz").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "shape_mismatch.keras");
  EXPECT_NE(r.err.find("dense"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "y.npz"));
}

// ------------------------------------------------------------------ info

std::string summary_part(const std::string& info_output) {
  const auto at = info_output.find("Model: \"");
  return at == std::string::npos ? "" : info_output.substr(at);
}

TEST(CliInfo, SummaryMatchesKerasLineForLine) {
  for (const char* name : {"seed_dense_softmax", "residual_cnn", "nested_models", "optimizer_adam"}) {
    auto r = run({"info", model_path(name)});
    ASSERT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_EQ(summary_part(r.out), read_text_file(data_path(std::string("keras-summaries/") + name + ".txt"))) << name;
  }
  auto r = run({"info", model_path("nested_models"), "--expand-nested", "--show-trainable"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(summary_part(r.out),
            read_text_file(data_path("keras-summaries/nested_models.expand_nested.show_trainable.txt")));
}

TEST(CliInfo, FileFacts) {
  auto r = run({"info", model_path("residual_cnn")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(" Total params: 940 (3.67 KB)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Connected to"), std::string::npos);
  EXPECT_NE(r.out.find("Keras version: 3.16.0"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Saved: +\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d)"))) << r.out;
  for (const char* member : {"metadata.json", "config.json", "model.weights.h5"})
    EXPECT_NE(r.out.find(member), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Dtype policy:  float32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Optimizer:     none (not compiled)"), std::string::npos) << r.out;
  r = run({"info", model_path("optimizer_adam")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex(R"(Optimizer: +Adam "adam" \(learning rate [0-9.e-]+, \d+ iterations\))")))
      << r.out;
  EXPECT_NE(r.out.find("Loss:"), std::string::npos) << r.out;
  // Narrower terminals give narrower tables, as in Keras.
  r = run({"info", model_path("residual_cnn")}, "COLUMNS=70");
  ASSERT_EQ(r.status, 0);
  std::istringstream lines(summary_part(r.out));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  EXPECT_EQ(line.size(), 66U * 3) << line;
}

TEST(CliInfo, JsonForScripts) {
  auto r = run({"info", model_path("optimizer_adam"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info.at("format"), "keras");
  EXPECT_EQ(info.at("keras_version"), "3.16.0");
  EXPECT_EQ(info.at("members").size(), 3U);
  EXPECT_EQ(info.at("dtype_policy"), "float32");
  EXPECT_TRUE(info.at("compiled").get<bool>());
  EXPECT_EQ(info.at("optimizer").at("class_name"), "Adam");
  EXPECT_GE(info.at("optimizer").at("iterations").get<int>(), 0);
  EXPECT_EQ(info.at("summary").at("total_params").at("count"), 131);
  EXPECT_EQ(info.at("summary").at("optimizer_params").at("count"), 88);
  r = run({"info", model_path("residual_cnn"), "--json"});
  const auto cnn = nlohmann::json::parse(r.out);
  EXPECT_EQ(cnn.at("summary").at("total_params").at("count"), 940);
  EXPECT_FALSE(cnn.at("summary").at("sequential_like").get<bool>());
  EXPECT_EQ(cnn.at("inputs").at(0).at("shape"), nlohmann::json::parse("[null, 10, 10, 3]"));
  r = run({"info", model_path("nested_models"), "--json", "--expand-nested"});
  const auto nested = nlohmann::json::parse(r.out);
  EXPECT_EQ(nested.at("summary").at("layers").size(),
            7U);  // mid_func with input_layer_17, inner_seq (dense_8, dense_9) and dense_10; dense_11
}

// ------------------------------------------------------------------ predict

TEST(CliPredict, NpzInAndOut) {
  TempDir tmp;
  const auto c = keras_test::fixture_case("multi_io");
  keras::Model model = keras::load_model(model_path("multi_io"));
  const auto inputs = keras_test::fixture_inputs("multi_io");
  const auto expected = keras_test::fixture_outputs("multi_io");
  const auto names = model.input_names();
  ASSERT_GE(names.size(), 2U);
  // By name, given in reverse order.
  keras::utils::NamedTensors named;
  for (std::size_t i = names.size(); i-- > 0;) named.emplace_back(names[i], inputs[i]);
  keras::utils::save_npz(tmp / "x.npz", named);
  auto r =
      run({"predict", model_path("multi_io"), "--input", (tmp / "x.npz").string(), "-o", (tmp / "y.npz").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto outputs = keras::utils::load_npz(tmp / "y.npz");
  ASSERT_EQ(outputs.size(), expected.size());
  const auto output_names = model.output_names();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(outputs[i].first, output_names[i]);
    keras_test::expect_close(outputs[i].second, expected[i], c.at("atol"), c.at("rtol"),
                             "npz output " + output_names[i]);
  }
  // Unnamed arrays (numpy's arr_0, arr_1, ...) fill the inputs in order.
  keras::utils::NamedTensors ordered;
  for (std::size_t i = 0; i < inputs.size(); ++i) ordered.emplace_back("arr_" + std::to_string(i), inputs[i]);
  keras::utils::save_npz(tmp / "xo.npz", ordered);
  r = run({"predict", model_path("multi_io"), "--x", (tmp / "xo.npz").string(), "--output", (tmp / "yo.npz").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto again = keras::utils::load_npz(tmp / "yo.npz");
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(keras::allclose(again[i].second, outputs[i].second, 0, 0));
  // A multi-output model cannot write one .npy.
  r = run({"predict", model_path("multi_io"), "--x", (tmp / "x.npz").string(), "-o", (tmp / "y.npy").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "-o");
  EXPECT_FALSE(std::filesystem::exists(tmp / "y.npy"));
  // The output is not replaced without --overwrite.
  r = run({"predict", model_path("multi_io"), "--x", (tmp / "x.npz").string(), "-o", (tmp / "y.npz").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "already exists");
  r = run({"predict", model_path("multi_io"), "--x", (tmp / "x.npz").string(), "-o", (tmp / "y.npz").string(),
           "--overwrite"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(CliPredict, SingleOutputNpyAndTopK) {
  TempDir tmp;
  const auto x = (fixture_dir("seed_dense_softmax") / "x0.npy").string();
  auto r = run({"predict", model_path("seed_dense_softmax"), "--x", x, "-o", (tmp / "y.npy").string(), "--top-k", "2",
                "--batch-size", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto expected = keras_test::fixture_outputs("seed_dense_softmax").front();
  keras_test::expect_close(keras::load_npy(tmp / "y.npy"), expected, 1e-6, 1e-5, "seed -o y.npy");
  // One line per sample: the two best classes, best first.
  std::istringstream lines(r.out);
  std::string line;
  const std::int64_t classes = expected.shape()[1];
  for (std::int64_t s = 0; s < expected.shape()[0]; ++s) {
    ASSERT_TRUE(std::getline(lines, line)) << r.out;
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c) {
      if (expected.at(s * classes + c) > expected.at(s * classes + best)) best = c;
    }
    EXPECT_EQ(line.rfind("sample " + std::to_string(s) + ": " + std::to_string(best) + " (", 0), 0U) << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), '('), 2) << line;
  }
  // Class names from --labels.
  {
    std::ofstream labels(tmp / "labels.txt");
    for (std::int64_t c = 0; c < classes; ++c) labels << "class-" << c << "\n";
  }
  r = run({"predict", model_path("seed_dense_softmax"), "--x", x, "--top-k", "1", "--labels",
           (tmp / "labels.txt").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(" class-"), std::string::npos) << r.out;
  // Somewhere to put the outputs is required.
  r = run({"predict", model_path("seed_dense_softmax"), "--x", x});
  EXPECT_EQ(r.status, 2);
}

void write_png(const std::filesystem::path& path, int width, int height, int channels,
               const std::vector<std::uint8_t>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  ASSERT_NE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr), 0) << image.message;
}

// A model whose output is its (flattened) input image.
std::string save_image_model(const TempDir& tmp, const std::string& name, int height, int width, int channels) {
  keras::Sequential model({keras::Input({height, width, channels}), keras::layers::Flatten()});
  const auto path = (tmp / name).string();
  keras::save_model(model, path);
  return path;
}

TEST(CliPredict, ImagesAreDecodedResizedAndRescaled) {
  TempDir tmp;
  // 4x4 RGB with distinct pixels: no resize, exact values.
  std::vector<std::uint8_t> pixels(4 * 4 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 5);
  write_png(tmp / "a.png", 4, 4, 3, pixels);
  const auto same_size = save_image_model(tmp, "rgb4.keras", 4, 4, 3);
  auto r = run(
      {"predict", same_size, "--x", (tmp / "a.png").string(), "--rescale", "1/255", "-o", (tmp / "a.npy").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto y = keras::load_npy(tmp / "a.npy");
  ASSERT_EQ(y.shape(), (keras::Shape{1, 48}));
  for (std::size_t i = 0; i < pixels.size(); ++i)
    EXPECT_FLOAT_EQ(static_cast<float>(y.at(static_cast<std::int64_t>(i))),
                    static_cast<float>(pixels[i] * (1.0 / 255)));
  // Two images of one input form a batch; a 16x16 image is resized to 4x4.
  std::vector<std::uint8_t> flat(16 * 16 * 3);
  for (std::size_t i = 0; i < flat.size(); i += 3) {
    flat[i] = 10;
    flat[i + 1] = 20;
    flat[i + 2] = 30;
  }
  write_png(tmp / "big.png", 16, 16, 3, flat);
  r = run({"predict", same_size, "--x", (tmp / "a.png").string(), "--x", (tmp / "big.png").string(), "-o",
           (tmp / "b.npy").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  y = keras::load_npy(tmp / "b.npy");
  ASSERT_EQ(y.shape(), (keras::Shape{2, 48}));
  for (std::int64_t i = 0; i < 48; ++i) EXPECT_NEAR(y.at(48 + i), (i % 3 + 1) * 10.0, 1e-4) << i;
  // A grayscale model gets the image's luminance, one channel.
  const auto gray = save_image_model(tmp, "gray.keras", 8, 8, 1);
  r = run({"predict", gray, "--x", (tmp / "big.png").string(), "-o", (tmp / "g.npy").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  y = keras::load_npy(tmp / "g.npy");
  ASSERT_EQ(y.shape(), (keras::Shape{1, 64}));
  EXPECT_GT(y.at(0), 10.0);
  EXPECT_LT(y.at(0), 30.0);
  // Broken images are errors naming the file.
  {
    std::ofstream bad(tmp / "bad.png");
    bad << "not a png";
  }
  r = run({"predict", same_size, "--x", (tmp / "bad.png").string(), "-o", (tmp / "c.npy").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "bad.png");
  {
    std::ofstream bad(tmp / "bad.jpg");
    bad << "not a jpeg";
  }
  r = run({"predict", same_size, "--x", (tmp / "bad.jpg").string(), "-o", (tmp / "c.npy").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "bad.jpg");
}

void write_jpeg(const std::filesystem::path& path, int width, int height, const std::vector<std::uint8_t>& rgb) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), std::fclose);
  ASSERT_TRUE(file);
  jpeg_compress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file.get());
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  for (int y = 0; y < height; ++y) {
    auto* row = const_cast<JSAMPLE*>(rgb.data() + static_cast<std::size_t>(y) * width * 3);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
}

TEST(CliPredict, JpegImages) {
  TempDir tmp;
  // A flat colour survives JPEG (almost) exactly, at any size.
  std::vector<std::uint8_t> rgb(16 * 8 * 3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 200;
    rgb[i + 1] = 100;
    rgb[i + 2] = 50;
  }
  write_jpeg(tmp / "flat.jpg", 16, 8, rgb);
  const auto model = save_image_model(tmp, "rgb4.keras", 4, 4, 3);
  auto r =
      run({"predict", model, "--x", (tmp / "flat.jpg").string(), "--rescale", "0.01", "-o", (tmp / "y.npy").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto y = keras::load_npy(tmp / "y.npy");
  ASSERT_EQ(y.shape(), (keras::Shape{1, 48}));
  for (std::int64_t i = 0; i < 48; ++i) EXPECT_NEAR(y.at(i), rgb[static_cast<std::size_t>(i % 3)] * 0.01, 0.03) << i;
  // An RGBA input gets an opaque alpha channel.
  const auto rgba_model = save_image_model(tmp, "rgba.keras", 8, 16, 4);
  r = run({"predict", rgba_model, "--x", (tmp / "flat.jpg").string(), "-o", (tmp / "a.npy").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FLOAT_EQ(static_cast<float>(keras::load_npy(tmp / "a.npy").at(3)), 255.0F);
}

TEST(CliPredict, KeepsTheOutputDirForm) {
  TempDir tmp;
  auto c = keras_test::fixture_case("multi_io");
  std::vector<std::string> args = {"predict", model_path("multi_io")};
  for (const auto& input : c.at("inputs")) {
    args.emplace_back("--input");
    args.push_back((fixture_dir("multi_io") / input.get<std::string>()).string());
  }
  args.emplace_back("--output-dir");
  args.push_back(tmp.path().string());
  auto r = run(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(tmp / "y0.npy"));
  EXPECT_TRUE(r.err.empty()) << "no progress bar when stderr is not a terminal: " << r.err;
}

// ------------------------------------------------------------------ convert

TEST(CliConvert, QuantizeWritesKerasQuantizedModel) {
  TempDir tmp;
  auto r = run({"convert", model_path("seed_dense_softmax"), (tmp / "q.keras").string(), "--quantize", "int8"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto model = keras::load_model(tmp / "q.keras");
  EXPECT_EQ(model.get_layer("dense")->dtype_policy().name(), "int8_from_float32");
  EXPECT_EQ(model.get_layer("dense")->own_variables()[0]->dtype(), keras::DType::int8);
  // The int8 model predicts the float one's numbers to within its quantization error.
  auto original = keras::load_model(model_path("seed_dense_softmax"));
  auto x = keras_test::fixture_inputs("seed_dense_softmax");
  auto expected = original.predict(x)[0];
  auto got = model.predict(x)[0];
  EXPECT_TRUE(keras::allclose(got, expected, 0, 0.02)) << keras::max_abs_diff(got, expected);
  // A model whose layers are all quantized already has nothing left.
  auto again = run({"convert", (tmp / "q.keras").string(), (tmp / "q2.keras").string(), "--quantize", "int8"});
  EXPECT_EQ(again.status, 1);
  expect_one_error_line(again, "--quantize int8");
  EXPECT_FALSE(std::filesystem::exists(tmp / "q2.keras"));
}

TEST(CliConvert, OutputOptionAndOverwrite) {
  TempDir tmp;
  auto r = run({"convert", model_path("seed_dense_softmax"), "-o", (tmp / "m.keras").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp / "m.keras"));
  r = run({"convert", model_path("residual_cnn"), "-o", (tmp / "m.keras").string()});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "already exists");
  EXPECT_EQ(keras::load_model(tmp / "m.keras").count_params(), 20) << "the existing file is kept";
  r = run({"convert", model_path("residual_cnn"), "-o", (tmp / "m.keras").string(), "--overwrite"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(keras::load_model(tmp / "m.keras").count_params(), 940);
  r = run({"convert", model_path("residual_cnn"), (tmp / "a.keras").string(), "-o", (tmp / "b.keras").string()});
  EXPECT_EQ(r.status, 2);
}

// ------------------------------------------------------------------ diff

TEST(CliDiff, ConfigPathsAndVariables) {
  TempDir tmp;
  auto r = run({"diff", model_path("residual_cnn"), model_path("residual_cnn")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("models are equal"), std::string::npos);
  // The same architecture with other weights, and one with another Dense size.
  keras::Model a = keras::load_model(model_path("seed_dense_softmax"));
  auto weights = a.get_weights();
  weights[0].data<float>()[0] += 0.5F;
  keras::Model b = keras::load_model(model_path("seed_dense_softmax"));
  b.set_weights(weights);
  keras::save_model(b, tmp / "b.keras");
  r = run({"diff", model_path("seed_dense_softmax"), (tmp / "b.keras").string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(weights dense/kernel: largest absolute difference 0\.5)")))
      << r.out;
  EXPECT_EQ(r.out.find("config "), std::string::npos) << "same config:\n" << r.out;
  r = run({"diff", model_path("seed_dense_softmax"), (tmp / "b.keras").string(), "--tolerance", "0.6"});
  EXPECT_EQ(r.status, 0) << r.out;
  keras::Sequential wider({keras::Input({3}), keras::layers::Dense(6), keras::layers::Softmax()});
  keras::save_model(wider, tmp / "wider.keras");
  r = run({"diff", model_path("seed_dense_softmax"), (tmp / "wider.keras").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(config /config/layers/\d+/config/units: 5 -> 6)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(weights .*kernel: shape \(3, 5\) -> \(3, 6\))"))) << r.out;
  r = run({"diff", model_path("seed_dense_softmax"), (tmp / "wider.keras").string(), "--json"});
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(nlohmann::json::parse(r.out).at("equal").get<bool>());
  // Trouble: exit 2.
  r = run({"diff", model_path("seed_dense_softmax"), (tmp / "missing.keras").string()});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "missing.keras");
}

// ------------------------------------------------------------------ plot

// Width and height from a PNG's IHDR chunk.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& bytes) {
  auto be32 = [&](std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  return {be32(16), be32(20)};
}

TEST(CliPlot, SvgPngPdfAndDotShowEveryLayer) {
  TempDir tmp;
  keras::Model model = keras::load_model(model_path("residual_cnn"));
  auto r = run({"plot", model_path("residual_cnn"), "-o", (tmp / "m.svg").string(), "--show-shapes"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string svg = read_text_file(tmp / "m.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const auto& layer : model.layers()) EXPECT_NE(svg.find(layer->name()), std::string::npos) << layer->name();
  EXPECT_NE(svg.find("Output shape"), std::string::npos);
  r = run({"plot", model_path("residual_cnn"), "-o", (tmp / "m.png").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string png = read_text_file(tmp / "m.png");
  ASSERT_GT(png.size(), 1000U);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const auto [width, height] = png_size(png);
  EXPECT_GT(height, width) << "top to bottom: taller than wide";
  r = run({"plot", model_path("residual_cnn"), "-o", (tmp / "m.pdf").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text_file(tmp / "m.pdf").substr(0, 5), "%PDF-");
  r = run({"plot", model_path("residual_cnn"), "-o", (tmp / "m.dot").string(), "--rankdir", "LR"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string dot = read_text_file(tmp / "m.dot");
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos) << dot.substr(0, 300);
  // Existing pictures are kept without --overwrite.
  r = run({"plot", model_path("seed_dense_softmax"), "-o", (tmp / "m.png").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(read_text_file(tmp / "m.png"), png);
  r = run({"plot", model_path("nested_models"), "-o", (tmp / "n.svg").string(), "--expand-nested"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_text_file(tmp / "n.svg").find("inner_seq"), std::string::npos);
}

// ------------------------------------------------------------------ check

TEST(CliCheck, OkOrTheListOfProblems) {
  auto r = run({"check", model_path("residual_cnn")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n");
  r = run({"check", (fixture_dir("unzipped_dir") / "model_dir").string()});
  EXPECT_EQ(r.status, 0) << r.out;
  r = run({"check", (fixture_dir("legacy_h5") / "model.h5").string()});
  EXPECT_EQ(r.status, 0) << r.out;
  r = run({"check", (fixture_dir("weights_only") / "model.json").string(), "--weights",
           (fixture_dir("weights_only") / "model.weights.h5").string()});
  EXPECT_EQ(r.status, 0) << r.out;
  int malformed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("malformed"))) {
    if (entry.path().extension() != ".keras") continue;
    ++malformed;
    r = run({"check", entry.path().string()});
    EXPECT_EQ(r.status, 1) << entry.path();
    EXPECT_NE(r.out, "ok\n") << entry.path();
    EXPECT_GE(count_lines(r.out), 1) << entry.path();
    EXPECT_NE(r.out.find(entry.path().filename().string()), std::string::npos) << r.out;
  }
  EXPECT_EQ(malformed, 12);
  r = run({"check", data_path("malformed/unknown_layer.keras").string()});
  EXPECT_NE(r.out.find("config.json"), std::string::npos) << r.out;
  r = run({"check", data_path("malformed/path_traversal.keras").string()});
  EXPECT_NE(r.out.find("escape.txt"), std::string::npos) << r.out;
}

// ------------------------------------------------------------------ terminal

TEST(CliTerminal, OverwritePrompt) {
  REQUIRE_PSEUDO_TERMINAL();
  TempDir tmp;
  const auto target = (tmp / "m.keras").string();
  ASSERT_EQ(run({"convert", model_path("seed_dense_softmax"), target}).status, 0);
  const std::string prompt = "already exists - overwrite? [y/n]";
  auto session = run_on_terminal({"convert", model_path("residual_cnn"), target}, prompt, "n");
  EXPECT_EQ(session.status, 1) << session.screen;
  EXPECT_NE(session.screen.find("nothing was written"), std::string::npos) << session.screen;
  EXPECT_EQ(keras::load_model(target).count_params(), 20);
  session = run_on_terminal({"convert", model_path("residual_cnn"), target}, prompt, "y");
  EXPECT_EQ(session.status, 0) << session.screen;
  EXPECT_EQ(keras::load_model(target).count_params(), 940);
  // predict -o asks the same.
  const auto x = (fixture_dir("seed_dense_softmax") / "x0.npy").string();
  ASSERT_EQ(run({"predict", model_path("seed_dense_softmax"), "--x", x, "-o", (tmp / "y.npy").string()}).status, 0);
  session = run_on_terminal({"predict", model_path("seed_dense_softmax"), "--x", x, "-o", (tmp / "y.npy").string()},
                            prompt, "y");
  EXPECT_EQ(session.status, 0) << session.screen;
}

TEST(CliTerminal, ProgressBarOnlyOnATerminal) {
  REQUIRE_PSEUDO_TERMINAL();
  TempDir tmp;
  // 64 samples in batches of 1: 64 steps.
  keras::Tensor x = keras::random::uniform({64, 3}, 0.0F, 1.0F, 7);
  keras::save_npy(tmp / "x.npy", x);
  const std::vector<std::string> args = {"predict",      model_path("seed_dense_softmax"),
                                         "--x",          (tmp / "x.npy").string(),
                                         "--batch-size", "1",
                                         "--output-dir", tmp.path().string()};
  auto session = run_on_terminal(args);
  EXPECT_EQ(session.status, 0) << session.screen;
  EXPECT_NE(session.screen.find("predict ["), std::string::npos) << session.screen;
  EXPECT_NE(session.screen.find("64/64"), std::string::npos) << session.screen;
  EXPECT_NE(session.screen.find("loading model.keras ["), std::string::npos) << session.screen;
  EXPECT_NE(session.screen.find('\r'), std::string::npos);
  auto quiet_args = args;
  quiet_args.emplace_back("--quiet");
  session = run_on_terminal(quiet_args);
  EXPECT_EQ(session.status, 0) << session.screen;
  EXPECT_EQ(session.screen.find('['), std::string::npos) << session.screen;
  // Not a terminal: no bar.
  auto r = run(args);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// ------------------------------------------------------------------ completion

TEST(CliCompletion, BashCompletionIsInstalledAndWorks) {
  const std::filesystem::path script =
      std::filesystem::path(KERAS_INSTALL_PREFIX) / "share/bash-completion/completions/keras-cpp";
  ASSERT_TRUE(std::filesystem::is_regular_file(script));
  auto r = run({"completion", "bash"});
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out, read_text_file(script));
  // Completes as bash would: COMP_WORDS / COMP_CWORD in, COMPREPLY out.
  auto complete = [&](const std::string& words) {
    TempDir tmp;
    const std::string command =
        "bash -c " + shell_quote("source " + shell_quote(script.string()) + "; COMP_WORDS=(" + words +
                                 "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _keras_cpp; "
                                 "printf '%s\\n' \"${COMPREPLY[@]}\"");
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    std::array<char, 4096> buffer{};
    while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    pclose(pipe);
    return out;
  };
  EXPECT_EQ(complete("keras-cpp pl"), "plot\n");
  EXPECT_NE(complete("keras-cpp plot --ra").find("--rankdir"), std::string::npos);
  EXPECT_EQ(complete("keras-cpp plot m.keras --rankdir ''"), "TB\nLR\nBT\nRL\n");
  EXPECT_NE(complete("keras-cpp predict --").find("--top-k"), std::string::npos);
  EXPECT_NE(complete("keras-cpp fit m.keras --").find("--validation-split"), std::string::npos);
  EXPECT_EQ(complete("keras-cpp fit m.keras --verbose ''"), "0\n1\n2\n");
  EXPECT_NE(complete("keras-cpp evaluate m.keras --").find("--json"), std::string::npos);
  EXPECT_NE(complete("keras-cpp --").find("--version"), std::string::npos);
}

}  // namespace
